package events

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus/bustest"
	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/services/topic"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/teltest"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// TestFireScheduledRule fires one tick of a scheduled rule under a tick
// span: its function, queue (through an InputTransformer) and topic targets
// each get the EventBridge scheduled event once, in a Consumer span under
// the tick that the invocation and the messages continue. A pattern rule
// matching aws.events gets nothing, a disabled scheduled rule is not fired.
func TestFireScheduledRule(t *testing.T) {
	ctx := context.Background()
	b := bustest.Start(t, t.TempDir())
	defer b.Close()
	tel := teltest.New(t)
	qs := queue.New(b.JetStream(), queue.Options{Telemetry: tel})
	defer qs.Close()
	if err := qs.Apply(ctx, []queue.Config{{ID: "Ticks"}, {ID: "Notified"}, {ID: "Spy"}}); err != nil {
		t.Fatal(err)
	}
	inv := &invoker{}
	ts := topic.New(b.JetStream(), inv, qs, topic.Options{Telemetry: tel})
	defer ts.Close()
	if err := ts.Apply(ctx, []topic.Config{{ID: "Alarms", Subscriptions: []topic.Subscription{{ID: "Q", Protocol: topic.SQS, Endpoint: "Notified", Raw: true}}}}); err != nil {
		t.Fatal(err)
	}
	ts.Start()
	s := New(b.JetStream(), inv, qs, topics{ts}, Options{Region: "eu-west-1", AccountID: "111122223333", Telemetry: tel})
	defer s.Close()
	err := s.Apply(ctx, Config{Rules: []Rule{
		{ID: "Tick", Name: "every-minute", Schedule: "rate(1 minute)", Enabled: true, Targets: []Target{
			{ID: "Fn", Kind: Function, Name: "sweeper"},
			{ID: "Q", Kind: Queue, Name: "Ticks", Transformer: &Transformer{PathsMap: map[string]string{"at": "$.time"},
				Template: `{"rule": <aws.events.rule-arn>, "at": <at>}`}},
			{ID: "T", Kind: Topic, Name: "Alarms"},
		}},
		{ID: "Off", Schedule: "rate(1 minute)", Enabled: false, Targets: []Target{{ID: "Fn", Kind: Function, Name: "off-fn"}}},
		{ID: "AllAWS", Enabled: true, Pattern: `{"source": ["aws.events"]}`, Targets: []Target{{ID: "Q", Kind: Queue, Name: "Spy"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	tick := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tctx, root := teltest.Root(tel, "Tick")
	if err := s.Fire(tctx, "Tick", tick); err != nil {
		t.Fatal(err)
	}
	root.End()
	if err := s.Fire(ctx, "Off", tick); err != nil {
		t.Fatalf("firing a disabled rule: %v, want nothing done", err)
	}
	if err := s.Fire(ctx, "Ghost", tick); err == nil || !strings.Contains(err.Error(), "no scheduled rule Ghost") {
		t.Errorf("firing a rule not deployed: %v", err)
	}
	if err := s.Fire(ctx, "AllAWS", tick); err == nil {
		t.Errorf("firing a pattern rule: no error")
	}

	const arn = "arn:aws:events:eu-west-1:111122223333:rule/every-minute"
	checkEvent := func(who, body string) {
		t.Helper()
		var ev map[string]any
		if err := json.Unmarshal([]byte(body), &ev); err != nil {
			t.Fatalf("%s got %s: %v", who, body, err)
		}
		res, _ := ev["resources"].([]any)
		d, _ := ev["detail"].(map[string]any)
		if ev["version"] != "0" || ev["detail-type"] != "Scheduled Event" || ev["source"] != "aws.events" || ev["account"] != "111122223333" ||
			ev["region"] != "eu-west-1" || ev["time"] != "2026-11-22T10:00:00Z" || ev["id"] == "" || len(res) != 1 || res[0] != arn || d == nil || len(d) != 0 {
			t.Errorf("%s got %s, want the scheduled event of the tick", who, body)
		}
	}
	eventually(t, 10*time.Second, "the function invoked", func() bool { return len(inv.requests()) == 1 })
	req := inv.requests()[0]
	if req.Function != "sweeper" || req.Trigger != telemetry.TriggerTimer {
		t.Errorf("invoked %s with trigger %q, want sweeper with %q", req.Function, req.Trigger, telemetry.TriggerTimer)
	}
	checkEvent("the function", string(req.Payload))
	if got := receive(t, qs, "Notified", 1); len(got) == 1 {
		checkEvent("the topic", got[0])
	}
	msgs, err := qs.Receive(ctx, "Ticks", 10, 5*time.Second)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Ticks gave %d messages (%v), want 1", len(msgs), err)
	}
	if want := `{"rule": "` + arn + `", "at": "2026-11-22T10:00:00Z"}`; msgs[0].Body != want {
		t.Errorf("Ticks got %s, want the transformed event %s", msgs[0].Body, want)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(inv.requests()); n != 1 {
		t.Errorf("%d invocations, want one (the disabled rule's target is not invoked)", n)
	}
	if spy, _ := qs.Receive(ctx, "Spy", 10, 100*time.Millisecond); len(spy) != 0 {
		t.Errorf("a pattern rule got the scheduled event: %v", spy[0].Body)
	}

	// Traced: tick -> deliver -> invocation, queue send, topic publish.
	tid, pid := teltest.Parent(t, req.TraceID)
	if tid != root.TraceID() {
		t.Fatalf("the invocation is in trace %s, want the tick's %s", tid, root.TraceID())
	}
	all := teltest.Trace(t, tel, tid)
	eventually(t, 10*time.Second, "the delivery span stored", func() bool {
		all = teltest.Trace(t, tel, tid)
		return len(teltest.Named(all, "default deliver")) == 1
	})
	d := teltest.One(t, all, "default deliver")
	if d.ParentID != teltest.ID(root.SpanContext()) || d.Kind != telemetry.Consumer || pid != d.SpanID {
		t.Errorf("deliver span %+v (invocation's parent %s): want a Consumer under the tick, parent of the invocation", d, pid)
	}
	if send := teltest.One(t, all, "Ticks send"); send.ParentID != d.SpanID {
		t.Errorf("the queue send's parent %s is not the delivery", send.ParentID)
	} else if _, p := teltest.Parent(t, msgs[0].Attributes[tracectx.AWSTraceHeader]); p != send.SpanID {
		t.Errorf("the message's AWSTraceHeader does not continue the send span")
	}
	if pub := teltest.One(t, all, "Alarms publish"); pub.ParentID != d.SpanID {
		t.Errorf("the topic publish's parent %s is not the delivery", pub.ParentID)
	}
}

// A scheduled rule runs on the default bus only, as on EventBridge.
func TestScheduledRuleOnOtherBus(t *testing.T) {
	s := New(nil, nil, nil, nil, Options{})
	err := s.Check(Config{Buses: []Bus{{ID: "OrdersBus", Name: "orders"}}, Rules: []Rule{
		{ID: "Tick", Bus: "orders", Schedule: "rate(1 minute)", Enabled: true, Targets: []Target{{Kind: Function, Name: "f"}}},
	}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "rule Tick") || !strings.Contains(err.Error(), "leave EventBusName out") {
		t.Errorf("got %v, want an error naming the rule and the fix", err)
	}
}
