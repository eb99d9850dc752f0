package invoke_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus/bustest"
	"github.com/stacklab/stacklab/internal/invoke"
)

// TestObserveAge: every attempt to run an async event reports its age, the
// first attempt and the retry of a failure alike, with the function named
// as the caller named it.
func TestObserveAge(t *testing.T) {
	rt := echoRuntime(t)
	b := bustest.Start(t, t.TempDir())
	defer b.Close()
	q, err := invoke.NewAsync(context.Background(), b.JetStream(), invoke.AsyncOptions{Runner: rt, RetryDelay: 50 * time.Millisecond,
		Policy: func(string) invoke.RetryPolicy {
			return invoke.RetryPolicy{MaximumRetryAttempts: 1, MaximumEventAge: time.Hour}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	type seen struct {
		fn  string
		age time.Duration
	}
	var mu sync.Mutex
	var ages []seen
	q.ObserveAge(func(fn string, age time.Duration) {
		mu.Lock()
		ages = append(ages, seen{fn, age})
		mu.Unlock()
	})
	rt.SetQueue(q)
	accepted := time.Now()
	if _, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn", Type: invoke.Event, Payload: []byte(`{"fail":"again"}`)}); err != nil {
		t.Fatal(err)
	}
	q.Start()
	waitFor(t, "the first attempt and its retry", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(ages) >= 2
	})
	since := time.Since(accepted)
	mu.Lock()
	defer mu.Unlock()
	for i, s := range ages {
		if s.fn != "echo-fn" || s.age <= 0 || s.age > since {
			t.Errorf("attempt %d: function %q, age %v; want echo-fn and an age between 0 and %v", i, s.fn, s.age, since)
		}
	}
	if ages[1].age <= ages[0].age {
		t.Errorf("the retry's age %v is not older than the first attempt's %v", ages[1].age, ages[0].age)
	}
}
