package table

import (
	"context"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/teltest"
)

// TestStreamBatchContinuesTheWrites: writes under a trace make PutItem
// spans whose contexts ride on the stream records; the mapping's batch is
// a Consumer span linked to each write (a child of the first, since they
// share a trace), retried with an event, and the invocation's TraceID is
// that span's.
func TestStreamBatchContinuesTheWrites(t *testing.T) {
	rt := echoRuntime(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Start(ctx, bus.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	tel := teltest.New(t)
	s := New(b.JetStream(), Options{RetryDelay: 50 * time.Millisecond, Telemetry: tel})
	t.Cleanup(func() { s.Close(); b.Close() })
	if err := s.Apply(ctx, []Config{{ID: "Chunks", Name: "chunks", HashKey: Key{"job", "S"}, RangeKey: &Key{"chunk", "N"}, StreamViewType: "KEYS_ONLY"}}); err != nil {
		t.Fatal(err)
	}
	wctx, root := teltest.Root(tel, "scorer")
	for _, it := range []string{
		`{"job":{"S":"j1"},"chunk":{"N":"1"}}`, `{"job":{"S":"j1"},"chunk":{"N":"2"}}`, `{"job":{"S":"j1"},"chunk":{"N":"1"},"x":{"S":"y"}}`,
	} {
		if _, err := s.Put(wctx, "Chunks", item(t, it)); err != nil {
			t.Fatal(err)
		}
	}
	root.End()

	rec := &recorder{next: rt, failFirst: 1}
	reqs := &teltest.Requests{Next: rec}
	if err := s.StartPollers(ctx, reqs, []Mapping{{ID: "Agg", Table: "Chunks", Function: "echo-fn", BatchSize: 3, StartingPosition: "TRIM_HORIZON"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the batch delivered", func() bool { return len(rec.records()) == 3 })
	s.StopPollers()

	seen := reqs.Seen()
	if len(seen) != 2 || seen[0].TraceID != seen[1].TraceID {
		t.Fatalf("%d invocations, want the batch and its retry with one TraceID: %+v", len(seen), seen)
	}
	if seen[0].Trigger != telemetry.TriggerDatasource {
		t.Errorf("trigger %q, want %q", seen[0].Trigger, telemetry.TriggerDatasource)
	}
	tid, pid := teltest.Parent(t, seen[0].TraceID)
	if tid != root.TraceID() {
		t.Fatalf("the invocation is in trace %s, want the writes' %s", tid, root.TraceID())
	}
	spans := teltest.Trace(t, tel, tid)
	puts := teltest.Named(spans, "PutItem")
	if len(puts) != 3 {
		t.Fatalf("%d PutItem spans, want 3", len(puts))
	}
	ops := map[string]int{}
	byID := map[string]model.Span{}
	for _, p := range puts {
		byID[p.SpanID] = p
		ops[p.Attributes["faas.document.operation"].(string)]++
		if p.Kind != telemetry.Client || p.Resource != "Chunks" || p.ParentID != teltest.ID(root.SpanContext()) {
			t.Errorf("PutItem span %+v: want a Client span of Chunks, child of the writer", p)
		}
	}
	if ops[telemetry.DocInsert] != 2 || ops[telemetry.DocEdit] != 1 {
		t.Errorf("write operations %v, want 2 inserts and 1 edit", ops)
	}
	if name := puts[0].Attributes["faas.document.name"]; name != "j1/1" && name != "j1/2" {
		t.Errorf("faas.document.name %v, want the key values", name)
	}
	st := teltest.One(t, spans, "Chunks stream")
	if st.SpanID != pid || st.Kind != telemetry.Consumer {
		t.Errorf("the invocation's parent %s is not the Consumer span %s", pid, st.SpanID)
	}
	if len(st.Links) != 3 {
		t.Errorf("the stream span has %d links, want one to each of 3 writes", len(st.Links))
	}
	for _, l := range st.Links {
		if _, ok := byID[l.SpanID]; !ok {
			t.Errorf("link %s is not a PutItem span", l.SpanID)
		}
	}
	if _, ok := byID[st.ParentID]; !ok {
		t.Errorf("the stream span's parent %s is not a PutItem span", st.ParentID)
	}
	if len(st.Events) != 1 || st.Events[0].Name != "retry" {
		t.Errorf("stream span events %+v, want one retry", st.Events)
	}
}
