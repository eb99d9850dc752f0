package events

import (
	"context"

	"go.opentelemetry.io/otel/attribute"

	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// How a bus is traced (internal/telemetry/README.md): each stored entry of
// a put is a Producer span "<bus> put" of the bus's resource whose context
// rides in the stored event's NATS headers; each delivery attempt of an
// event to the targets of its rules is a Consumer span "<bus> deliver"
// ("retry" event from the second attempt) that the targets continue: a
// function's async invocation as its TraceID, a queue, topic or
// dead-letter queue in its message's headers.

// putSpan starts the Producer span of storing one entry on bus b.
func (s *Service) putSpan(ctx context.Context, b Bus) (context.Context, telemetry.Span) {
	if s.tel == nil {
		return ctx, telemetry.Span{}
	}
	return s.tel.StartSpan(ctx, b.ID+" put", telemetry.Producer,
		telemetry.Resource(b.ID),
		telemetry.MessagingOperation(telemetry.OpSend),
		telemetry.MessagingDestination(b.Name))
}

// deliverSpan starts the Consumer span of delivering a stored event, the
// child of its put's span found in h.
func (s *Service) deliverSpan(ctx context.Context, b Bus, h tracectx.NATSCarrier, eventID string, attempt uint64) (context.Context, telemetry.Span) {
	ctx = tracectx.Extract(ctx, h)
	if s.tel == nil {
		return ctx, telemetry.Span{}
	}
	ctx, span := s.tel.StartSpan(ctx, b.ID+" deliver", telemetry.Consumer,
		telemetry.Resource(b.ID),
		telemetry.MessagingOperation(telemetry.OpProcess),
		telemetry.MessagingDestination(b.Name),
		telemetry.MessagingMessageID(eventID))
	if attempt > 1 {
		span.AddEvent("retry", attribute.Int64("stacklab.attempt", int64(attempt)))
	}
	return ctx, span
}

// busNamed is the bus called name, or one with only that name when it is
// no longer deployed.
func (s *Service) busNamed(name string) Bus {
	s.mu.RLock()
	b, ok := s.buses[name]
	s.mu.RUnlock()
	if !ok {
		b = Bus{ID: name, Name: name}
	}
	return b
}
