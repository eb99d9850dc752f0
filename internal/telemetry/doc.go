// Package telemetry is what the hops of a stacklab stack call to be traced
// and measured: StartSpan/End for every hop, Record for every invocation.
//
// It wraps the OpenTelemetry Go SDK: spans are real OpenTelemetry spans, with
// the FaaS and messaging semantic conventions (see attrs.go), and every span
// that ends goes, without waiting, to the SQLite span store (package store)
// and, when configured, to an OTLP collector (package export). Invocation
// records are billed at the configured prices and stored beside the spans.
// The gateway and the runtime, on the path of every request, make their
// spans without the SDK (Begin, LocalSpan; the ids in model.Invocation) and
// the store keeps an invocation's spans in its record's row; export still
// gets them as SDK spans (direct.go, docs/design/0021).
//
// The subpackages each hold one idea: tracectx carries trace context through
// HTTP, NATS headers and string maps (W3C and X-Ray formats); model holds the
// records; store keeps and queries them; critpath finds critical paths and
// bottlenecks; export speaks OTLP; render draws all of it for a terminal.
//
// The hot-path rule: nothing here makes an invocation wait. Recording is a
// hand-off to a bounded buffer that drops and counts when full; Status says
// when telemetry is dropping. A nil *Telemetry is valid and records nothing,
// so a hop can run with tracing off.
//
// This package knows nothing about the hops that call it (runtime, gateway,
// invoke, services); they depend on it, never the other way round.
package telemetry
