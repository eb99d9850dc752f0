package telemetry

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// traceOf flushes tel and reads one trace back.
func traceOf(t *testing.T, tel *Telemetry, traceID string) []model.Span {
	t.Helper()
	ctx := context.Background()
	if err := tel.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	spans, err := tel.Store().Trace(ctx, traceID)
	if err != nil {
		t.Fatal(err)
	}
	return spans
}

func TestStartBatch(t *testing.T) {
	tel := newTelemetry(t, Config{Dir: t.TempDir()})
	ctx := context.Background()
	send := func(root bool, parent context.Context) trace.SpanContext {
		if root {
			parent = ctx
		}
		_, s := tel.StartSpan(parent, "send", Producer, Resource("Q"))
		s.End()
		return s.SpanContext()
	}
	upload, up := tel.StartSpan(ctx, "upload", Server)
	up.End()
	same := []trace.SpanContext{send(false, upload), send(false, upload), send(false, upload)}
	mixed := []trace.SpanContext{send(true, nil), send(true, nil), {}}

	for _, tt := range []struct {
		name      string
		parents   []trace.SpanContext
		parent    trace.SpanContext // want; invalid: a new root
		links     int
		sameTrace bool
	}{
		{"none", nil, trace.SpanContext{}, 0, false},
		{"one", same[:1], same[0], 0, true},
		{"one trace", same, same[0], 3, true},
		{"one send call", []trace.SpanContext{same[0], same[0], same[0]}, same[0], 0, true},
		{"mixed traces, an invalid one skipped", mixed, trace.SpanContext{}, 2, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, s := tel.StartBatch(ctx, "process", Consumer, tt.parents, Resource("Q"))
			s.End()
			spans := traceOf(t, tel, s.TraceID())
			var got *model.Span
			for i := range spans {
				if spans[i].SpanID == s.SpanContext().SpanID().String() {
					got = &spans[i]
				}
			}
			if got == nil {
				t.Fatal("the batch span is not stored")
			}
			wantParent := ""
			if tt.parent.IsValid() {
				wantParent = tt.parent.SpanID().String()
			}
			if got.ParentID != wantParent || len(got.Links) != tt.links {
				t.Errorf("parent %q with %d links, want %q with %d", got.ParentID, len(got.Links), wantParent, tt.links)
			}
			if inSame := s.TraceID() == same[0].TraceID().String(); inSame != tt.sameTrace {
				t.Errorf("in the upload's trace: %v, want %v", inSame, tt.sameTrace)
			}
		})
	}
}

func TestEntryKind(t *testing.T) {
	tel := newTelemetry(t, Config{})
	ctx := context.Background()
	local, s := tel.StartSpan(ctx, "local", Internal)
	defer s.End()
	remote := trace.ContextWithRemoteSpanContext(ctx, s.SpanContext())
	for _, tt := range []struct {
		name string
		ctx  context.Context
		want Kind
	}{{"no span", ctx, Server}, {"remote", remote, Server}, {"local", local, Client}} {
		if got := EntryKind(tt.ctx); got != tt.want {
			t.Errorf("%s: EntryKind = %v, want %v", tt.name, got, tt.want)
		}
	}
}
