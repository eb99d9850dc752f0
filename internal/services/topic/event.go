package topic

import (
	"encoding/base64"
	"time"
)

// Event is the SNS event Lambda delivers to a function.
type Event struct {
	Records []Record `json:"Records"`
}

// Record is one notification of an SNS event.
type Record struct {
	EventSource          string    `json:"EventSource"`
	EventVersion         string    `json:"EventVersion"`
	EventSubscriptionArn string    `json:"EventSubscriptionArn"`
	Sns                  RecordSNS `json:"Sns"`
}

// RecordSNS is the notification of a Record.
type RecordSNS struct {
	Type              string                   `json:"Type"`
	MessageID         string                   `json:"MessageId"`
	TopicArn          string                   `json:"TopicArn"`
	Subject           *string                  `json:"Subject"`
	Message           string                   `json:"Message"`
	Timestamp         string                   `json:"Timestamp"`
	SignatureVersion  string                   `json:"SignatureVersion"`
	Signature         string                   `json:"Signature"`
	SigningCertURL    string                   `json:"SigningCertUrl"`
	UnsubscribeURL    string                   `json:"UnsubscribeUrl"`
	MessageAttributes map[string]AttributeJSON `json:"MessageAttributes"`
}

// AttributeJSON is a message attribute as notifications spell it.
type AttributeJSON struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// Envelope is the JSON body a queue subscribed without raw delivery gets.
type Envelope struct {
	Type              string                   `json:"Type"`
	MessageID         string                   `json:"MessageId"`
	SequenceNumber    string                   `json:"SequenceNumber,omitempty"`
	TopicArn          string                   `json:"TopicArn"`
	Subject           string                   `json:"Subject,omitempty"`
	Message           string                   `json:"Message"`
	Timestamp         string                   `json:"Timestamp"`
	SignatureVersion  string                   `json:"SignatureVersion"`
	Signature         string                   `json:"Signature"`
	SigningCertURL    string                   `json:"SigningCertURL"`
	UnsubscribeURL    string                   `json:"UnsubscribeURL"`
	MessageAttributes map[string]AttributeJSON `json:"MessageAttributes,omitempty"`
}

// Signature is what notifications carry in place of a signature: stacklab
// does not sign them.
const Signature = "c3RhY2tsYWIgZG9lcyBub3Qgc2lnbiBub3RpZmljYXRpb25z"

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func attrsJSON(rec stored) map[string]AttributeJSON {
	out := map[string]AttributeJSON{}
	for k, a := range rec.Attributes {
		v := a.StringValue
		if a.DataType == "Binary" {
			v = base64Std(a.BinaryValue)
		}
		out[k] = AttributeJSON{Type: a.DataType, Value: v}
	}
	return out
}

func (s *Service) certURL() string {
	return "https://sns." + s.opts.Region + ".amazonaws.com/SimpleNotificationService-stacklab.pem"
}

func (s *Service) unsubscribeURL(arn string) string {
	return "https://sns." + s.opts.Region + ".amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + arn
}

func (s *Service) record(t *topic, sub Subscription, rec stored) Record {
	arn := s.subscriptionARN(t, sub)
	var subject *string
	if rec.Subject != "" {
		subject = &rec.Subject
	}
	return Record{EventSource: "aws:sns", EventVersion: "1.0", EventSubscriptionArn: arn, Sns: RecordSNS{
		Type: "Notification", MessageID: rec.MessageID, TopicArn: s.ARN(t.cfg), Subject: subject, Message: rec.Message,
		Timestamp: timestamp(rec.Timestamp), SignatureVersion: "1", Signature: Signature,
		SigningCertURL: s.certURL(), UnsubscribeURL: s.unsubscribeURL(arn), MessageAttributes: attrsJSON(rec),
	}}
}

func (s *Service) envelope(t *topic, sub Subscription, rec stored) Envelope {
	arn := s.subscriptionARN(t, sub)
	e := Envelope{Type: "Notification", MessageID: rec.MessageID, TopicArn: s.ARN(t.cfg), Subject: rec.Subject, Message: rec.Message,
		Timestamp: timestamp(rec.Timestamp), SignatureVersion: "1", Signature: Signature,
		SigningCertURL: s.certURL(), UnsubscribeURL: s.unsubscribeURL(arn)}
	if len(rec.Attributes) > 0 {
		e.MessageAttributes = attrsJSON(rec)
	}
	return e
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
