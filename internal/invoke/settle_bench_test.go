package invoke_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus/bustest"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/services/queue"
)

// BenchmarkAsyncOutcome runs b.N successful async events of the echo
// function through the durable queue and waits for all their outcomes:
// with no Settle (the baseline), and with a Settle that sends every
// invocation record to an SQS queue (an OnSuccess destination), to show
// what delivering outcomes costs per event.
//
//	go test -run - -bench AsyncOutcome ./internal/invoke
func BenchmarkAsyncOutcome(b *testing.B) {
	for _, withQueue := range []bool{false, true} {
		name := "baseline"
		if withQueue {
			name = "record-to-queue"
		}
		b.Run(name, func(b *testing.B) {
			rt := echoRuntime(b)
			bs := bustest.Start(b, b.TempDir())
			defer bs.Close()
			var done atomic.Int64
			opts := invoke.AsyncOptions{Runner: rt, Workers: 8}
			if withQueue {
				qs := queue.New(bs.JetStream(), queue.Options{})
				if err := qs.Apply(context.Background(), []queue.Config{{ID: "Records"}}); err != nil {
					b.Fatal(err)
				}
				defer qs.Close()
				opts.Settle = func(ctx context.Context, o *invoke.Outcome) error {
					rec, err := o.RecordJSON("arn:aws:lambda:us-east-1:123456789012:function:echo-fn")
					if err == nil {
						_, err = qs.Send(ctx, "Records", queue.SendInput{Body: string(rec)})
					}
					if err == nil {
						done.Add(1)
					}
					return err
				}
			} else {
				opts.Settle = func(context.Context, *invoke.Outcome) error { done.Add(1); return nil }
			}
			q, err := invoke.NewAsync(context.Background(), bs.JetStream(), opts)
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			rt.SetQueue(q)
			q.Start()
			b.ResetTimer()
			for range b.N {
				if _, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn", Type: invoke.Event, Payload: []byte(`{}`)}); err != nil {
					b.Fatal(err)
				}
			}
			deadline := time.Now().Add(2 * time.Minute)
			for done.Load() < int64(b.N) {
				if time.Now().After(deadline) {
					b.Fatalf("%d of %d outcomes settled", done.Load(), b.N)
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
}
