package queue

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// How a queue is traced (internal/telemetry/README.md):
//
//   - a send is a Producer span "<queue> send" whose context goes into the
//     message's NATS headers (traceparent, X-Amzn-Trace-Id); a receiver
//     sees it as the AWSTraceHeader system attribute, as on AWS;
//   - a mapping's batch is a Consumer span "<queue> process" started with
//     telemetry.StartBatch (a parent for one message, links for several)
//     whose X-Ray header is the invocation's TraceID;
//   - a receive (ReceiveMessage, not a mapping's) is a Client span "<queue>
//     receive" linked to each message's context;
//   - a redrive is a Producer span "<dlq> send" in the message's trace with
//     a "redrive" event, and the message continues in that span's context.

// sendSpan starts the Producer span of one message sent to q.
func (s *Service) sendSpan(ctx context.Context, q *queue) (context.Context, telemetry.Span) {
	return s.opSpan(ctx, q, telemetry.OpSend, telemetry.Producer)
}

// opSpan starts the span "<queue> <op>" of an operation on q.
func (s *Service) opSpan(ctx context.Context, q *queue, op string, kind telemetry.Kind) (context.Context, telemetry.Span) {
	if s.tel == nil {
		return ctx, telemetry.Span{}
	}
	return s.tel.StartSpan(ctx, q.cfg.ID+" "+op, kind,
		telemetry.Resource(q.cfg.ID),
		telemetry.MessagingSystem(telemetry.SystemSQS),
		telemetry.MessagingOperation(op),
		telemetry.MessagingDestination(q.name()))
}

// processSpan starts the Consumer span of a mapping's batch, parented or
// linked to each message's context.
func (s *Service) processSpan(ctx context.Context, q *queue, msgs []Message) (context.Context, telemetry.Span) {
	if s.tel == nil {
		return ctx, telemetry.Span{}
	}
	parents := make([]trace.SpanContext, len(msgs))
	for i, m := range msgs {
		if m.msg != nil {
			parents[i], _ = tracectx.SpanContextFrom(tracectx.NATS(m.msg.Headers()))
		}
	}
	return s.tel.StartBatch(ctx, q.cfg.ID+" process", telemetry.Consumer, parents,
		telemetry.Resource(q.cfg.ID),
		telemetry.MessagingSystem(telemetry.SystemSQS),
		telemetry.MessagingOperation(telemetry.OpProcess),
		telemetry.MessagingDestination(q.name()),
		telemetry.MessagingBatchCount(len(msgs)))
}

// receiveSpan starts the span of a receive from q.
func (s *Service) receiveSpan(ctx context.Context, q *queue) (context.Context, telemetry.Span) {
	return s.opSpan(ctx, q, telemetry.OpReceive, telemetry.Client)
}

// received links a receive's span to the messages it got.
func (s *Service) received(span telemetry.Span, msgs []Message) {
	if s.tel == nil {
		return
	}
	for _, m := range msgs {
		if m.msg == nil {
			continue
		}
		if sc, ok := tracectx.SpanContextFrom(tracectx.NATS(m.msg.Headers())); ok {
			span.AddLink(sc, telemetry.MessagingMessageID(m.MessageID))
		}
	}
	span.SetAttributes(telemetry.MessagingBatchCount(len(msgs)))
}

// redriveSpan starts the span of moving a message to q's dead-letter queue,
// in the message's trace, and puts the span's context in m's headers.
func (s *Service) redriveSpan(ctx context.Context, q *queue, m *nats.Msg, received uint64) (context.Context, telemetry.Span) {
	if s.tel == nil {
		return ctx, telemetry.Span{}
	}
	ctx = tracectx.Extract(ctx, tracectx.NATS(m.Header))
	ctx, span := s.tel.StartSpan(ctx, q.dlq.cfg.ID+" send", telemetry.Producer,
		telemetry.Resource(q.dlq.cfg.ID),
		telemetry.MessagingSystem(telemetry.SystemSQS),
		telemetry.MessagingOperation(telemetry.OpSend),
		telemetry.MessagingDestination(q.dlq.name()),
		telemetry.MessagingMessageID(m.Header.Get(hdrID)))
	span.AddEvent("redrive",
		attribute.String("stacklab.queue.source", q.cfg.ID),
		attribute.Int64("stacklab.queue.receive_count", int64(received)))
	tracectx.Inject(ctx, tracectx.NATS(m.Header))
	return ctx, span
}

// name is the queue's name as SQS knows it.
func (q *queue) name() string {
	if q.cfg.Name != "" {
		return q.cfg.Name
	}
	return q.cfg.ID
}
