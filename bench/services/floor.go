package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stacklab/stacklab/internal/bus"
)

// The floor's stream and consumer are configured as the queue service
// configures a queue's: a work-queue stream on file storage and a durable
// pull consumer with explicit acks.
const (
	floorStream  = "FLOOR"
	floorSubject = "floor.jobs"
)

// jetStreamFloor is JetStream alone on the same kind of embedded server as
// the platform's (file storage, an in-process connection).
type jetStreamFloor struct {
	b      *bus.Bus
	js     jetstream.JetStream
	stream jetstream.Stream
}

func newFloor(ctx context.Context, dir string) (*jetStreamFloor, error) {
	b, err := bus.Start(ctx, bus.Options{Dir: filepath.Join(dir, "floor-nats")})
	if err != nil {
		return nil, err
	}
	// The default window of 4,000 unacknowledged publishes, waiting when
	// it is full rather than failing.
	js, err := jetstream.New(b.Conn())
	if err != nil {
		b.Close()
		return nil, err
	}
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       floorStream,
		Subjects:   []string{floorSubject + ".>"},
		Retention:  jetstream.WorkQueuePolicy,
		Storage:    jetstream.FileStorage,
		MaxMsgSize: 256*1024 + 16*1024,
		Duplicates: 5 * time.Minute,
	})
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("creating the floor's stream: %w", err)
	}
	return &jetStreamFloor{b: b, js: js, stream: stream}, nil
}

func (f *jetStreamFloor) Close() { f.b.Close() }

// consumer makes a durable pull consumer of one subject, as a queue's.
func (f *jetStreamFloor) consumer(ctx context.Context, name, subject string) (jetstream.Consumer, error) {
	c, err := f.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       name,
		FilterSubject: subject,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: 10000,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the floor's consumer %s: %w", name, err)
	}
	return c, nil
}

// rates are one throughput measurement, in messages per second.
type rates struct {
	total   float64 // sending while consuming: first send until the queue is empty
	send    float64 // sending alone, nothing consuming
	consume float64 // consuming alone what was sent before, until the queue is empty
	// CPU time per message, sending while consuming and consuming alone,
	// in microseconds (see cpuTime), and the part of cpuConsume spent in
	// the functions' processes.
	cpuTotal, cpuConsume, cpuFunctions float64
	// Messages per invocation (stacklab) sending while consuming and
	// consuming alone.
	batchTotal, batchConsume float64
}

// perMessage is the CPU time since cpu0 per message, in microseconds.
func perMessage(cpu0 time.Duration, n int) float64 {
	return float64(cpuTime()-cpu0) / float64(time.Microsecond) / float64(n)
}

// throughput measures n messages published asynchronously while one
// consumer fetches them in batches of 10 and acks each, timed from the
// first publish until the stream is empty (every ack applied); then n
// more published with no consumer, then consumed.
func (f *jetStreamFloor) throughput(ctx context.Context, n int, round string) (rates, error) {
	var r rates
	// Together.
	subject := floorSubject + ".t" + round
	cons, err := f.consumer(ctx, "t"+round, subject)
	if err != nil {
		return r, err
	}
	start, cpu := time.Now(), cpuTime()
	consumed := f.consume(ctx, cons, n)
	if err := f.publish(subject, n); err != nil {
		return r, err
	}
	if err := <-consumed; err != nil {
		return r, err
	}
	if err := f.waitEmpty(ctx, subject); err != nil {
		return r, err
	}
	r.total = float64(n) / time.Since(start).Seconds()
	r.cpuTotal = perMessage(cpu, n)

	// Apart.
	subject = floorSubject + ".a" + round
	start = time.Now()
	if err := f.publish(subject, n); err != nil {
		return r, err
	}
	r.send = float64(n) / time.Since(start).Seconds()
	start, cpu = time.Now(), cpuTime()
	if cons, err = f.consumer(ctx, "a"+round, subject); err != nil {
		return r, err
	}
	if err := <-f.consume(ctx, cons, n); err != nil {
		return r, err
	}
	if err := f.waitEmpty(ctx, subject); err != nil {
		return r, err
	}
	r.consume = float64(n) / time.Since(start).Seconds()
	r.cpuConsume = perMessage(cpu, n)
	return r, nil
}

// publish publishes n messages asynchronously and waits for every
// acknowledgement.
func (f *jetStreamFloor) publish(subject string, n int) error {
	for i := range n {
		m := nats.NewMsg(subject)
		m.Data = body(i)
		if _, err := f.js.PublishMsgAsync(m, jetstream.WithStallWait(time.Minute)); err != nil {
			return fmt.Errorf("floor publish: %w", err)
		}
	}
	select {
	case <-f.js.PublishAsyncComplete():
		return nil
	case <-time.After(time.Minute):
		return fmt.Errorf("floor: publishes not acknowledged in a minute")
	}
}

// consume fetches n messages in batches of 10 and acks each; the channel
// answers once they are all received.
func (f *jetStreamFloor) consume(ctx context.Context, cons jetstream.Consumer, n int) <-chan error {
	done := make(chan error, 1)
	go func() {
		got := 0
		for got < n {
			batch, err := cons.Fetch(10, jetstream.FetchMaxWait(time.Second))
			if err != nil {
				done <- fmt.Errorf("floor consume: %w", err)
				return
			}
			for msg := range batch.Messages() {
				msg.Ack()
				got++
			}
			if ctx.Err() != nil {
				done <- ctx.Err()
				return
			}
		}
		done <- nil
	}()
	return done
}

// waitEmpty waits until no message of subject is left in the stream.
func (f *jetStreamFloor) waitEmpty(ctx context.Context, subject string) error {
	return waitEmpty(ctx, func(ctx context.Context) (int, error) {
		info, err := f.stream.Info(ctx, jetstream.WithSubjectFilter(subject))
		if err != nil {
			return 0, err
		}
		return int(info.State.Subjects[subject]), nil
	})
}

// latency publishes one message at a time to a consumer already waiting
// (a Messages iterator of the pull consumer) and returns each publish to
// receipt time, sorted.
func (f *jetStreamFloor) latency(ctx context.Context, n int) ([]time.Duration, error) {
	subject := floorSubject + ".latency"
	cons, err := f.consumer(ctx, "latency", subject)
	if err != nil {
		return nil, err
	}
	it, err := cons.Messages()
	if err != nil {
		return nil, err
	}
	defer it.Stop()
	out := make([]time.Duration, 0, n)
	for i := range n + 50 {
		t := time.Now()
		if _, err := f.js.Publish(ctx, subject, body(i)); err != nil {
			return nil, fmt.Errorf("floor publish: %w", err)
		}
		msg, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("floor receive: %w", err)
		}
		d := time.Since(t)
		msg.Ack()
		if i >= 50 { // the first are warm-up
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// waitEmpty polls count until it is 0, for up to a minute.
func waitEmpty(ctx context.Context, count func(context.Context) (int, error)) error {
	deadline := time.Now().Add(time.Minute)
	for {
		left, err := count(ctx)
		if err != nil {
			return err
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d messages still there after a minute", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// body is message i's body, the same size for the floor and stacklab.
func body(i int) []byte { return fmt.Appendf(nil, `{"job":%08d,"pad":"0123456789abcdef"}`, i) }
