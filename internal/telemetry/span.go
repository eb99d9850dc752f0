package telemetry

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// Kind is a span's kind; the constants below are the values.
type Kind = model.Kind

// The span kinds.
const (
	Internal = model.KindInternal
	Server   = model.KindServer
	Client   = model.KindClient
	Producer = model.KindProducer
	Consumer = model.KindConsumer
)

func otelKind(k Kind) trace.SpanKind {
	switch k {
	case Server:
		return trace.SpanKindServer
	case Client:
		return trace.SpanKindClient
	case Producer:
		return trace.SpanKindProducer
	case Consumer:
		return trace.SpanKindConsumer
	}
	return trace.SpanKindInternal
}

// Span is a span in progress. The zero Span (from a nil *Telemetry) records
// nothing; all methods are safe on it.
type Span struct {
	s trace.Span
}

// End ends the span now.
func (s Span) End() {
	if s.s != nil {
		s.s.End()
	}
}

// EndAt ends the span at t (for hops measured after the fact).
func (s Span) EndAt(t time.Time) {
	if s.s != nil {
		s.s.End(trace.WithTimestamp(t))
	}
}

// SetAttributes adds or replaces attributes. Give attributes known at the
// start to StartSpan instead, and set late ones in one call: each call
// copies or grows the SDK's attribute slice.
func (s Span) SetAttributes(attrs ...attribute.KeyValue) {
	if s.s != nil {
		s.s.SetAttributes(attrs...)
	}
}

// Fail marks the span as failed with a message (an outcome such as
// "timeout", an error's text) and sets error.type to kind when given, with
// attrs in the same call (each SetAttributes after the start copies the
// SDK's attributes; Fail may append to attrs).
func (s Span) Fail(kind, msg string, attrs ...attribute.KeyValue) {
	if s.s == nil {
		return
	}
	if kind != "" {
		attrs = append(attrs, ErrorType(kind))
	}
	s.s.SetAttributes(attrs...)
	s.s.SetStatus(codes.Error, msg)
}

// RecordError marks the span as failed by err and adds an exception event.
// A nil err does nothing.
func (s Span) RecordError(err error) {
	if s.s == nil || err == nil {
		return
	}
	s.s.RecordError(err)
	s.s.SetStatus(codes.Error, err.Error())
}

// OK marks the span as successful.
func (s Span) OK() {
	if s.s != nil {
		s.s.SetStatus(codes.Ok, "")
	}
}

// AddEvent adds a timestamped event (a retry, a redrive).
func (s Span) AddEvent(name string, attrs ...attribute.KeyValue) {
	if s.s != nil {
		s.s.AddEvent(name, trace.WithAttributes(attrs...))
	}
}

// AddLink links the span to another span it relates to without being its
// child: each message of a queue batch, as the messaging conventions ask. An
// invalid span context is ignored.
func (s Span) AddLink(sc trace.SpanContext, attrs ...attribute.KeyValue) {
	if s.s != nil && sc.IsValid() {
		s.s.AddLink(trace.Link{SpanContext: sc, Attributes: attrs})
	}
}

// SpanContext is the span's identity, to propagate or link to.
func (s Span) SpanContext() trace.SpanContext {
	if s.s == nil {
		return trace.SpanContext{}
	}
	return s.s.SpanContext()
}

// TraceID is the span's trace id as 32 hex digits ("" for the zero Span).
func (s Span) TraceID() string {
	sc := s.SpanContext()
	if !sc.IsValid() {
		return ""
	}
	return sc.TraceID().String()
}
