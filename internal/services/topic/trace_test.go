package topic

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

// TestPublishTraceReachesSubscriptions: a publish under a trace is a
// Producer span; its delivery (retried once, as the function is throttled)
// is a Consumer span under it, and the function's invocation and the
// queue's message continue the delivery.
func TestPublishTraceReachesSubscriptions(t *testing.T) {
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
	s := New(b.JetStream(), inv, qs, Options{RetryDelay: 50 * time.Millisecond, Telemetry: tel})
	defer s.Close()
	if err := s.Apply(ctx, []Config{{ID: "Orders", Name: "orders", Subscriptions: []Subscription{
		{ID: "Fn", Protocol: Lambda, Endpoint: "fn"},
		{ID: "Q", Protocol: SQS, Endpoint: "Audit"},
	}}}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	pctx, root := teltest.Root(tel, "order")
	if _, err := s.Publish(pctx, "Orders", PublishInput{Message: "m"}); err != nil {
		t.Fatal(err)
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
		t.Fatalf("the invocation is in trace %s, want the publisher's %s", tid, root.TraceID())
	}
	var spans = teltest.Trace(t, tel, tid)
	eventually(t, 10*time.Second, "both delivery spans stored", func() bool {
		spans = teltest.Trace(t, tel, tid)
		return len(teltest.Named(spans, "Orders deliver")) == 2
	})
	pub := teltest.One(t, spans, "Orders publish")
	if pub.ParentID != teltest.ID(root.SpanContext()) || pub.Kind != telemetry.Producer || pub.Resource != "Orders" {
		t.Errorf("publish span %+v: want a Producer of Orders, child of the publisher", pub)
	}
	var retried bool
	for _, d := range teltest.Named(spans, "Orders deliver") {
		if d.ParentID != pub.SpanID || d.Kind != telemetry.Consumer {
			t.Errorf("deliver span %+v: want a Consumer, child of the publish", d)
		}
		if len(d.Events) > 0 && d.Events[0].Name == "retry" {
			retried = true
			if d.SpanID != pid {
				t.Errorf("the invocation's parent %s is not the retried delivery %s", pid, d.SpanID)
			}
		}
	}
	if !retried {
		t.Error("no delivery span has a retry event")
	}
	send := teltest.One(t, spans, "Audit send")
	fromDelivery := false
	for _, d := range teltest.Named(spans, "Orders deliver") {
		fromDelivery = fromDelivery || send.ParentID == d.SpanID
	}
	if !fromDelivery {
		t.Errorf("the queue send's parent %s is not a delivery span", send.ParentID)
	}
	if _, p := teltest.Parent(t, msgs[0].Attributes[tracectx.AWSTraceHeader]); p != send.SpanID {
		t.Errorf("the message's AWSTraceHeader does not continue the send span")
	}
}
