package dashboard

import (
	"reflect"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

func TestInvocations(t *testing.T) {
	if got := Invocations(nil, nil); got == nil || len(got) != 0 {
		t.Errorf("Invocations(nil) = %#v, want an empty list", got)
	}
	r := model.Invocation{Function: "orders-api", Version: "$LATEST", Deployment: "3", RequestID: "r1", Start: t0.In(time.FixedZone("x", 3600)),
		QueueWait: 2 * time.Millisecond, Duration: 1500 * time.Microsecond, BilledDuration: 2 * time.Millisecond, InitDuration: 100 * time.Millisecond,
		Cold: true, Outcome: model.OutcomeTimeout, MemorySizeMB: 256, MaxMemoryMB: 40, Cost: 1e-6}
	got := Invocations([]model.Invocation{r, {Function: "other"}}, map[string]string{"orders-api": "Api"})
	want := Invocation{Function: "orders-api", Resource: "Api", Version: "3", FunctionVersion: "$LATEST", RequestID: "r1", Start: t0,
		QueueWaitMS: 2, DurationMS: 1.5, BilledDurationMS: 2, InitDurationMS: 100, Cold: true, Outcome: "timeout", MemorySizeMB: 256, MaxMemoryMB: 40, Cost: 1e-6}
	if !reflect.DeepEqual(got[0], want) || got[1].Resource != "other" {
		t.Errorf("got  %+v\nwant %+v\n(and %+v named by its own name)", got[0], want, got[1])
	}
}

func TestCostOf(t *testing.T) {
	byFunction := []store.FunctionStats{
		{Function: "a-fn", Invocations: 10, GBSeconds: 1, Cost: 0.1},
		{Function: "b-fn", Invocations: 5, GBSeconds: 4, Cost: 0.4},
	}
	byVersion := []store.FunctionStats{
		{Function: "a-fn", Version: "2", Invocations: 4, GBSeconds: 0.4, Cost: 0.04},
		{Function: "a-fn", Version: "1", Invocations: 6, GBSeconds: 0.6, Cost: 0.06},
		{Function: "b-fn", Version: "2", Invocations: 5, GBSeconds: 4, Cost: 0.4},
		{Function: "b-fn", Version: "", Invocations: 1},
	}
	got := CostOf(t0.Add(-time.Hour), t0, byFunction, byVersion, map[string]string{"a-fn": "A"})
	want := Cost{Since: t0.Add(-time.Hour), Until: t0, Total: 0.5,
		Resources: []ResourceCost{{Resource: "b-fn", Function: "b-fn", Invocations: 5, GBSeconds: 4, Cost: 0.4}, {Resource: "A", Function: "a-fn", Invocations: 10, GBSeconds: 1, Cost: 0.1}},
		Versions:  []VersionCost{{Version: 1, Invocations: 6, GBSeconds: 0.6, Cost: 0.06}, {Version: 2, Invocations: 9, GBSeconds: 4.4, Cost: 0.44}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if empty := CostOf(t0, t0, nil, nil, nil); empty.Resources == nil || empty.Versions == nil {
		t.Errorf("CostOf of nothing has null lists: %+v", empty)
	}
}
