package bucket

import (
	"context"
	"io"

	"go.opentelemetry.io/otel/attribute"

	"github.com/stacklab/stacklab/internal/telemetry"
)

// How a bucket is traced (internal/telemetry/README.md): PutObject,
// GetObject and DeleteObject spans of the bucket's resource, children of
// the span in the caller's context (the HTTP endpoints extract it from
// traceparent or X-Amzn-Trace-Id). A put keeps its span's context in the
// object's metadata (traceparent, x-amzn-trace-id: not user metadata, so
// not shown as x-amz-meta-*), and every notification it causes carries it:
// a function's async invocation as its TraceID, a queue or topic in the
// message's headers. Put and Delete return the context in Object.Trace.

// objectSpan starts the span of an operation on an object. It is a Server
// span when the call comes from outside (a remote or no parent: an HTTP
// endpoint), a Client span when an in-process span makes it.
func (s *Service) objectSpan(ctx context.Context, op string, b *bucket, key string, attrs ...attribute.KeyValue) (context.Context, telemetry.Span) {
	if s.tel == nil {
		return ctx, telemetry.Span{}
	}
	attrs = append(attrs, telemetry.Resource(b.cfg.ID),
		attribute.String("aws.s3.bucket", b.cfg.Name), attribute.String("aws.s3.key", key))
	return s.tel.StartSpan(ctx, op, telemetry.EntryKind(ctx), attrs...)
}

// spanReader ends a GetObject span when the content is closed, so that the
// span covers the transfer.
type spanReader struct {
	io.ReadCloser
	span telemetry.Span
}

func (r *spanReader) Close() error {
	err := r.ReadCloser.Close()
	r.span.End()
	return err
}
