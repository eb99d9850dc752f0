package table

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// How a table is traced (internal/telemetry/README.md): PutItem, GetItem
// and DeleteItem spans of the table's resource, children of the caller's
// span; a write's stream record carries the write span's context in its
// NATS headers; a mapping's batch of records is a Consumer span
// "<table> stream" started with telemetry.StartBatch (a parent for one
// record, links for several) whose X-Ray header is the invocation's
// TraceID, with a "retry" event for each retry of the batch.

// itemSpan starts the span of an operation on an item.
func (s *Service) itemSpan(ctx context.Context, op string, t *table) (context.Context, telemetry.Span) {
	if s.tel == nil {
		return ctx, telemetry.Span{}
	}
	return s.tel.StartSpan(ctx, op, telemetry.EntryKind(ctx), telemetry.Resource(t.cfg.ID),
		attribute.String("db.system.name", "aws.dynamodb"),
		attribute.StringSlice("aws.dynamodb.table_names", []string{t.cfg.Name}))
}

// document sets the faas.document attributes of a write span: the table,
// the write (a telemetry.Doc constant) and the item's key values, hash
// then range, joined by "/".
func (s *Service) document(span telemetry.Span, t *table, op string, keys Item) {
	if s.tel == nil {
		return
	}
	name, _ := keys[t.cfg.HashKey.Name][t.cfg.HashKey.Type].(string)
	if r := t.cfg.RangeKey; r != nil {
		v, _ := keys[r.Name][r.Type].(string)
		name += "/" + v
	}
	span.SetAttributes(telemetry.FaaSDocument(t.cfg.Name, op, name)...)
}

// streamSpan starts the Consumer span of a batch of stream records.
func (s *Service) streamSpan(ctx context.Context, t *table, msgs []jetstream.Msg) (context.Context, telemetry.Span) {
	if s.tel == nil {
		return ctx, telemetry.Span{}
	}
	parents := make([]trace.SpanContext, len(msgs))
	for i, m := range msgs {
		parents[i], _ = tracectx.SpanContextFrom(tracectx.NATS(m.Headers()))
	}
	return s.tel.StartBatch(ctx, t.cfg.ID+" stream", telemetry.Consumer, parents,
		telemetry.Resource(t.cfg.ID),
		telemetry.MessagingOperation(telemetry.OpProcess),
		telemetry.MessagingDestination(t.cfg.Name),
		telemetry.MessagingBatchCount(len(msgs)))
}
