package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"

	"github.com/stacklab/stacklab/internal/telemetry"
)

// MaxBatch is the most messages of one SendBatch, as SendMessageBatch.
const MaxBatch = 10

// batchTimeout bounds the wait for a batch's acknowledgements when the
// caller's context has no deadline.
const batchTimeout = 5 * time.Second

// BatchResult is the outcome of one message of a SendBatch: what Send
// would answer, or Err when that message was not stored.
type BatchResult struct {
	SendOutput
	Err error `json:"-"`
}

// SendBatch stores up to MaxBatch messages at once, as SendMessageBatch:
// each message is checked and stored on its own, so some may fail while
// the others are stored, and the results are in the order of in. The
// error is for the batch as a whole (no such queue, no messages or too
// many, more than MaxMessageSize in all, bodies and attributes); then
// nothing is stored. When it returns, every message whose result has no
// Err is durable.
//
// The messages are published together and their acknowledgements awaited
// together, so a batch costs about one round trip to JetStream, where ten
// Sends cost ten.
func (s *Service) SendBatch(ctx context.Context, name string, in []SendInput) ([]BatchResult, error) {
	q, err := s.queue(name)
	if err != nil {
		return nil, err
	}
	if len(in) == 0 || len(in) > MaxBatch {
		return nil, fmt.Errorf("%w: a batch has 1 to %d messages, not %d", ErrInvalid, MaxBatch, len(in))
	}
	// Each message checked and made first, so that a batch too large in
	// all stores nothing. The call is one send span, as on AWS (one X-Ray
	// subsegment a SendMessageBatch): every message carries its context.
	out := make([]BatchResult, len(in))
	msgs := make([]*nats.Msg, len(in))
	dedups := make([]string, len(in))
	mctx, span := s.sendSpan(ctx, q)
	var callErr error
	defer func() {
		if s.tel != nil {
			failed := 0
			for _, r := range out {
				if r.Err != nil {
					failed++
				}
			}
			span.SetAttributes(telemetry.MessagingBatchCount(len(in)), attribute.Int("stacklab.queue.failed_entries", failed))
		}
		span.RecordError(callErr)
		span.End()
	}()
	total := 0
	for i, m := range in {
		msgs[i], out[i].SendOutput, dedups[i], out[i].Err = s.message(mctx, q, m)
		if msgs[i] != nil {
			total += messageSize(m)
		}
	}
	if total > MaxMessageSize {
		err := fmt.Errorf("%w: the batch's messages are %d bytes in all, more than the %d bytes SQS allows for a batch", ErrInvalid, total, MaxMessageSize)
		for i := range out {
			out[i].Err = err
		}
		callErr = err
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		// As a single publish does, wait at most JetStream's usual time.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, batchTimeout)
		defer cancel()
	}
	futures := make([]jetstream.PubAckFuture, len(in))
	for i, m := range msgs {
		if m != nil {
			futures[i], out[i].Err = s.publishAsync(q, m, dedups[i])
		}
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case ack := <-f.Ok():
			out[i].SendOutput = s.sent(ctx, q, out[i].SendOutput, ack)
		case err := <-f.Err():
			out[i].Err = fmt.Errorf("storing a message in queue %s: %w", q.cfg.ID, err)
		case <-ctx.Done():
			// It may still be stored; as with Send, the caller learns
			// only that it is not known to be.
			out[i].Err = fmt.Errorf("storing a message in queue %s: %w", q.cfg.ID, ctx.Err())
		}
	}
	return out, nil
}

// publishAsync starts storing a message.
func (s *Service) publishAsync(q *queue, m *nats.Msg, dedup string) (jetstream.PubAckFuture, error) {
	f, err := s.js.PublishMsgAsync(m, publishOpts(dedup)...)
	if err != nil {
		return nil, fmt.Errorf("storing a message in queue %s: %w", q.cfg.ID, err)
	}
	return f, nil
}
