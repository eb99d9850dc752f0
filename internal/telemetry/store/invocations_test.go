package store

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

func TestInvocations(t *testing.T) {
	s := open(t, Options{})
	in := model.Invocation{
		Function: "Fn", Version: "3", Deployment: "d7", RequestID: "req-1", TraceID: traceID(5), Trigger: "pubsub",
		Start: t0, QueueWait: ms(4), InitDuration: ms(200), Duration: ms(31), MemorySizeMB: 256, MaxMemoryMB: 80,
		Cold: true, Outcome: model.OutcomeUnhandled, Retries: 0,
	}
	model.DefaultPrices.Bill(&in)
	retry := in
	retry.Retries, retry.Start, retry.Cold, retry.InitDuration, retry.Outcome = 1, t0.Add(time.Second), false, 0, model.OutcomeOK
	model.DefaultPrices.Bill(&retry)
	s.AddInvocation(in)
	s.AddInvocation(retry)
	s.AddInvocation(model.Invocation{Function: "Other", RequestID: "req-2", Start: t0, Outcome: model.OutcomeOK})
	flush(t, s)

	got, err := s.Invocations(context.Background(), InvocationFilter{RequestID: "req-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Retries != 1 || got[1].Retries != 0 {
		t.Fatalf("got %+v, want the retry then the first attempt", got)
	}
	g := got[1]
	g.Start, in.Start = g.Start.UTC(), in.Start.UTC()
	if !reflect.DeepEqual(g, in) {
		t.Errorf("stored record\n%+v\nwant\n%+v", g, in)
	}
	byTrace, err := s.Invocations(context.Background(), InvocationFilter{TraceID: "1-00000000-000000000000000000000006", Function: "Fn", Version: "3"})
	if err != nil || len(byTrace) != 2 {
		t.Errorf("by trace: %d records, err %v; want 2", len(byTrace), err)
	}
	if _, err := s.Invocations(context.Background(), InvocationFilter{TraceID: "nope"}); !errors.Is(err, ErrBadTraceID) {
		t.Errorf("bad trace id: err = %v, want ErrBadTraceID", err)
	}
	limited, _ := s.Invocations(context.Background(), InvocationFilter{Limit: 1})
	if len(limited) != 1 || limited[0].RequestID != "req-1" || limited[0].Retries != 1 {
		t.Errorf("limit 1 = %+v, want the newest record", limited)
	}
}

func TestCompareVersions(t *testing.T) {
	stats := []FunctionStats{
		{Function: "Scorer", Version: "10", Invocations: 10, Cost: 1, ErrorRate: 0.1, Duration: Latency{P50: ms(50), P95: ms(90)}},
		{Function: "Scorer", Version: "9", Invocations: 10, Cost: 4, ErrorRate: 0.0, Duration: Latency{P50: ms(200), P95: ms(300)}},
		{Function: "Api", Version: "1", Invocations: 5},
	}
	got := CompareVersions(stats)
	if len(got) != 1 {
		t.Fatalf("got %d changes, want 1 (Api has one version): %+v", len(got), got)
	}
	c := got[0]
	if c.From != "9" || c.To != "10" {
		t.Errorf("compared %s -> %s, want 9 -> 10 (numeric order)", c.From, c.To)
	}
	for name, v := range map[string][2]float64{
		"p50":  {c.P50Ratio, 0.25},
		"p95":  {c.P95Ratio, 0.3},
		"err":  {c.ErrorRateDelta, 0.1},
		"cost": {c.CostPerInvocationRatio, 0.25},
	} {
		if math.Abs(v[0]-v[1]) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, v[0], v[1])
		}
	}
	if CompareVersions(nil) != nil {
		t.Error("no stats should compare to nothing")
	}
}
