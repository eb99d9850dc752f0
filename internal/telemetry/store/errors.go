package store

import "errors"

// Errors returned by the store.
var (
	// ErrClosed is returned for work asked of a closed store.
	ErrClosed = errors.New("telemetry store is closed")
	// ErrTraceNotFound is returned by Trace for a trace id with no spans.
	ErrTraceNotFound = errors.New("trace not found")
	// ErrBadTraceID is returned for a trace id that is neither 32 hex digits
	// nor an X-Ray root (1-<8 hex>-<24 hex>).
	ErrBadTraceID = errors.New("bad trace id: want 32 hex digits or an X-Ray root like 1-5759e988-bd862e3fe1be46a994272793")
)
