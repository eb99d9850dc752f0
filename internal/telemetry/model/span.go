package model

import "time"

// Kind is a span's kind, with OpenTelemetry's meaning.
type Kind string

// The span kinds.
const (
	KindInternal Kind = "internal"
	KindServer   Kind = "server"
	KindClient   Kind = "client"
	KindProducer Kind = "producer"
	KindConsumer Kind = "consumer"
)

// StatusCode is a span's status, with OpenTelemetry's meaning.
type StatusCode string

// The span status codes.
const (
	StatusUnset StatusCode = "unset"
	StatusOK    StatusCode = "ok"
	StatusError StatusCode = "error"
)

// Span is one finished span as the store keeps it. Ids are lower-case hex
// (32 digits for a trace, 16 for a span); ParentID is "" for a root.
type Span struct {
	TraceID  string
	SpanID   string
	ParentID string
	Name     string
	Kind     Kind
	// Resource is the stack resource the span belongs to (a function, queue,
	// bucket, API ...): the node of the service map.
	Resource string
	// Function is the function's name when the span is about an invocation
	// (the faas.name attribute), "" otherwise.
	Function      string
	Start, End    time.Time
	Status        StatusCode
	StatusMessage string
	// Attributes hold OpenTelemetry attribute values; read back from the
	// store they are JSON values (numbers are float64, arrays []any).
	Attributes map[string]any
	Links      []Link
	Events     []Event
}

// Duration is End - Start.
func (s Span) Duration() time.Duration { return s.End.Sub(s.Start) }

// Link points from a span to another span it relates to without being its
// child, such as each message of an SQS batch that one invocation processes.
type Link struct {
	TraceID    string         `json:"trace_id"`
	SpanID     string         `json:"span_id"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// Event is a timestamped annotation on a span (an exception, a retry).
type Event struct {
	Name       string         `json:"name"`
	Time       time.Time      `json:"time"`
	Attributes map[string]any `json:"attributes,omitempty"`
}
