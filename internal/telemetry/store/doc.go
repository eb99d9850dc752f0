// Package store keeps spans and invocation records in an SQLite database
// (modernc.org/sqlite, pure Go) under a directory such as .stacklab/telemetry,
// and answers the questions the CLI and dashboard ask: recent traces, one
// trace's spans, invocation statistics per function and version, and the
// service map.
//
// Recording never waits: AddSpan and AddInvocation hand the record to a
// bounded buffer and return; one goroutine writes batches in transactions
// (WAL mode). When the buffer is full or the database fails (a full disk),
// records are dropped and counted, and Status says so; the invocations that
// produced them carry on. Retention by age and by size runs periodically in
// the same goroutine.
//
// A trace's summary (for listing traces) is a row of its own, folded in as
// its spans arrive, except for a trace that is one invocation record, which
// is its own summary (solo.go).
//
// The package knows the records of package model and nothing of OpenTelemetry
// or of the hops that produce the records.
package store
