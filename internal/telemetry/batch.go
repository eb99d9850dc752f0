package telemetry

import (
	"context"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// StartBatch starts the span that processes a batch of messages or records
// each carrying its own context (an SQS batch, a table stream batch), as the
// messaging conventions ask:
//
//   - one valid context (or several equal ones: messages sent in one call):
//     the span is its child, as for a single delivery;
//   - several: the span links to each of them, and is the child of the
//     first when they all share its trace (one upload fanned out into
//     chunks stays one trace), else a new root;
//   - none: a new root (or the child of the span in ctx).
//
// Invalid span contexts in parents are skipped.
func (t *Telemetry) StartBatch(ctx context.Context, name string, kind Kind, parents []trace.SpanContext, attrs ...attribute.KeyValue) (context.Context, Span) {
	if t == nil {
		return ctx, Span{}
	}
	// The distinct valid contexts: messages sent in one call (an SQS
	// SendMessageBatch) share their sender's span, and count once.
	var distinct []trace.SpanContext
	shared := true
	for _, sc := range parents {
		if !sc.IsValid() || slices.ContainsFunc(distinct, func(d trace.SpanContext) bool { return d.Equal(sc) }) {
			continue
		}
		if len(distinct) > 0 && sc.TraceID() != distinct[0].TraceID() {
			shared = false
		}
		distinct = append(distinct, sc)
	}
	opts := []trace.SpanStartOption{trace.WithSpanKind(otelKind(kind)), trace.WithAttributes(attrs...)}
	switch {
	case len(distinct) == 1:
		ctx = trace.ContextWithRemoteSpanContext(ctx, distinct[0])
	case len(distinct) > 1:
		links := make([]trace.Link, len(distinct))
		for i, sc := range distinct {
			links[i] = trace.Link{SpanContext: sc}
		}
		opts = append(opts, trace.WithLinks(links...))
		if shared {
			ctx = trace.ContextWithRemoteSpanContext(ctx, distinct[0])
		} else {
			opts = append(opts, trace.WithNewRoot())
		}
	}
	ctx, s := t.tracer.Start(ctx, name, opts...)
	return ctx, Span{s: s}
}

// EntryKind is the kind of a service's span for a call it serves: Server
// when the call comes from outside (the context holds a remote span
// context, extracted from a request, or none), Client when a span of this
// process makes the call.
func EntryKind(ctx context.Context) Kind {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() && !sc.IsRemote() {
		return Client
	}
	return Server
}
