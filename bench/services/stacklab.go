package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/runtime"
	"github.com/stacklab/stacklab/internal/services/bucket"
	"github.com/stacklab/stacklab/internal/services/queue"
)

// The resources of template.yaml.
const (
	queueName  = "Jobs"
	bucketName = "Uploads"
	onPut      = "OnPut"
	worker     = "Worker"
)

// stacklab drives the deployed benchmark stack.
type stacklab struct {
	p    *platform.Platform
	puts int // objects put so far, for unique keys
}

// warm runs each function once, so that no measurement includes a cold
// start.
func (s *stacklab) warm(ctx context.Context) error {
	if _, err := s.throughput(ctx, 100, 1); err != nil {
		return fmt.Errorf("warming the queue's function: %w", err)
	}
	if _, _, err := s.latency(ctx, 5); err != nil {
		return fmt.Errorf("warming the bucket's function: %w", err)
	}
	return nil
}

// throughput measures n messages sent in batches of 10 (SendMessageBatch)
// from several goroutines at once while the queue's event source mapping
// runs, timed from the first send until the queue is empty (every batch
// run and its messages deleted); then n more sent with the mapping
// stopped, and consumed once it runs again.
func (s *stacklab) throughput(ctx context.Context, n, senders int) (rates, error) {
	var r rates
	qs := s.p.Queues()
	runs := s.countRuns(ctx)
	start, cpu := time.Now(), cpuTime()
	if err := s.send(ctx, n, senders); err != nil {
		return r, err
	}
	if err := s.waitEmpty(ctx); err != nil {
		return r, err
	}
	r.total = float64(n) / time.Since(start).Seconds()
	r.cpuTotal = perMessage(cpu, n)
	r.batchTotal = float64(n) / float64(max(runs(), 1))

	qs.StopPollers()
	start = time.Now()
	if err := s.send(ctx, n, senders); err != nil {
		return r, err
	}
	r.send = float64(n) / time.Since(start).Seconds()
	runs = s.countRuns(ctx)
	_, fn0 := cpuSplit()
	start, cpu = time.Now(), cpuTime()
	// The mapping of template.yaml, as the platform runs it.
	if err := qs.StartPollers(s.p, []queue.Mapping{{ID: "Worker.Jobs", Queue: queueName, Function: worker, BatchSize: 10}}); err != nil {
		return r, err
	}
	if err := s.waitEmpty(ctx); err != nil {
		return r, err
	}
	r.consume = float64(n) / time.Since(start).Seconds()
	r.cpuConsume = perMessage(cpu, n)
	_, fn := cpuSplit()
	r.cpuFunctions = float64(fn-fn0) / float64(time.Microsecond) / float64(n)
	r.batchConsume = float64(n) / float64(max(runs(), 1))
	return r, nil
}

// countRuns counts the queue function's invocations from now on, by the
// REPORT lines of its log; the function it returns tells how many so far
// and stops counting. (A follower that falls behind misses lines, so
// the count may be low under load.)
func (s *stacklab) countRuns(ctx context.Context) func() int {
	ctx, cancel := context.WithCancel(ctx)
	lines := s.p.Logs().Follow(ctx, worker)
	var mu sync.Mutex
	count := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case l := <-lines:
				if strings.HasPrefix(l.Text, "REPORT ") {
					mu.Lock()
					count++
					mu.Unlock()
				}
			}
		}
	}()
	return func() int {
		time.Sleep(50 * time.Millisecond) // the last lines on their way
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return count
	}
}

// sendBatch sends messages with one SendBatch, or with a Send each when
// -single is given.
func (s *stacklab) sendBatch(ctx context.Context, batch []queue.SendInput) error {
	qs := s.p.Queues()
	if *single {
		for _, m := range batch {
			if _, err := qs.Send(ctx, queueName, m); err != nil {
				return err
			}
		}
		return nil
	}
	res, err := qs.SendBatch(ctx, queueName, batch)
	if err != nil {
		return err
	}
	for _, r := range res {
		err = cmp.Or(err, r.Err)
	}
	return err
}

// send sends n messages in batches of 10 from several goroutines.
func (s *stacklab) send(ctx context.Context, n, senders int) error {
	errs := make(chan error, senders)
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Sender g sends batches g, g+senders, ... of up to 10.
			for first := g * queue.MaxBatch; first < n; first += senders * queue.MaxBatch {
				batch := make([]queue.SendInput, 0, queue.MaxBatch)
				for i := first; i < min(first+queue.MaxBatch, n); i++ {
					batch = append(batch, queue.SendInput{Body: string(body(i))})
				}
				if err := s.sendBatch(ctx, batch); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// waitEmpty waits until the queue has no message, visible or in flight.
func (s *stacklab) waitEmpty(ctx context.Context) error {
	return waitEmpty(ctx, func(ctx context.Context) (int, error) {
		st, err := s.p.Queues().Stats(ctx, queueName)
		return st.Visible + st.InFlight + st.Delayed, err
	})
}

// latency puts n small objects one at a time, each after the function has
// started for the one before, and returns, sorted, the times from the
// start of each put to the start of the function's handler (as the
// function printed it) and the times the puts themselves took.
func (s *stacklab) latency(ctx context.Context, n int) (start, put []time.Duration, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines := s.p.Logs().Follow(ctx, onPut)
	data := []byte("a small object")
	for range n {
		s.puts++
		key := fmt.Sprintf("in/%06d.txt", s.puts)
		t := time.Now()
		if _, err := s.p.Buckets().Put(ctx, bucketName, key, bytes.NewReader(data), bucket.PutInput{ContentType: "text/plain"}); err != nil {
			return nil, nil, err
		}
		put = append(put, time.Since(t))
		began, err := nextStart(lines)
		if err != nil {
			return nil, nil, fmt.Errorf("object %s: %w", key, err)
		}
		start = append(start, began.Sub(t))
	}
	sort.Slice(start, func(i, j int) bool { return start[i] < start[j] })
	sort.Slice(put, func(i, j int) bool { return put[i] < put[j] })
	return start, put, nil
}

// nextStart waits for the function's next "start <unix ns>" log line.
func nextStart(lines <-chan runtime.Line) (time.Time, error) {
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l := <-lines:
			v, ok := strings.CutPrefix(strings.TrimSpace(l.Text), "start ")
			if !ok {
				continue
			}
			ns, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("the function's log line %q has no time", l.Text)
			}
			return time.Unix(0, ns), nil
		case <-timeout:
			return time.Time{}, fmt.Errorf("function %s did not start within 30 s of the put (see its log)", onPut)
		}
	}
}
