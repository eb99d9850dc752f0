package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// StartBatch starts the span that processes a batch of messages or records
// each carrying its own context (an SQS batch, a table stream batch), as the
// messaging conventions ask:
//
//   - one valid context: the span is its child, as for a single delivery;
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
	var (
		first  trace.SpanContext
		valid  int
		shared = true
	)
	for _, sc := range parents {
		if !sc.IsValid() {
			continue
		}
		if valid == 0 {
			first = sc
		} else if sc.TraceID() != first.TraceID() {
			shared = false
		}
		valid++
	}
	opts := []trace.SpanStartOption{trace.WithSpanKind(otelKind(kind)), trace.WithAttributes(attrs...)}
	switch {
	case valid == 1:
		ctx = trace.ContextWithRemoteSpanContext(ctx, first)
	case valid > 1:
		links := make([]trace.Link, 0, valid)
		for _, sc := range parents {
			if sc.IsValid() {
				links = append(links, trace.Link{SpanContext: sc})
			}
		}
		opts = append(opts, trace.WithLinks(links...))
		if shared {
			ctx = trace.ContextWithRemoteSpanContext(ctx, first)
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
