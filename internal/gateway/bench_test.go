package gateway

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/store"
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

// BenchmarkServeTraced is the gateway's part of tracing a request: its
// Server span, made, stored and written (the process's CPU per request,
// the store's writer included), against the same request untraced.
func BenchmarkServeTraced(b *testing.B) {
	for _, traced := range []bool{false, true} {
		name := "off"
		if traced {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			api := &stack.API{ID: "ServerlessHttpApi", HTTP: true, Implicit: true, Stage: "$default", Routes: []stack.Route{stackRoute("POST", "/echo", "Echo")}}
			cfg := Config{Invoker: echo(), APIs: []*stack.API{api}}
			if traced {
				tel, err := telemetry.New(context.Background(), telemetry.Config{Dir: b.TempDir(), Store: store.Options{Buffer: 1 << 16}})
				if err != nil {
					b.Fatal(err)
				}
				defer tel.Close(context.Background())
				cfg.Telemetry = tel
			}
			g, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				g.ServeHTTP(&discardWriter{h: http.Header{}}, benchRequest("/echo"))
			}
			if cfg.Telemetry != nil {
				if err := cfg.Telemetry.Flush(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/1e3/float64(b.N), "cpu-µs/op")
		})
	}
}

// processCPU is the CPU time the process has used, every goroutine's.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
