package runtime

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/invoke"
)

// TestAsyncRetriesFailedEvents runs async events through the durable
// queue on a real embedded NATS: a failing event is tried 1 + MaximumRetryAttempts
// times under one request id.
func TestAsyncRetriesFailedEvents(t *testing.T) {
	for _, tt := range []struct {
		retries, want int
	}{{2, 3}, {0, 1}} {
		b, err := bus.Start(context.Background(), bus.Options{Dir: filepath.Join(t.TempDir(), "nats")})
		if err != nil {
			t.Fatal(err)
		}
		rt := New(Options{})
		rt.Deploy([]*Spec{echoSpec(t)})
		q, err := invoke.NewAsync(context.Background(), b.JetStream(), invoke.AsyncOptions{
			Runner:     rt,
			RetryDelay: 50 * time.Millisecond,
			Policy: func(string) invoke.RetryPolicy {
				return invoke.RetryPolicy{MaximumRetryAttempts: tt.retries, MaximumEventAge: time.Hour}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		rt.SetQueue(q)
		q.Start()
		res, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn", Type: invoke.Event, Payload: []byte(`{"print":"attempt","fail":"no"}`)})
		if err != nil {
			t.Fatal(err)
		}
		count := func() int {
			n := 0
			for _, l := range rt.Logs().Query("echo-fn", time.Time{}, res.RequestID) {
				if l.Text == "attempt" {
					n++
				}
			}
			return n
		}
		deadline := time.Now().Add(20 * time.Second)
		for count() < tt.want && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond) // room for a wrong extra attempt
		if got := count(); got != tt.want {
			t.Errorf("MaximumRetryAttempts %d: %d attempts, want %d", tt.retries, got, tt.want)
		}
		q.Close()
		rt.Close()
		b.Close()
	}
}
