package queue

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
)

// The benchmarks of the package; bench/services compares the whole path
// with JetStream alone.
//
//	go test -run '^$' -bench . ./internal/services/queue

// BenchmarkSend stores messages one Send at a time.
func BenchmarkSend(b *testing.B) {
	s := newService(b, Config{ID: "Q"})
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Send(ctx, "Q", SendInput{Body: fmt.Sprint("message ", i)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendTraced is BenchmarkSend with telemetry on: a Producer span
// a message, its context in the message's headers.
func BenchmarkSendTraced(b *testing.B) {
	s, _ := tracedService(b, Config{ID: "Q"})
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Send(ctx, "Q", SendInput{Body: fmt.Sprint("message ", i)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendBatch stores messages ten at a time; an op is a message.
func BenchmarkSendBatch(b *testing.B) {
	s := newService(b, Config{ID: "Q"})
	ctx := context.Background()
	batch := make([]SendInput, 0, MaxBatch)
	b.ResetTimer()
	for i := 0; i < b.N; i += MaxBatch {
		batch = batch[:0]
		for j := i; j < min(i+MaxBatch, b.N); j++ {
			batch = append(batch, SendInput{Body: fmt.Sprint("message ", j)})
		}
		res, err := s.SendBatch(ctx, "Q", batch)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
}

// BenchmarkPoller delivers messages sent before it starts to the
// runtime's Go test function in batches of 10; an op is a message, timed
// until the queue is empty.
func BenchmarkPoller(b *testing.B) {
	benchPoller(b, Config{ID: "Q", VisibilityTimeout: 30 * time.Second}, nil)
}

// BenchmarkPollerFifo is BenchmarkPoller on a FIFO queue, its messages in
// one message group or spread over ten: the numbers any change to how FIFO
// groups are handed out must keep (a design that held later messages of a
// group back with delayed NAKs fell from about 3,000 to 2 msgs/s).
func BenchmarkPollerFifo(b *testing.B) {
	for _, groups := range []int{1, 10} {
		b.Run(fmt.Sprintf("groups=%d", groups), func(b *testing.B) {
			benchPoller(b, Config{ID: "F", Fifo: true, ContentBasedDedup: true, VisibilityTimeout: 30 * time.Second},
				func(j int) string { return fmt.Sprint("g", j%groups) })
		})
	}
}

// benchPoller sends b.N messages to the queue of cfg (group gives a FIFO
// message's group), then times a mapping of batches of 10 to the Go test
// function until the queue is empty.
func benchPoller(b *testing.B, cfg Config, group func(int) string) {
	rt := echoRuntime(b)
	s := newService(b, cfg)
	ctx := context.Background()
	// Warm, so that no cold start is measured.
	if _, err := rt.Invoke(ctx, invoke.Request{Function: "echo-fn", Payload: []byte(`{}`)}); err != nil {
		b.Fatal(err)
	}
	batch := make([]SendInput, 0, MaxBatch)
	for i := 0; i < b.N; i += MaxBatch {
		batch = batch[:0]
		for j := i; j < min(i+MaxBatch, b.N); j++ {
			in := SendInput{Body: fmt.Sprint("message ", j)}
			if group != nil {
				in.GroupID = group(j)
			}
			batch = append(batch, in)
		}
		if _, err := s.SendBatch(ctx, cfg.ID, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	if err := s.StartPollers(rt, []Mapping{{ID: "Sqs", Queue: cfg.ID, Function: "echo-fn", BatchSize: 10}}); err != nil {
		b.Fatal(err)
	}
	for {
		st, err := s.Stats(ctx, cfg.ID)
		if err != nil {
			b.Fatal(err)
		}
		if st.Visible+st.InFlight == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	s.StopPollers()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
