package bus

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestBackoffDoublesToFiveMinutes(t *testing.T) {
	for _, c := range []struct {
		delivered uint64
		want      time.Duration
	}{{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {9, 256 * time.Second}, {10, 5 * time.Minute}, {1000, 5 * time.Minute}} {
		if got := Backoff(&jetstream.MsgMetadata{NumDelivered: c.delivered}, time.Second); got != c.want {
			t.Errorf("after %d deliveries: %v, want %v", c.delivered, got, c.want)
		}
	}
	if got := Backoff(nil, time.Second); got != time.Second {
		t.Errorf("without metadata: %v, want the base", got)
	}
}

// TestWorkerRunsOnceAndStops: a second Start while the loop runs does
// nothing, Close waits for the loop to return, and a Start after Close
// does not run it again.
func TestWorkerRunsOnceAndStops(t *testing.T) {
	var w Worker
	var runs, running atomic.Int32
	loop := func(ctx context.Context) {
		runs.Add(1)
		running.Add(1)
		<-ctx.Done()
		running.Add(-1)
	}
	w.Start(loop)
	w.Start(loop)
	for runs.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	w.Close()
	if running.Load() != 0 {
		t.Error("Close returned while the loop ran")
	}
	w.Start(loop)
	w.Close()
	if n := runs.Load(); n != 1 {
		t.Errorf("the loop ran %d times, want once", n)
	}
}
