package invoke

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

// Condition is why an async invocation ended, as the invocation record of
// a Lambda destination names it.
type Condition string

// The conditions AWS Lambda reports in requestContext.condition.
const (
	ConditionSuccess          Condition = "Success"
	ConditionRetriesExhausted Condition = "RetriesExhausted"
	ConditionEventAgeExceeded Condition = "EventAgeExceeded"
)

// Limits of what an outcome carries.
const (
	// MaxRecordSize is the largest invocation record sent to a destination:
	// the 256 KB that SQS, SNS and an async invocation take. A larger record
	// loses its responsePayload, then its requestPayload, as Lambda drops
	// payloads that do not fit.
	MaxRecordSize = 256 * 1024
	// MaxErrorMessage is the length of the ErrorMessage attribute of a
	// dead-letter message (Lambda sends the first 1 KB).
	MaxErrorMessage = 1024
)

// Outcome is how an async invocation ended, with what its destinations
// need: the event as accepted, the last response, and why it ended. The
// async queue keeps it in JetStream KV while it cannot be delivered, so
// it is JSON.
type Outcome struct {
	Function  string    `json:"function"` // as the event named it
	RequestID string    `json:"requestId"`
	TraceID   string    `json:"traceId,omitempty"`
	Condition Condition `json:"condition"`
	// Attempts is how many times the function ran (throttled tries do not
	// count): approximateInvokeCount.
	Attempts int `json:"attempts"`
	// Payload is the event as it was accepted.
	Payload []byte `json:"payload"`
	// StatusCode is 200 when the function ran (even when it failed), the
	// status of the service error that stopped it otherwise (429 for an
	// event that expired while throttled).
	StatusCode int `json:"statusCode"`
	// Response is the last attempt's response or error document; nil when
	// none is known or it was larger than MaxRecordSize.
	Response      []byte `json:"response,omitempty"`
	FunctionError string `json:"functionError,omitempty"` // "Unhandled" when the function failed
	Version       string `json:"version,omitempty"`       // the version that ran
	// Error says why a failed event failed, for the ErrorMessage of a
	// dead-letter message.
	Error string    `json:"error,omitempty"`
	Time  time.Time `json:"time"` // when the outcome was decided
	// Delivered lists the destinations ("DeadLetterQueue", "OnFailure",
	// "OnSuccess") that already have the outcome, so that a retry after a
	// failed delivery does not send it there again.
	Delivered []string `json:"delivered,omitempty"`
	// Failures counts failed deliveries, for the retry backoff.
	Failures int `json:"failures,omitempty"`
}

// Succeeded reports whether the function succeeded.
func (o *Outcome) Succeeded() bool { return o.Condition == ConditionSuccess }

// IsDelivered reports whether the outcome reached the named destination.
func (o *Outcome) IsDelivered(name string) bool { return slices.Contains(o.Delivered, name) }

// MarkDelivered records that the outcome reached (or was given up for)
// the named destination.
func (o *Outcome) MarkDelivered(name string) {
	if !o.IsDelivered(name) {
		o.Delivered = append(o.Delivered, name)
	}
}

// ErrorCode is the ErrorCode attribute of a dead-letter message: the HTTP
// status of the invocation (200 when the function ran and failed).
func (o *Outcome) ErrorCode() int {
	if o.StatusCode == 0 {
		return http.StatusOK
	}
	return o.StatusCode
}

// ErrorMessage is the ErrorMessage attribute of a dead-letter message: the
// errorMessage of the function's error document (the whole document when
// it has none), or the service error, cut to MaxErrorMessage bytes.
func (o *Outcome) ErrorMessage() string {
	msg := o.Error
	if o.FunctionError != "" && len(o.Response) > 0 {
		var doc struct {
			ErrorMessage string `json:"errorMessage"`
		}
		if json.Unmarshal(o.Response, &doc) == nil && doc.ErrorMessage != "" {
			msg = doc.ErrorMessage
		} else {
			msg = string(o.Response)
		}
	}
	if len(msg) > MaxErrorMessage {
		cut := MaxErrorMessage
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut]
	}
	return msg
}

// Record is the invocation record Lambda sends to an OnSuccess or
// OnFailure destination.
type Record struct {
	Version         string          `json:"version"`
	Timestamp       string          `json:"timestamp"`
	RequestContext  RecordRequest   `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload,omitempty"`
	ResponseContext RecordResponse  `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload,omitempty"`
}

// RecordRequest is the requestContext of a Record.
type RecordRequest struct {
	RequestID              string    `json:"requestId"`
	FunctionARN            string    `json:"functionArn"` // qualified with the version that ran
	Condition              Condition `json:"condition"`
	ApproximateInvokeCount int       `json:"approximateInvokeCount"`
}

// RecordResponse is the responseContext of a Record.
type RecordResponse struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion,omitempty"`
	FunctionError   string `json:"functionError,omitempty"`
}

// Record returns the invocation record of the outcome; functionARN is the
// function's unqualified ARN.
func (o *Outcome) Record(functionARN string) Record {
	r := Record{
		Version:   "1.0",
		Timestamp: o.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
		RequestContext: RecordRequest{
			RequestID:              o.RequestID,
			FunctionARN:            functionARN + ":" + firstOf(o.Version, "$LATEST"),
			Condition:              o.Condition,
			ApproximateInvokeCount: o.Attempts,
		},
		RequestPayload:  jsonOrString(o.Payload),
		ResponseContext: RecordResponse{StatusCode: o.ErrorCode(), FunctionError: o.FunctionError},
		ResponsePayload: jsonOrString(o.Response),
	}
	if o.Attempts > 0 {
		r.ResponseContext.ExecutedVersion = firstOf(o.Version, "$LATEST")
	}
	if o.Condition == ConditionEventAgeExceeded && o.Attempts > 0 && r.ResponseContext.FunctionError == "" {
		// It ran and failed before it expired; the response is not kept.
		r.ResponseContext.FunctionError = "Unhandled"
	}
	return r
}

// RecordJSON is the outcome's invocation record as JSON of at most
// MaxRecordSize bytes: a larger record loses its responsePayload, then
// its requestPayload.
func (o *Outcome) RecordJSON(functionARN string) ([]byte, error) {
	r := o.Record(functionARN)
	for {
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encoding the invocation record of request %s: %w", o.RequestID, err)
		}
		switch {
		case len(b) <= MaxRecordSize:
			return b, nil
		case r.ResponsePayload != nil:
			r.ResponsePayload = nil
		case r.RequestPayload != nil:
			r.RequestPayload = nil
		default:
			return b, nil
		}
	}
}

// jsonOrString is b as it is when it is JSON, else as a JSON string; nil
// for nothing.
func jsonOrString(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	s, _ := json.Marshal(string(b))
	return s
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
