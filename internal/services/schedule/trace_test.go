package schedule

import (
	"context"
	"testing"

	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/teltest"
)

// TestEachTickIsANewTrace: every fired tick is the root of its own trace,
// a Producer span with the timer attributes, and the invocation is its
// child; a tick fired under another span still starts a new trace.
func TestEachTickIsANewTrace(t *testing.T) {
	tel := teltest.New(t)
	rec := &recorder{}
	s, err := New(context.Background(), startBus(t).JetStream(), rec, Options{Telemetry: tel})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sched, err := Parse("rate(5 minutes)")
	if err != nil {
		t.Fatal(err)
	}
	j := Job{Rule: "NightlyRule", Function: "fn", Schedule: sched}
	outer, span := teltest.Root(tel, "elsewhere")
	for _, tick := range []string{"2026-11-22T02:10:00Z", "2026-11-22T02:15:00Z"} {
		if err := s.Fire(outer, j, ts(tick)); err != nil {
			t.Fatal(err)
		}
	}
	span.End()
	reqs := rec.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d invocations, want 2", len(reqs))
	}
	traces := map[string]bool{}
	for i, req := range reqs {
		if req.Trigger != telemetry.TriggerTimer {
			t.Errorf("trigger %q, want %q", req.Trigger, telemetry.TriggerTimer)
		}
		tid, pid := teltest.Parent(t, req.TraceID)
		traces[tid] = true
		if tid == span.TraceID() {
			t.Errorf("tick %d continued the caller's trace; a tick starts a new one", i)
		}
		tick := teltest.One(t, teltest.Trace(t, tel, tid), "NightlyRule")
		if tick.SpanID != pid || tick.ParentID != "" || tick.Kind != telemetry.Producer || tick.Resource != "NightlyRule" {
			t.Errorf("tick span %+v: want a root Producer of NightlyRule, the invocation's parent", tick)
		}
		if tick.Attributes["faas.trigger"] != telemetry.TriggerTimer || tick.Attributes["faas.cron"] != "rate(5 minutes)" || tick.Attributes["faas.time"] == nil {
			t.Errorf("tick attributes %v", tick.Attributes)
		}
	}
	if len(traces) != 2 {
		t.Errorf("the ticks share a trace: %v", traces)
	}
}
