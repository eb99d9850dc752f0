package events

import (
	"context"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus/bustest"
	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/teltest"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// TestPutTraceReachesTargets: an entry put under a trace is a Producer span
// of its bus; its delivery (retried once, as the function is throttled) is
// a Consumer span under it that the function's invocation and the queue's
// message continue.
func TestPutTraceReachesTargets(t *testing.T) {
	ctx := context.Background()
	b := bustest.Start(t, t.TempDir())
	defer b.Close()
	tel := teltest.New(t)
	qs := queue.New(b.JetStream(), queue.Options{Telemetry: tel})
	defer qs.Close()
	if err := qs.Apply(ctx, []queue.Config{{ID: "Audit"}}); err != nil {
		t.Fatal(err)
	}
	inv := &invoker{fail: 1}
	s := New(b.JetStream(), inv, qs, nil, Options{RetryDelay: 50 * time.Millisecond, Telemetry: tel})
	defer s.Close()
	if err := s.Apply(ctx, Config{Buses: []Bus{{ID: "OrdersBus", Name: "orders"}}, Rules: []Rule{
		{ID: "Big", Bus: "orders", Enabled: true, Pattern: `{"source": ["shop"]}`, Targets: []Target{
			{ID: "Fn", Kind: Function, Name: "big-fn"}, {ID: "Q", Kind: Queue, Name: "Audit"},
		}},
	}}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	pctx, root := teltest.Root(tel, "shop")
	res, err := s.Put(pctx, []Entry{{EventBusName: "orders", Source: "shop", DetailType: "Order", Detail: `{"n":1}`}})
	if err != nil || res.FailedEntryCount != 0 {
		t.Fatalf("put: %+v %v", res, err)
	}
	root.End()
	eventually(t, 20*time.Second, "the function invoked", func() bool { return len(inv.requests()) == 1 })
	msgs, err := qs.Receive(ctx, "Audit", 1, 5*time.Second)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("the queue gave %d messages (%v)", len(msgs), err)
	}
	req := inv.requests()[0]
	if req.Trigger != telemetry.TriggerPubSub {
		t.Errorf("trigger %q, want %q", req.Trigger, telemetry.TriggerPubSub)
	}
	tid, pid := teltest.Parent(t, req.TraceID)
	if tid != root.TraceID() {
		t.Fatalf("the invocation is in trace %s, want the putter's %s", tid, root.TraceID())
	}
	spans := teltest.Trace(t, tel, tid)
	eventually(t, 10*time.Second, "both delivery spans stored", func() bool {
		spans = teltest.Trace(t, tel, tid)
		return len(teltest.Named(spans, "OrdersBus deliver")) == 2
	})
	put := teltest.One(t, spans, "OrdersBus put")
	if put.ParentID != teltest.ID(root.SpanContext()) || put.Kind != telemetry.Producer || put.Resource != "OrdersBus" {
		t.Errorf("put span %+v: want a Producer of OrdersBus, child of the putter", put)
	}
	deliveries := map[string]bool{}
	retried := ""
	for _, d := range teltest.Named(spans, "OrdersBus deliver") {
		deliveries[d.SpanID] = true
		if d.ParentID != put.SpanID || d.Kind != telemetry.Consumer {
			t.Errorf("deliver span %+v: want a Consumer, child of the put", d)
		}
		if len(d.Events) > 0 && d.Events[len(d.Events)-1].Name == "retry" {
			retried = d.SpanID
		}
	}
	if retried == "" || pid != retried {
		t.Errorf("the invocation's parent %s is not the retried delivery %q", pid, retried)
	}
	send := teltest.One(t, spans, "Audit send")
	if !deliveries[send.ParentID] {
		t.Errorf("the queue send's parent %s is not a delivery span", send.ParentID)
	}
	if _, p := teltest.Parent(t, msgs[0].Attributes[tracectx.AWSTraceHeader]); p != send.SpanID {
		t.Errorf("the message's AWSTraceHeader does not continue the send span")
	}
}
