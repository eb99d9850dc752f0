package schedule

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/bus/bustest"
	"github.com/stacklab/stacklab/internal/invoke"
)

// recorder is an Invoker that keeps its requests.
type recorder struct {
	mu   sync.Mutex
	reqs []invoke.Request
}

func (r *recorder) Invoke(_ context.Context, req invoke.Request) (invoke.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	return invoke.Result{}, nil
}

func (r *recorder) requests() []invoke.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]invoke.Request(nil), r.reqs...)
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func startBus(t *testing.T) *bus.Bus {
	t.Helper()
	b := bustest.Start(t, t.TempDir())
	t.Cleanup(b.Close)
	return b
}

func TestTwoSchedulersFireEachTickOnce(t *testing.T) {
	b := startBus(t)
	clock := NewManualClock(ts("2026-11-22T02:10:30Z"))
	rec := &recorder{}
	ctx := context.Background()
	var scheds []*Scheduler
	for range 2 {
		s, err := New(ctx, b.JetStream(), rec, Options{Region: "eu-west-1", AccountID: "123456789012", Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, s)
	}
	every, err := Parse("rate(1 minute)")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scheds {
		s.Start([]Job{{Rule: "Sweep", Function: "sweeper", Schedule: every}})
	}
	const ticks = 3
	for i := range ticks {
		waitFor(t, "both schedulers to wait for a tick", func() bool { return clock.Pending() == 2 })
		if got := len(rec.requests()); got != i {
			t.Fatalf("after %d ticks got %d invocations, want %d", i, got, i)
		}
		clock.Advance(time.Minute)
	}
	waitFor(t, "both schedulers to wait again", func() bool { return clock.Pending() == 2 })
	for _, s := range scheds {
		s.Close()
	}
	reqs := rec.requests()
	if len(reqs) != ticks {
		t.Fatalf("got %d invocations, want %d (one a tick)", len(reqs), ticks)
	}
	for i, r := range reqs {
		if r.Type != invoke.Event || r.Function != "sweeper" {
			t.Errorf("request %d = %s %s, want Event sweeper", i, r.Type, r.Function)
		}
		var ev map[string]any
		if err := json.Unmarshal(r.Payload, &ev); err != nil {
			t.Fatalf("payload %s: %v", r.Payload, err)
		}
		want := ts("2026-11-22T02:11:00Z").Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
		if ev["time"] != want || ev["detail-type"] != "Scheduled Event" || ev["source"] != "aws.events" || ev["version"] != "0" || ev["region"] != "eu-west-1" || ev["account"] != "123456789012" {
			t.Errorf("event %d = %s, want a Scheduled Event at %s", i, r.Payload, want)
		}
		if res, _ := ev["resources"].([]any); len(res) != 1 || res[0] != "arn:aws:events:eu-west-1:123456789012:rule/Sweep" {
			t.Errorf("event %d resources = %v", i, ev["resources"])
		}
		if d, ok := ev["detail"].(map[string]any); !ok || len(d) != 0 {
			t.Errorf("event %d detail = %v, want {}", i, ev["detail"])
		}
	}
}

func TestFireInputOnce(t *testing.T) {
	b := startBus(t)
	rec := &recorder{}
	ctx := context.Background()
	s, err := New(ctx, b.JetStream(), rec, Options{Region: "us-east-1", AccountID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	every, _ := Parse("cron(0 10 * * ? *)")
	j := Job{Rule: "Fn-Nightly.x", Function: "f", Schedule: every, Input: []byte(`{"k":"v"}`)}
	tick := ts("2026-11-22T10:00:00Z")
	for range 3 {
		if err := s.Fire(ctx, j, tick); err != nil {
			t.Fatal(err)
		}
	}
	reqs := rec.requests()
	if len(reqs) != 1 || string(reqs[0].Payload) != `{"k":"v"}` {
		t.Fatalf("got %d requests (%v), want one with the input", len(reqs), reqs)
	}
	// Another target of the same rule gets the same tick.
	j.Function = "g"
	if err := s.Fire(ctx, j, tick); err != nil {
		t.Fatal(err)
	}
	if reqs := rec.requests(); len(reqs) != 2 || reqs[1].Function != "g" {
		t.Fatalf("got %v, want the second target invoked", reqs)
	}
}

// ruleRecorder is a Rules that keeps the ticks it is given.
type ruleRecorder struct {
	mu    sync.Mutex
	ticks []string
}

func (r *ruleRecorder) Fire(_ context.Context, rule string, tick time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ticks = append(r.ticks, rule+" "+tick.UTC().Format(time.RFC3339))
	return nil
}

func (r *ruleRecorder) fired() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ticks...)
}

// A rule's job (no Function) hands each tick to Options.Rules, which
// delivers it to all the rule's targets: once a tick, even with two
// processes sharing the claims, and never as an invocation.
func TestTwoSchedulersFireEachRuleTickOnce(t *testing.T) {
	b := startBus(t)
	clock := NewManualClock(ts("2026-11-22T02:10:30Z"))
	inv, rules := &recorder{}, &ruleRecorder{}
	ctx := context.Background()
	every, _ := Parse("rate(1 minute)")
	var scheds []*Scheduler
	for range 2 {
		s, err := New(ctx, b.JetStream(), inv, Options{Clock: clock, Rules: rules})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.Start([]Job{{Rule: "Tick", Schedule: every}})
		scheds = append(scheds, s)
	}
	for range 2 {
		waitFor(t, "both schedulers to wait for a tick", func() bool { return clock.Pending() == 2 })
		clock.Advance(time.Minute)
	}
	waitFor(t, "both schedulers to wait again", func() bool { return clock.Pending() == 2 })
	for _, s := range scheds {
		s.Close()
	}
	want := []string{"Tick 2026-11-22T02:11:00Z", "Tick 2026-11-22T02:12:00Z"}
	if got := rules.fired(); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("rule ticks %v, want %v", got, want)
	}
	if reqs := inv.requests(); len(reqs) != 0 {
		t.Errorf("a rule's tick invoked %v directly", reqs)
	}
}
