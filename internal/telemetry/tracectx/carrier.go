package tracectx

import (
	"context"
	"net/http"
	"strings"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Propagator reads and writes both W3C Trace Context and X-Ray headers. On
// extract a valid traceparent wins (with its tracestate), then a valid X-Ray
// header; when neither parses the context is returned unchanged. On inject it
// writes traceparent, tracestate (when there is one) and X-Amzn-Trace-Id, so a
// hop that only knows one of the formats still continues the trace.
type Propagator struct{}

var _ propagation.TextMapPropagator = Propagator{}

// Inject writes the span context in ctx into carrier. It writes nothing when
// ctx holds no valid span context.
func (Propagator) Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return
	}
	carrier.Set(TraceparentHeader, FormatTraceparent(sc))
	if ts := sc.TraceState().String(); ts != "" {
		carrier.Set(TracestateHeader, ts)
	}
	carrier.Set(XRayHeader, FormatXRay(sc))
}

// Extract returns ctx with the remote span context found in carrier, or ctx
// unchanged when carrier holds no header that parses.
func (Propagator) Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	sc, ok := SpanContextFrom(carrier)
	if !ok {
		return ctx
	}
	return trace.ContextWithRemoteSpanContext(ctx, sc)
}

// Fields names the headers the propagator writes.
func (Propagator) Fields() []string {
	return []string{TraceparentHeader, TracestateHeader, XRayHeader}
}

// SpanContextFrom reads the span context from carrier: traceparent (and
// tracestate) first, then X-Amzn-Trace-Id. ok is false when neither parses.
func SpanContextFrom(carrier propagation.TextMapCarrier) (sc trace.SpanContext, ok bool) {
	if tp := carrier.Get(TraceparentHeader); tp != "" {
		if sc, err := ParseTraceparent(tp); err == nil {
			sc, _ = WithTracestate(sc, carrier.Get(TracestateHeader))
			return sc, true
		}
	}
	if xr := carrier.Get(XRayHeader); xr != "" {
		if sc, err := ParseXRay(xr); err == nil {
			return sc, true
		}
	}
	return trace.SpanContext{}, false
}

// Inject writes the span context in ctx into carrier with Propagator.
func Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	Propagator{}.Inject(ctx, carrier)
}

// Extract reads a remote span context from carrier into ctx with Propagator;
// ctx comes back unchanged when there is none, so the next span is a root.
func Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	return Propagator{}.Extract(ctx, carrier)
}

// XRay returns the X-Ray trace header for the span context in ctx, the value
// for Lambda-Runtime-Trace-Id and _X_AMZN_TRACE_ID; "" when there is none.
func XRay(ctx context.Context) string {
	return FormatXRay(trace.SpanContextFromContext(ctx))
}

// HTTP adapts HTTP headers as a carrier.
func HTTP(h http.Header) propagation.TextMapCarrier { return HTTPCarrier(h) }

// HTTPCarrier adapts HTTP headers as propagation.HeaderCarrier does, with
// the propagator's own header names looked up and written in their
// canonical form without canonicalising them again (on the path of every
// traced request).
type HTTPCarrier http.Header

var _ propagation.TextMapCarrier = HTTPCarrier(nil)

// canonical is the canonical form of the headers the propagator uses.
func canonical(key string) string {
	switch key {
	case TraceparentHeader:
		return "Traceparent"
	case TracestateHeader:
		return "Tracestate"
	case XRayHeader:
		return XRayHeader // already canonical
	}
	return http.CanonicalHeaderKey(key)
}

// Get returns the first value for key.
func (c HTTPCarrier) Get(key string) string {
	if v := c[canonical(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set sets key to value, replacing what it had.
func (c HTTPCarrier) Set(key, value string) { c[canonical(key)] = []string{value} }

// Keys lists the keys.
func (c HTTPCarrier) Keys() []string { return propagation.HeaderCarrier(c).Keys() }

// NATSCarrier adapts NATS message headers. NATS header keys are case-sensitive;
// Get falls back to a case-insensitive match so headers written by other
// clients ("Traceparent", "x-amzn-trace-id") are still found.
type NATSCarrier nats.Header

var _ propagation.TextMapCarrier = NATSCarrier(nil)

// NATS adapts NATS message headers as a carrier. Set on a nil header is a
// no-op, so make the header before injecting.
func NATS(h nats.Header) NATSCarrier { return NATSCarrier(h) }

// Get returns the first value for key.
func (c NATSCarrier) Get(key string) string {
	if v := c[key]; len(v) > 0 {
		return v[0]
	}
	for k, v := range c {
		if len(v) > 0 && strings.EqualFold(k, key) {
			return v[0]
		}
	}
	return ""
}

// Set replaces the values for key.
func (c NATSCarrier) Set(key, value string) {
	if c != nil {
		c[key] = []string{value}
	}
}

// Keys lists the header keys.
func (c NATSCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// MapCarrier adapts a string map such as object metadata or queue message
// attributes. Keys are written lower case (S3 lower-cases user metadata) and
// read case-insensitively.
type MapCarrier map[string]string

var _ propagation.TextMapCarrier = MapCarrier(nil)

// Map adapts a string map as a carrier. Set on a nil map is a no-op, so make
// the map before injecting.
func Map(m map[string]string) MapCarrier { return MapCarrier(m) }

// Get returns the value for key, matched case-insensitively.
func (c MapCarrier) Get(key string) string {
	if v, ok := c[key]; ok {
		return v
	}
	if v, ok := c[strings.ToLower(key)]; ok {
		return v
	}
	for k, v := range c {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// Set stores value under the lower-cased key.
func (c MapCarrier) Set(key, value string) {
	if c != nil {
		c[strings.ToLower(key)] = value
	}
}

// Keys lists the map's keys.
func (c MapCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// FromXRay returns ctx carrying the remote span context of an X-Ray trace
// header (an invoke.Request's TraceID, _X_AMZN_TRACE_ID), or ctx unchanged
// when the header is empty or does not parse.
func FromXRay(ctx context.Context, header string) context.Context {
	if header == "" {
		return ctx
	}
	sc, err := ParseXRay(header)
	if err != nil {
		return ctx
	}
	return trace.ContextWithRemoteSpanContext(ctx, sc)
}
