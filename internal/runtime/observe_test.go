package runtime

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stacklab/stacklab/internal/invoke"
)

func TestObserveRunsAndThrottles(t *testing.T) {
	echo := echoSpec(t)
	blocked := *echo
	blocked.Name, blocked.ID, blocked.Reserved = "blocked-fn", "Blocked", 0
	rt := newTestRuntime(t, Options{}, echo, &blocked)
	rt.SetDeployment("7")
	var mu sync.Mutex
	var got []Observation
	rt.Observe(func(o Observation) {
		mu.Lock()
		got = append(got, o)
		mu.Unlock()
	})

	call(t, rt, "echo-fn", `{}`)
	call(t, rt, "echo-fn", `{"fail":"no luck"}`)
	_, err := rt.Invoke(context.Background(), invoke.Request{Function: "blocked-fn", Payload: []byte(`{}`), Type: invoke.RequestResponse})
	if !errors.Is(err, invoke.ErrTooManyRequests) {
		t.Fatalf("invoking a function with reserved concurrency 0: %v, want TooManyRequests", err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("got %d observations, want 3: %+v", len(got), got)
	}
	first, second, third := got[0], got[1], got[2]
	if first.Function != "echo-fn" || first.Version != "$LATEST" || first.Deployment != "7" || !first.Cold || first.InitDuration <= 0 || first.Duration <= 0 || first.ErrorType != "" || first.Throttled {
		t.Errorf("first (cold, ok) observation: %+v", first)
	}
	if second.Cold || second.InitDuration != 0 || second.ErrorType == "" || second.ErrorType != "Unhandled" {
		t.Errorf("second (warm, handled error) observation: %+v; want the type of an error reported without one, Unhandled", second)
	}
	if !third.Throttled || third.Function != "blocked-fn" || third.Version != "$LATEST" || third.Deployment != "7" {
		t.Errorf("third (throttled) observation: %+v", third)
	}

	states := map[string]PoolState{}
	for _, s := range rt.PoolStates() {
		states[s.Function] = s
	}
	if s := states["echo-fn"]; s.Idle != 1 || s.Busy != 0 || s.Running != 0 || s.Version != "$LATEST" || s.Deployment != "7" {
		t.Errorf("echo-fn state %+v, want one idle instance and nothing running", s)
	}
	if s, ok := states["blocked-fn"]; !ok || s.Idle+s.Busy+s.Running != 0 {
		t.Errorf("blocked-fn state %+v (listed %v), want listed with nothing", s, ok)
	}

	rt.Observe(nil)
	call(t, rt, "echo-fn", `{}`)
	if len(got) != 3 {
		t.Errorf("an observation after Observe(nil): %+v", got[3:])
	}
}
