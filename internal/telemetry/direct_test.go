package telemetry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/stacklab/stacklab/internal/telemetry/export"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// TestDirectSpans: a span begun without the tracer (the gateway's) and an
// invocation record carrying its spans (the runtime's) are stored as one
// trace, with the tracer's conventions, and exported to a collector.
func TestDirectSpans(t *testing.T) {
	rec := &otlpCounter{names: map[string]int{}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	tel := newTelemetry(t, Config{Dir: t.TempDir(), Export: &export.Config{Endpoint: srv.URL}})

	// A client's traceparent: the gateway span continues its trace.
	in := http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	ctx, gw := tel.Begin(tracectx.Extract(context.Background(), tracectx.HTTP(in)), "POST /echo", Server,
		Resource("Api"), HTTPMethod("POST"), HTTPRoute("/echo"))
	sc := trace.SpanContextFromContext(ctx)
	if !sc.Equal(gw.SpanContext()) || sc.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || sc.IsRemote() {
		t.Fatalf("context carries %v, want the gateway span's local context in the client's trace", sc)
	}
	if EntryKind(ctx) != Client {
		t.Error("a call made under a begun span is not a client call")
	}
	start := time.Now()
	inv := model.Invocation{Function: "Echo", Version: "$LATEST", RequestID: "req-1", TraceID: sc.TraceID().String(),
		Trigger: TriggerHTTP, Start: start, Duration: time.Millisecond, MemorySizeMB: 128, Outcome: model.OutcomeUnhandled,
		SpanID: NewSpanID().String(), ParentID: sc.SpanID().String(), RunID: NewSpanID().String(), Resource: "EchoFunction",
		Instance: "i-1", End: start.Add(2 * time.Millisecond), RunStart: start, RunEnd: start.Add(time.Millisecond),
		StatusMessage: "Runtime.ExitError"}
	if LocalSpanFrom(ctx) != gw {
		t.Fatal("the begun span is not in its context")
	}
	tel.RecordUnder(gw, inv) // kept with the gateway span, stored as it ends
	gw.SetAttributes(HTTPStatus(502))
	gw.Fail("502", "Bad Gateway")
	gw.End()

	ctxT, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tel.Flush(ctxT); err != nil {
		t.Fatal(err)
	}
	view, err := tel.Trace(ctxT, sc.TraceID().String())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]model.Span{}
	for _, s := range view.Spans {
		byName[s.Name] = s
	}
	g, fn, run := byName["POST /echo"], byName["Echo"], byName["run"]
	if len(view.Spans) != 3 {
		t.Fatalf("trace has %d spans (%v), want 3", len(view.Spans), byName)
	}
	if g.ParentID != "00f067aa0ba902b7" || g.Resource != "Api" || g.Status != model.StatusError || g.StatusMessage != "Bad Gateway" ||
		g.Attributes["error.type"] != "502" || g.Attributes["http.response.status_code"] != 502.0 || g.Attributes["http.route"] != "/echo" {
		t.Errorf("gateway span %+v", g)
	}
	if fn.ParentID != g.SpanID || fn.Function != "Echo" || fn.Resource != "EchoFunction" || fn.Status != model.StatusError || fn.Attributes["error.type"] != "unhandled" {
		t.Errorf("invocation span %+v", fn)
	}
	if run.ParentID != fn.SpanID || run.Status != model.StatusError {
		t.Errorf("run span %+v", run)
	}
	if st := tel.Status().Store; st.WrittenSpans != 3 || st.WrittenInvocations != 1 {
		t.Errorf("store wrote %d spans and %d records, want 3 and 1", st.WrittenSpans, st.WrittenInvocations)
	}
	// A record made after its caller's span ended is stored on its own.
	late := inv
	late.RequestID, late.SpanID, late.RunID = "req-2", NewSpanID().String(), ""
	tel.RecordUnder(gw, late)
	if err := tel.Flush(ctxT); err != nil {
		t.Fatal(err)
	}
	if view, err := tel.Trace(ctxT, sc.TraceID().String()); err != nil || len(view.Spans) != 4 {
		t.Errorf("after a late record the trace has %d spans (%v), want 4", len(view.Spans), err)
	}
	if err := tel.tp.ForceFlush(ctxT); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec.mu.Lock()
		got := rec.names["POST /echo"] + rec.names["Echo"] + rec.names["run"]
		rec.mu.Unlock()
		if got == 4 { // with the late record's span
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the collector got %v, want the 4 spans", rec.names)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNilBegin: without telemetry, Begin returns the context as it was
// and a span that does nothing.
func TestNilBegin(t *testing.T) {
	var tel *Telemetry
	ctx := context.Background()
	got, s := tel.Begin(ctx, "x", Server)
	if got != ctx || s != nil {
		t.Fatal("a nil Telemetry began a span")
	}
	s.SetAttributes(HTTPStatus(200))
	s.Fail("500", "x")
	s.End()
	if s.SpanContext().IsValid() {
		t.Error("a nil span has a valid context")
	}
	if tel.AddSpan(model.Span{}) {
		t.Error("a nil Telemetry stored a span")
	}
}
