package main

import (
	"bytes"
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
)

// stacklab drives the deployed benchmark stack.
type stacklab struct {
	p    *platform.Platform
	puts int // objects put so far, for unique keys
}

// warm runs each function once, so that no measurement includes a cold
// start.
func (s *stacklab) warm(ctx context.Context) error {
	if _, _, err := s.throughput(ctx, 100, 1); err != nil {
		return fmt.Errorf("warming the queue's function: %w", err)
	}
	if _, _, err := s.latency(ctx, 5); err != nil {
		return fmt.Errorf("warming the bucket's function: %w", err)
	}
	return nil
}

// throughput sends n messages from several goroutines at once and returns
// the messages per second from the first send until the queue is empty,
// and the rate of the sending alone.
func (s *stacklab) throughput(ctx context.Context, n, senders int) (total, send float64, err error) {
	qs := s.p.Queues()
	errs := make(chan error, senders)
	var wg sync.WaitGroup
	start := time.Now()
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += senders {
				if _, err := qs.Send(ctx, queueName, queue.SendInput{Body: string(body(i))}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	sent := time.Since(start)
	select {
	case err := <-errs:
		return 0, 0, err
	default:
	}
	if err := waitEmpty(ctx, func(ctx context.Context) (int, error) {
		st, err := qs.Stats(ctx, queueName)
		return st.Visible + st.InFlight + st.Delayed, err
	}); err != nil {
		return 0, 0, err
	}
	d := time.Since(start)
	return float64(n) / d.Seconds(), float64(n) / sent.Seconds(), nil
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
