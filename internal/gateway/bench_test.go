package gateway

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/stack"
)

// benchRequest is the request of bench/invoke's route: a small JSON POST.
func benchRequest(url string) *http.Request {
	req := httptest.NewRequest("POST", url, bytes.NewReader([]byte(`{"hello":"world","n":42}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Go-http-client/1.1")
	req.Header.Set("Accept-Encoding", "gzip")
	return req
}

// echo answers every invocation with its own event, as bench/invoke's
// function does.
func echo() *fakeInvoker {
	return &fakeInvoker{fn: func(_ context.Context, req invoke.Request) (invoke.Result, error) {
		return invoke.Result{RequestID: "r", Payload: req.Payload}, nil
	}}
}

func benchGateway(b *testing.B) *Gateway {
	api := &stack.API{ID: "ServerlessHttpApi", HTTP: true, Implicit: true, Stage: "$default", Routes: []stack.Route{stackRoute("POST", "/echo", "Echo")}}
	g, err := New(Config{Invoker: echo(), APIs: []*stack.API{api}})
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

func BenchmarkServeRouteV2(b *testing.B) {
	g := benchGateway(b)
	b.ReportAllocs()
	for b.Loop() {
		g.ServeHTTP(&discardWriter{h: http.Header{}}, benchRequest("/echo"))
	}
}

func BenchmarkServeInvoke(b *testing.B) {
	g := benchGateway(b)
	b.ReportAllocs()
	for b.Loop() {
		g.ServeHTTP(&discardWriter{h: http.Header{}}, benchRequest(InvokePrefix+"Echo/invocations"))
	}
}

func BenchmarkEventV2(b *testing.B) {
	g := benchGateway(b)
	req := benchRequest("/echo")
	m, _ := g.router.Match("POST", "/echo")
	body := []byte(`{"hello":"world","n":42}`)
	b.ReportAllocs()
	for b.Loop() {
		EventV2(req, body, m, Meta{RequestID: fixedID(), Time: fixedTime, AccountID: "123456789012"})
	}
}

func BenchmarkParseResponseEvent(b *testing.B) {
	g := benchGateway(b)
	m, _ := g.router.Match("POST", "/echo")
	ev := EventV2(benchRequest("/echo"), []byte(`{"hello":"world","n":42}`), m, Meta{RequestID: fixedID(), Time: fixedTime, AccountID: "123456789012"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseResponse(ev, true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseResponseProxy(b *testing.B) {
	payload := []byte(`{"statusCode":201,"headers":{"Content-Type":"text/plain","X-Id":"7"},"cookies":["a=b"],"body":"created","isBase64Encoded":false}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseResponse(payload, true); err != nil {
			b.Fatal(err)
		}
	}
}
