package bus

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// This file holds what the services that deliver stored messages share:
// the loop that fetches and handles them, its start and stop, the back-off
// between deliveries and message ids.

// Worker runs one delivery loop at a time: started once, stopped by Close,
// which waits for it. The zero value is ready to use.
type Worker struct {
	mu     sync.Mutex
	closed bool
	cancel context.CancelFunc
	done   chan struct{}
}

// Start runs loop in its own goroutine, unless it already runs or Close
// was called; loop must return once its context ends.
func (w *Worker) Start(loop func(ctx context.Context)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.done != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel, w.done = cancel, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		loop(ctx)
	}(w.done)
}

// Close stops the loop and waits for it; later Starts do nothing.
func (w *Worker) Close() {
	w.mu.Lock()
	w.closed = true
	cancel, done := w.cancel, w.done
	w.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// Consume fetches up to batch messages at a time from cons and hands each
// to handle, until ctx ends. A handler runs to its end even when ctx ends
// meanwhile (its context is not cancelled with ctx), so that a message is
// settled rather than left half done. Fetch errors are logged as "fetching
// what" and retried a second later.
func Consume(ctx context.Context, cons jetstream.Consumer, batch int, log *slog.Logger, what string, handle func(context.Context, jetstream.Msg)) {
	for ctx.Err() == nil {
		msgs, err := cons.Fetch(batch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("fetching "+what, "err", err)
				Sleep(ctx, time.Second)
			}
			continue
		}
		for msg := range msgs.Messages() {
			handle(context.WithoutCancel(ctx), msg)
		}
	}
}

// Backoff is the wait before delivering a message again: base, doubling
// with each delivery so far, at most five minutes.
func Backoff(meta *jetstream.MsgMetadata, base time.Duration) time.Duration {
	n := min(Deliveries(meta), 10)
	if n > 0 {
		n--
	}
	return min(base<<n, 5*time.Minute)
}

// Deliveries is how many times a message has been delivered, this one
// included (0 without metadata).
func Deliveries(meta *jetstream.MsgMetadata) uint64 {
	if meta == nil {
		return 0
	}
	return meta.NumDelivered
}

// Sleep waits for d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
