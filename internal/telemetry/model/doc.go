// Package model holds the plain records telemetry stores and analyses: a
// finished span, an invocation record, and the prices that turn an invocation
// into a cost.
//
// It is the neutral package the span store, the analyses and the hops share,
// so it knows nothing about SQLite, OpenTelemetry's SDK or exporters.
package model
