package gateway

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// InvokeResource is the service-map node of the Invoke API's spans (the
// "lambda" of RouteOf): API routes' spans belong to their API's logical id.
const InvokeResource = "lambda"

// invokeRoute is http.route of the Invoke API's spans.
const invokeRoute = "/2015-03-31/functions/{FunctionName}/invocations"

// startSpan starts the Server span of a request the gateway serves: a
// child of the request's traceparent (or X-Amzn-Trace-Id), or a new root
// when it has none that parses. The span's context goes back to the client
// in the traceparent and X-Amzn-Trace-Id response headers, so that it can
// find its trace ('stacklab trace ID'). It returns the context to invoke
// with, the writer to answer through and the span's handle, whose end ends
// the span with the status written. Without telemetry it returns r's
// context, w and a nil handle, which does nothing.
func (g *Gateway) startSpan(w http.ResponseWriter, r *http.Request, name, route, resource string, attrs ...attribute.KeyValue) (context.Context, http.ResponseWriter, *spanWriter) {
	if g.tel == nil {
		return r.Context(), w, nil
	}
	attrs = append(attrs,
		telemetry.Resource(resource),
		telemetry.HTTPMethod(r.Method),
		telemetry.HTTPRoute(route),
		telemetry.URLPath(r.URL.Path),
	)
	// Made without the tracer: this span is on the path of every request.
	ctx, span := g.tel.Begin(tracectx.Extract(r.Context(), tracectx.HTTP(r.Header)), name, telemetry.Server, attrs...)
	tracectx.Inject(ctx, tracectx.HTTP(w.Header()))
	sw := &spanWriter{ResponseWriter: w, span: span}
	return ctx, sw, sw
}

// spanWriter answers a traced request and remembers the status written,
// for its span.
type spanWriter struct {
	http.ResponseWriter
	span   *telemetry.LocalSpan
	status int
}

// set adds attributes to the span.
func (s *spanWriter) set(attrs ...attribute.KeyValue) {
	if s != nil {
		s.span.SetAttributes(attrs...)
	}
}

// end ends the span with the status the client got; a 5xx fails it (a 4xx
// is the client's error, not the server's, as the HTTP conventions say).
func (s *spanWriter) end() {
	if s == nil {
		return
	}
	status := s.status
	if status == 0 {
		status = http.StatusOK
	}
	s.span.SetAttributes(telemetry.HTTPStatus(status))
	if status >= 500 {
		s.span.Fail(strconv.Itoa(status), http.StatusText(status))
	}
	s.span.End()
}

// traceHeader is the X-Ray header the invocation continues: without
// telemetry the client's X-Amzn-Trace-Id as it came, with it none (the
// request span's context is in ctx).
func (g *Gateway) traceHeader(ctx context.Context, r *http.Request) string {
	if g.tel == nil {
		return r.Header.Get(tracectx.XRayHeader)
	}
	// ctx carries the span; the runtime continues it from there (and
	// formats it for an async event), which spares formatting it here and
	// parsing it there on every request.
	return ""
}

// routePath is http.route for a route key: "GET /items/{id}" ->
// "/items/{id}"; "$default" stays as it is.
func routePath(key string) string {
	if _, path, ok := strings.Cut(key, " "); ok {
		return path
	}
	return key
}

func (s *spanWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *spanWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer.
func (s *spanWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
