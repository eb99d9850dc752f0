// Package export sends finished spans to an OpenTelemetry collector (Jaeger,
// Tempo, any OTLP receiver) over OTLP/HTTP or OTLP/gRPC, using the official
// OpenTelemetry exporters.
//
// Export runs beside the span store and must never slow an invocation: the
// Processor hands spans to a bounded buffer without waiting, one goroutine
// sends them in batches (the exporters retry with backoff), and spans that do
// not fit while a collector is slow or down are dropped and counted in
// Status. The package knows nothing about the store or the hops.
package export
