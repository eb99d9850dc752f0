// Package teltest opens a real telemetry store for tests and reads spans
// back, so that a hop's test checks what it recorded, not what a fake saw.
package teltest

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// New opens telemetry with a store in a temporary directory, closed at the
// end of the test.
func New(t testing.TB) *telemetry.Telemetry {
	t.Helper()
	tel, err := telemetry.New(context.Background(), telemetry.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("opening telemetry: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tel.Close(ctx)
	})
	return tel
}

// Trace flushes tel and returns the spans of one trace (32 hex digits).
func Trace(t testing.TB, tel *telemetry.Telemetry, traceID string) []model.Span {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tel.Flush(ctx); err != nil {
		t.Fatalf("flushing telemetry: %v", err)
	}
	spans, err := tel.Store().Trace(ctx, traceID)
	if err != nil {
		t.Fatalf("reading trace %s: %v", traceID, err)
	}
	return spans
}

// Named returns the spans called name.
func Named(spans []model.Span, name string) []model.Span {
	var out []model.Span
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// One returns the one span called name in the trace, failing the test when
// there is not exactly one.
func One(t testing.TB, spans []model.Span, name string) model.Span {
	t.Helper()
	got := Named(spans, name)
	if len(got) != 1 {
		names := make([]string, len(spans))
		for i, s := range spans {
			names[i] = s.Name
		}
		t.Fatalf("%d spans named %q, want 1; the trace has %q", len(got), name, names)
	}
	return got[0]
}

// Root starts a root span for a test to send work under and returns its
// context and span; end it before reading the trace.
func Root(tel *telemetry.Telemetry, name string) (context.Context, telemetry.Span) {
	return tel.StartSpan(context.Background(), name, telemetry.Internal, telemetry.Resource("Test"))
}

// ID is the span id of sc as 16 hex digits.
func ID(sc trace.SpanContext) string { return sc.SpanID().String() }

// Requests is an invoke.Invoker that keeps each request and passes it to
// Next (a real runtime), so a test sees the TraceID and Trigger a hop hands
// to the function.
type Requests struct {
	Next invoke.Invoker
	mu   sync.Mutex
	reqs []invoke.Request
}

var _ invoke.Invoker = (*Requests)(nil)

// Invoke implements invoke.Invoker.
func (r *Requests) Invoke(ctx context.Context, req invoke.Request) (invoke.Result, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return r.Next.Invoke(ctx, req)
}

// Seen returns the requests so far.
func (r *Requests) Seen() []invoke.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]invoke.Request(nil), r.reqs...)
}

// Parent parses an X-Ray header (an invoke.Request's TraceID, an
// AWSTraceHeader) into its trace id and parent span id, failing the test
// when it does not parse.
func Parent(t testing.TB, header string) (traceID, spanID string) {
	t.Helper()
	sc, err := tracectx.ParseXRay(header)
	if err != nil {
		t.Fatalf("trace header %q: %v", header, err)
	}
	return sc.TraceID().String(), sc.SpanID().String()
}
