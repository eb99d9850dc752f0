package table

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// Mapping is an event source mapping from a table's stream to a function:
// a SAM DynamoDB event.
type Mapping struct {
	ID       string // the event's id, unique in the stack: the consumer's name
	Table    string // logical id, name, table ARN or stream ARN
	Function string // function name or logical id
	// BatchSize is the most records per invocation (default 100).
	BatchSize int
	// StartingPosition is TRIM_HORIZON (every record kept) or LATEST
	// (records written after the mapping is first created; the default).
	StartingPosition string
}

// poller runs one mapping: one batch at a time, in stream order.
type poller struct {
	m      Mapping
	t      *table
	cons   jetstream.Consumer
	inv    invoke.Invoker
	svc    *Service
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
}

// StartPollers replaces the running pollers with one per mapping. Pollers
// being replaced finish the batch they are running first. A mapping's
// position in the stream is kept (a durable consumer) across restarts.
func (s *Service) StartPollers(ctx context.Context, inv invoke.Invoker, maps []Mapping) error {
	s.StopPollers()
	var ps []*poller
	stopAll := func() {
		for _, p := range ps {
			p.cancel()
			<-p.done
		}
	}
	for _, m := range maps {
		t, err := s.table(m.Table)
		if err != nil {
			stopAll()
			return err
		}
		if t.stream == nil {
			stopAll()
			return fmt.Errorf("%w: table %s has no stream (StreamSpecification)", ErrInvalid, t.cfg.ID)
		}
		if m.BatchSize <= 0 {
			m.BatchSize = 100
		}
		deliver := jetstream.DeliverNewPolicy
		if m.StartingPosition == "TRIM_HORIZON" {
			deliver = jetstream.DeliverAllPolicy
		}
		cons, err := t.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
			Durable: "lambda-" + safe(m.ID), DeliverPolicy: deliver, AckPolicy: jetstream.AckAllPolicy,
			AckWait: time.Minute, MaxAckPending: m.BatchSize,
		})
		if err != nil {
			// A deliver policy cannot change: the consumer there keeps
			// its position.
			if c, cerr := t.stream.Consumer(ctx, "lambda-"+safe(m.ID)); cerr == nil {
				cons, err = c, nil
			}
		}
		if err != nil {
			stopAll()
			return fmt.Errorf("creating the stream consumer of %s: %w", m.ID, err)
		}
		pctx, cancel := context.WithCancel(context.Background())
		p := &poller{m: m, t: t, cons: cons, inv: inv, svc: s, cancel: cancel, done: make(chan struct{}),
			log: s.log.With("mapping", m.ID, "table", t.cfg.ID, "function", m.Function)}
		go p.run(pctx)
		ps = append(ps, p)
	}
	s.pollMu.Lock()
	s.pollers = ps
	s.pollMu.Unlock()
	return nil
}

// StopPollers stops every poller and waits for them.
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

func (p *poller) run(ctx context.Context) {
	defer close(p.done)
	for ctx.Err() == nil {
		// Wait for the first record, then take what else is there: like
		// Lambda's stream poller, a record does not wait for a full batch.
		msgs, err := p.fetch(p.cons.Fetch(1, jetstream.FetchMaxWait(time.Second)))
		if err == nil && len(msgs) > 0 && p.m.BatchSize > 1 {
			var more []jetstream.Msg
			more, err = p.fetch(p.cons.FetchNoWait(p.m.BatchSize - 1))
			msgs = append(msgs, more...)
		}
		if err != nil && len(msgs) == 0 {
			if ctx.Err() == nil {
				p.log.Warn("reading the table stream", "err", err)
				bus.Sleep(ctx, p.svc.opts.RetryDelay)
			}
			continue
		}
		if len(msgs) == 0 {
			continue
		}
		p.deliver(ctx, msgs)
	}
}

func (p *poller) fetch(batch jetstream.MessageBatch, err error) ([]jetstream.Msg, error) {
	if err != nil {
		return nil, err
	}
	var msgs []jetstream.Msg
	for m := range batch.Messages() {
		msgs = append(msgs, m)
	}
	return msgs, batch.Error()
}

// deliver invokes the function with a batch until it succeeds (or the
// poller is stopped, leaving the batch unacknowledged to be read again).
func (p *poller) deliver(ctx context.Context, msgs []jetstream.Msg) {
	ev := Event{Records: make([]Record, 0, len(msgs))}
	for _, m := range msgs {
		var r Record
		if err := json.Unmarshal(m.Data(), &r); err != nil {
			p.log.Error("skipping a malformed stream record", "err", err)
			continue
		}
		if md, err := m.Metadata(); err == nil {
			r.DynamoDB.SequenceNumber = fmt.Sprintf("%021d", md.Sequence.Stream)
		}
		ev.Records = append(ev.Records, r)
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		p.log.Error("encoding the DynamoDB stream event", "err", err)
		return
	}
	sctx, span := p.svc.streamSpan(ctx, p.t, msgs)
	defer span.End()
	req := invoke.Request{Function: p.m.Function, Payload: payload, Type: invoke.RequestResponse,
		Trigger: telemetry.TriggerDatasource, TraceID: tracectx.XRay(sctx)}
	for attempt := 1; ctx.Err() == nil; attempt++ {
		if attempt > 1 {
			span.AddEvent("retry", attribute.Int("stacklab.attempt", attempt))
		}
		// The invocation runs to its end even when the poller is stopped:
		// the function is bounded by its timeout.
		res, err := p.inv.Invoke(context.WithoutCancel(sctx), req)
		switch {
		case err != nil:
			span.RecordError(err)
			p.log.Warn("invoking the function; the batch is retried", "err", err, "records", len(msgs))
		case res.FunctionError != "":
			span.Fail(res.FunctionError, "the function failed; the batch is retried")
			p.log.Info("the function failed; the batch is retried", "request_id", res.RequestID, "records", len(msgs))
		default:
			span.OK()
			// AckAll: acknowledging the last acknowledges the batch.
			if err := msgs[len(msgs)-1].DoubleAck(context.WithoutCancel(ctx)); err != nil {
				p.log.Warn("acknowledging a delivered batch; it may be delivered again", "err", err)
			}
			return
		}
		for _, m := range msgs {
			m.InProgress() // keep the batch ours while it is retried
		}
		bus.Sleep(ctx, p.svc.opts.RetryDelay)
	}
	// Stopped before the batch succeeded: it is read again at once by the
	// next poller of the mapping.
	for _, m := range msgs {
		m.Nak()
	}
}
