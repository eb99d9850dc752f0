// Package tracectx carries trace context between the hops of a stacklab stack.
//
// It parses and formats the W3C Trace Context headers (traceparent and
// tracestate) and the AWS X-Ray header (X-Amzn-Trace-Id, also the value of
// _X_AMZN_TRACE_ID and Lambda-Runtime-Trace-Id), maps one to the other the way
// the OpenTelemetry X-Ray propagator does, and moves the result through the
// carriers stacklab uses: HTTP headers, NATS message headers, and string maps
// (object metadata, queue message attributes).
//
// A header that does not parse is never an error for the caller of Extract: the
// context comes back unchanged, so the next span starts a new trace. The
// package knows nothing about spans, stores or exporters.
package tracectx
