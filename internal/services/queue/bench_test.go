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
	rt := echoRuntime(b)
	s := newService(b, Config{ID: "Q", VisibilityTimeout: 30 * time.Second})
	ctx := context.Background()
	// Warm, so that no cold start is measured.
	if _, err := rt.Invoke(ctx, invoke.Request{Function: "echo-fn", Payload: []byte(`{}`)}); err != nil {
		b.Fatal(err)
	}
	batch := make([]SendInput, 0, MaxBatch)
	for i := 0; i < b.N; i += MaxBatch {
		batch = batch[:0]
		for j := i; j < min(i+MaxBatch, b.N); j++ {
			batch = append(batch, SendInput{Body: fmt.Sprint("message ", j)})
		}
		if _, err := s.SendBatch(ctx, "Q", batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	if err := s.StartPollers(rt, []Mapping{{ID: "Sqs", Queue: "Q", Function: "echo-fn", BatchSize: 10}}); err != nil {
		b.Fatal(err)
	}
	for {
		st, err := s.Stats(ctx, "Q")
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
