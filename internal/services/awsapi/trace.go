package awsapi

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// How a call is traced (internal/telemetry/README.md): the caller's context
// comes from traceparent or X-Amzn-Trace-Id (which a function's AWS SDK for
// Go v2 sends from _X_AMZN_TRACE_ID, see its RecursionDetection middleware);
// an SQS or DynamoDB call is a Server span "SQS.SendMessage",
// "DynamoDB.PutItem" ... of the queue's or table's resource, and the
// services' own spans (the send, the write and its stream record) are its
// children. EventBridge's PutEvents makes no span of its own: its entries'
// spans name their bus, which one call may not share.

// traced returns ctx carrying the caller's trace: the span already in it
// (a traced server in front), else the one in the request's headers.
func traced(r *http.Request) context.Context {
	ctx := r.Context()
	if trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	return tracectx.Extract(ctx, tracectx.HTTP(r.Header))
}

// callSpan starts the Server span of one call; its resource is set once
// the request names its queue or table (setResource).
func (h *Handler) callSpan(ctx context.Context, service, op string) (context.Context, telemetry.Span) {
	if h.Telemetry == nil {
		return ctx, telemetry.Span{}
	}
	return h.Telemetry.StartSpan(ctx, service+"."+op, telemetry.Server,
		attribute.String("rpc.system", "aws-api"),
		attribute.String("rpc.service", service),
		attribute.String("rpc.method", op))
}

// setResource names the resource of the call's span in ctx.
func (h *Handler) setResource(ctx context.Context, id string) {
	if h.Telemetry != nil && id != "" {
		trace.SpanFromContext(ctx).SetAttributes(telemetry.Resource(id))
	}
}

// queueResource names the queue a call is for on its span.
func (h *Handler) queueResource(ctx context.Context, name string) {
	if h.Telemetry == nil {
		return
	}
	if cfg, ok := h.Queues.Lookup(name); ok {
		h.setResource(ctx, cfg.ID)
	}
}

// tableResource names the table a call is for on its span.
func (h *Handler) tableResource(ctx context.Context, name string) {
	if h.Telemetry == nil {
		return
	}
	if cfg, err := h.config(name); err == nil {
		h.setResource(ctx, cfg.ID)
	}
}
