package queue

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// Mapping is an event source mapping from a queue to a function: a SAM
// SQS event or an AWS::Lambda::EventSourceMapping.
type Mapping struct {
	ID       string // the event's or the mapping's id, for logs
	Queue    string // logical id, name or ARN of the queue
	Function string // function name or logical id
	// BatchSize is the most messages per invocation (default 10).
	BatchSize int
	// Window is MaximumBatchingWindowInSeconds: how long to wait for a
	// batch to fill once a message is there.
	Window time.Duration
	// ReportBatchItemFailures: the function answers the messages that
	// failed as {"batchItemFailures":[{"itemIdentifier": messageId}]}.
	ReportBatchItemFailures bool
	// Concurrency is how many batches of a standard queue run at once:
	// the event source's ScalingConfig.MaximumConcurrency when it has one,
	// else DefaultConcurrency (Lambda starts polling a queue with five
	// concurrent batches). A FIFO queue runs one batch at a time.
	Concurrency int
}

// DefaultConcurrency is how many batches of a standard queue a mapping
// runs at once unless told otherwise.
const DefaultConcurrency = 5

// poller runs one mapping: Concurrency workers, each running one batch at
// a time.
type poller struct {
	m      Mapping
	q      *queue
	inv    invoke.Invoker
	svc    *Service
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
}

// StartPollers replaces the running pollers with one per mapping. Pollers
// being replaced finish the batch they are running first.
func (s *Service) StartPollers(inv invoke.Invoker, maps []Mapping) error {
	s.StopPollers()
	var ps []*poller
	for _, m := range maps {
		q, err := s.queue(m.Queue)
		if err != nil {
			for _, p := range ps {
				p.stop()
			}
			return err
		}
		if m.BatchSize <= 0 {
			m.BatchSize = 10
		}
		if m.Concurrency <= 0 {
			m.Concurrency = DefaultConcurrency
		}
		if q.cfg.Fifo {
			m.Concurrency = 1
		}
		ctx, cancel := context.WithCancel(context.Background())
		p := &poller{m: m, q: q, inv: inv, svc: s, cancel: cancel, done: make(chan struct{}),
			log: s.log.With("mapping", m.ID, "queue", q.cfg.ID, "function", m.Function)}
		go p.run(ctx)
		ps = append(ps, p)
	}
	s.pollMu.Lock()
	s.pollers = ps
	s.pollMu.Unlock()
	return nil
}

// StopPollers stops every poller and waits for the batches they run.
func (s *Service) StopPollers() {
	s.pollMu.Lock()
	ps := s.pollers
	s.pollers = nil
	s.pollMu.Unlock()
	for _, p := range ps {
		p.cancel()
	}
	for _, p := range ps {
		<-p.done
	}
}

func (p *poller) stop() {
	p.cancel()
	<-p.done
}

// run runs the mapping's workers until ctx ends and their batches are done.
func (p *poller) run(ctx context.Context) {
	defer close(p.done)
	var wg sync.WaitGroup
	for range p.m.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.work(ctx)
		}()
	}
	wg.Wait()
}

// work receives batches and runs them, one at a time, until ctx ends.
func (p *poller) work(ctx context.Context) {
	for ctx.Err() == nil {
		msgs, err := p.svc.receive(ctx, p.q, p.m.BatchSize, time.Second, p.m.Window)
		if err != nil && ctx.Err() == nil {
			p.log.Warn("polling the queue", "err", err)
			bus.Sleep(ctx, time.Second)
		}
		if len(msgs) == 0 {
			continue
		}
		// The batch runs to its end even when the poller is stopped: the
		// function is bounded by its timeout.
		p.handle(context.WithoutCancel(ctx), msgs)
	}
}

// handle invokes the function with a batch and deletes what succeeded.
func (p *poller) handle(ctx context.Context, msgs []Message) {
	payload := appendEvent(nil, p.svc.records(p.q, msgs))
	ctx, span := p.svc.processSpan(ctx, p.q, msgs)
	defer span.End()
	req := invoke.Request{Function: p.m.Function, Payload: payload, Type: invoke.RequestResponse,
		Trigger: telemetry.TriggerPubSub, TraceID: tracectx.XRay(ctx)}
	if req.TraceID == "" && len(msgs) == 1 {
		// Untraced here: still hand on the sender's trace header.
		req.TraceID = msgs[0].Attributes[tracectx.AWSTraceHeader]
	}
	res, err := p.inv.Invoke(ctx, req)
	switch {
	case err != nil:
		span.RecordError(err)
		// Throttled or not run: the batch is delivered again after the
		// visibility timeout, as with Lambda.
		p.log.Warn("invoking the function; the batch stays in the queue", "err", err, "messages", len(msgs))
		return
	case res.FunctionError != "":
		span.Fail(res.FunctionError, "the function failed; the batch stays in the queue")
		p.log.Info("the function failed; the batch stays in the queue", "request_id", res.RequestID, "messages", len(msgs))
		return
	}
	failed := map[string]bool{}
	if p.m.ReportBatchItemFailures {
		var ok bool
		if failed, ok = batchItemFailures(res.Payload, msgs); !ok {
			p.log.Warn("the function's batchItemFailures are malformed or name unknown messages; the whole batch stays in the queue", "request_id", res.RequestID)
			return
		}
	}
	// Deleted without waiting for the server's answers, which would cost
	// as much as the invocation: a delete lost with the connection means
	// the message is delivered again after the visibility timeout, which
	// at-least-once delivery allows (as a failed DeleteMessageBatch).
	for _, m := range msgs {
		if failed[m.MessageID] {
			continue
		}
		// The function ran past the visibility timeout and the message was
		// received again: the ack would settle that delivery instead.
		if p.q.inflight.state(m.sseq, m.cseq) == handleStale {
			p.log.Warn("a processed message was received again while the function ran (longer than the queue's visibility timeout); it is not deleted", "message_id", m.MessageID)
			continue
		}
		if err := m.msg.Ack(); err != nil {
			p.log.Warn("deleting a processed message", "message_id", m.MessageID, "err", err)
			continue
		}
		p.q.inflight.settled(m.sseq, m.cseq)
	}
}

// batchItemFailures reads a partial batch response. An empty or null
// answer means every message succeeded; ok is false when the answer is
// malformed, which fails the whole batch, as Lambda does.
func batchItemFailures(payload []byte, msgs []Message) (map[string]bool, bool) {
	failed := map[string]bool{}
	if len(payload) == 0 || string(payload) == "null" {
		return failed, true
	}
	var resp struct {
		BatchItemFailures []struct {
			ItemIdentifier *string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(payload, &resp); err != nil {
		// Not an object: Lambda treats it as success without failures
		// only when it is an object; anything else fails the batch.
		return nil, false
	}
	ids := map[string]bool{}
	for _, m := range msgs {
		ids[m.MessageID] = true
	}
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier == nil || !ids[*f.ItemIdentifier] {
			return nil, false
		}
		failed[*f.ItemIdentifier] = true
	}
	return failed, true
}
