package queue

import (
	"encoding/base64"
	"slices"

	"github.com/stacklab/stacklab/internal/jsonw"
)

// Event is the SQS event Lambda delivers to a function.
type Event struct {
	Records []Record `json:"Records"`
}

// Record is one message of an SQS event.
type Record struct {
	MessageID         string                     `json:"messageId"`
	ReceiptHandle     string                     `json:"receiptHandle"`
	Body              string                     `json:"body"`
	Attributes        map[string]string          `json:"attributes"`
	MessageAttributes map[string]RecordAttribute `json:"messageAttributes"`
	MD5OfBody         string                     `json:"md5OfBody"`
	EventSource       string                     `json:"eventSource"`
	EventSourceARN    string                     `json:"eventSourceARN"`
	AWSRegion         string                     `json:"awsRegion"`
}

// RecordAttribute is a message attribute as the SQS event spells it.
type RecordAttribute struct {
	StringValue      *string  `json:"stringValue,omitempty"`
	BinaryValue      []byte   `json:"binaryValue,omitempty"`
	StringListValues []string `json:"stringListValues"`
	BinaryListValues [][]byte `json:"binaryListValues"`
	DataType         string   `json:"dataType"`
}

func (s *Service) records(q *queue, msgs []Message) []Record {
	arn := s.ARN(q.cfg)
	out := make([]Record, len(msgs))
	for i, m := range msgs {
		attrs := map[string]RecordAttribute{}
		for k, a := range m.MessageAttributes {
			ra := RecordAttribute{DataType: a.DataType, BinaryValue: a.BinaryValue, StringListValues: []string{}, BinaryListValues: [][]byte{}}
			if a.StringValue != "" || a.BinaryValue == nil {
				v := a.StringValue
				ra.StringValue = &v
			}
			attrs[k] = ra
		}
		out[i] = Record{MessageID: m.MessageID, ReceiptHandle: m.ReceiptHandle, Body: m.Body, Attributes: m.Attributes,
			MessageAttributes: attrs, MD5OfBody: m.MD5OfBody, EventSource: "aws:sqs", EventSourceARN: arn, AWSRegion: s.opts.Region}
	}
	return out
}

// appendEvent appends the JSON of Event{Records: rs} to b, byte for byte
// what encoding/json writes for it, without reflection: a poller encodes
// an event for every batch.
func appendEvent(b []byte, rs []Record) []byte {
	b = append(b, `{"Records":[`...)
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"messageId":`...)
		b = jsonw.AppendMarshalString(b, r.MessageID)
		b = append(b, `,"receiptHandle":`...)
		b = jsonw.AppendMarshalString(b, r.ReceiptHandle)
		b = append(b, `,"body":`...)
		b = jsonw.AppendMarshalString(b, r.Body)
		b = append(b, `,"attributes":`...)
		b = appendStringMap(b, r.Attributes)
		b = append(b, `,"messageAttributes":`...)
		b = appendAttributes(b, r.MessageAttributes)
		b = append(b, `,"md5OfBody":`...)
		b = jsonw.AppendMarshalString(b, r.MD5OfBody)
		b = append(b, `,"eventSource":`...)
		b = jsonw.AppendMarshalString(b, r.EventSource)
		b = append(b, `,"eventSourceARN":`...)
		b = jsonw.AppendMarshalString(b, r.EventSourceARN)
		b = append(b, `,"awsRegion":`...)
		b = jsonw.AppendMarshalString(b, r.AWSRegion)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func appendStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	var buf [8]string // a message's system attributes, without allocating
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.AppendMarshalString(b, k)
		b = append(b, ':')
		b = jsonw.AppendMarshalString(b, m[k])
	}
	return append(b, '}')
}

func appendAttributes(b []byte, m map[string]RecordAttribute) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		a := m[k]
		b = jsonw.AppendMarshalString(b, k)
		b = append(b, ":{"...)
		if a.StringValue != nil {
			b = append(b, `"stringValue":`...)
			b = jsonw.AppendMarshalString(b, *a.StringValue)
			b = append(b, ',')
		}
		if len(a.BinaryValue) > 0 {
			b = append(b, `"binaryValue":`...)
			b = appendBytes(b, a.BinaryValue)
			b = append(b, ',')
		}
		b = append(b, `"stringListValues":`...)
		b = appendList(b, a.StringListValues, jsonw.AppendMarshalString)
		b = append(b, `,"binaryListValues":`...)
		b = appendList(b, a.BinaryListValues, appendBytes)
		b = append(b, `,"dataType":`...)
		b = jsonw.AppendMarshalString(b, a.DataType)
		b = append(b, '}')
	}
	return append(b, '}')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendBytes appends a []byte as encoding/json does: standard base64 in
// quotes, null for nil.
func appendBytes(b, v []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}

// appendList appends xs as a JSON array (null when nil, as encoding/json
// writes a nil slice), each element with appendOne.
func appendList[T any](b []byte, xs []T, appendOne func([]byte, T) []byte) []byte {
	if xs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendOne(b, x)
	}
	return append(b, ']')
}
