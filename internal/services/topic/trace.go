package topic

import (
	"context"

	"go.opentelemetry.io/otel/attribute"

	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// How a topic is traced (internal/telemetry/README.md): a publish is a
// Producer span "<topic> publish" whose context rides in the stored
// publish's NATS headers; its fan-out is a Consumer span "<topic> deliver"
// (one per delivery attempt, "retry" event from the second) whose context
// the subscriptions get: a function's async invocation as its TraceID, a
// queue in the message's headers.

// publishSpan starts the Producer span of a publish to t.
func (s *Service) publishSpan(ctx context.Context, t *topic) (context.Context, telemetry.Span) {
	if s.tel == nil {
		return ctx, telemetry.Span{}
	}
	return s.tel.StartSpan(ctx, t.cfg.ID+" publish", telemetry.Producer,
		telemetry.Resource(t.cfg.ID),
		telemetry.MessagingSystem(telemetry.SystemSNS),
		telemetry.MessagingOperation(telemetry.OpSend),
		telemetry.MessagingDestination(t.name()))
}

// deliverSpan starts the Consumer span of delivering a stored publish to
// t's subscriptions, the child of the publish's span found in h.
func (s *Service) deliverSpan(ctx context.Context, t *topic, h tracectx.NATSCarrier, messageID string, attempt uint64) (context.Context, telemetry.Span) {
	if s.tel == nil {
		return tracectx.Extract(ctx, h), telemetry.Span{}
	}
	ctx, span := s.tel.StartSpan(tracectx.Extract(ctx, h), t.cfg.ID+" deliver", telemetry.Consumer,
		telemetry.Resource(t.cfg.ID),
		telemetry.MessagingSystem(telemetry.SystemSNS),
		telemetry.MessagingOperation(telemetry.OpProcess),
		telemetry.MessagingDestination(t.name()),
		telemetry.MessagingMessageID(messageID))
	if attempt > 1 {
		span.AddEvent("retry", attribute.Int64("stacklab.attempt", int64(attempt)))
	}
	return ctx, span
}

// name is the topic's name as SNS knows it.
func (t *topic) name() string {
	if t.cfg.Name != "" {
		return t.cfg.Name
	}
	return t.cfg.ID
}
