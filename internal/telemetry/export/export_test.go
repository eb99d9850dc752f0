package export

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// receiver collects the spans that arrive at an in-test OTLP receiver.
type receiver struct {
	mu      sync.Mutex
	spans   []*tracepb.Span
	headers []string
}

func (r *receiver) add(req *coltracepb.ExportTraceServiceRequest, header string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.headers = append(r.headers, header)
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			r.spans = append(r.spans, ss.GetSpans()...)
		}
	}
}

func (r *receiver) got() ([]*tracepb.Span, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...), append([]string(nil), r.headers...)
}

// ServeHTTP decodes OTLP/HTTP protobuf posted to /v1/traces.
func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want protobuf at /v1/traces", http.StatusNotFound)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var msg coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &msg); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.add(&msg, req.Header.Get("X-Tenant"))
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// grpcReceiver is the same receiver behind the OTLP gRPC service.
type grpcReceiver struct {
	coltracepb.UnimplementedTraceServiceServer
	r *receiver
}

func (g grpcReceiver) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	g.r.add(req, "")
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// emit ends a parent and a child span through a provider using p.
func emit(t *testing.T, p *Processor) (trace.SpanContext, trace.SpanContext) {
	t.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	tr := tp.Tracer("test")
	ctx, parent := tr.Start(context.Background(), "GET /chunks", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", "GET")))
	_, child := tr.Start(ctx, "Scorer", trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attribute.Bool("faas.coldstart", true)))
	child.End()
	parent.End()
	return parent.SpanContext(), child.SpanContext()
}

func checkSpans(t *testing.T, spans []*tracepb.Span, parent, child trace.SpanContext) {
	t.Helper()
	if len(spans) != 2 {
		t.Fatalf("received %d spans, want 2", len(spans))
	}
	byName := map[string]*tracepb.Span{}
	for _, s := range spans {
		byName[s.GetName()] = s
	}
	p, c := byName["GET /chunks"], byName["Scorer"]
	if p == nil || c == nil {
		t.Fatalf("received spans %v, want GET /chunks and Scorer", byName)
	}
	if got := hex.EncodeToString(c.GetTraceId()); got != child.TraceID().String() {
		t.Errorf("child trace id = %s, want %s", got, child.TraceID())
	}
	if got := hex.EncodeToString(c.GetParentSpanId()); got != parent.SpanID().String() {
		t.Errorf("child's parent = %s, want %s", got, parent.SpanID())
	}
	if p.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("parent kind = %v, want server", p.GetKind())
	}
	var cold bool
	for _, kv := range c.GetAttributes() {
		if kv.GetKey() == "faas.coldstart" {
			cold = kv.GetValue().GetBoolValue()
		}
	}
	if !cold {
		t.Errorf("child attributes %v lack faas.coldstart=true", c.GetAttributes())
	}
}

func TestExportOverHTTP(t *testing.T) {
	rec := &receiver{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	p, err := New(context.Background(), Config{Endpoint: srv.URL, Headers: map[string]string{"X-Tenant": "lab"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	parent, child := emit(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	spans, headers := rec.got()
	checkSpans(t, spans, parent, child)
	if len(headers) == 0 || headers[0] != "lab" {
		t.Errorf("X-Tenant headers = %v, want lab", headers)
	}
	if st := p.Status(); st.Exported != 2 || st.Dropped != 0 || st.Dropping {
		t.Errorf("status = %+v, want 2 exported and none dropped", st)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestExportOverGRPC(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &receiver{}
	gs := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(gs, grpcReceiver{r: rec})
	go gs.Serve(lis)
	defer gs.Stop()

	p, err := New(context.Background(), Config{Endpoint: "http://" + lis.Addr().String(), Protocol: ProtocolGRPC}, nil)
	if err != nil {
		t.Fatal(err)
	}
	parent, child := emit(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	spans, _ := rec.got()
	checkSpans(t, spans, parent, child)
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestCollectorDownDropsWithoutBlocking(t *testing.T) {
	// A port nothing listens on.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()

	p, err := New(context.Background(), Config{
		Endpoint: "http://" + addr, Buffer: 4, BatchSize: 2,
		MaxRetryTime: 50 * time.Millisecond, Timeout: 50 * time.Millisecond,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	tr := tp.Tracer("test")
	for i := 0; i < 1000; i++ { // far more than the buffer: End must not wait
		_, s := tr.Start(context.Background(), "invoke")
		s.End()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.ForceFlush(ctx); err == nil {
		// The flush may find an empty batch when every span was already
		// dropped; the status below still has to say so.
		t.Log("flush found nothing left to send")
	}
	st := p.Status()
	if !st.Dropping || st.Dropped == 0 || st.Exported != 0 {
		t.Errorf("status = %+v, want dropping, some dropped, none exported", st)
	}
	if st.Dropped+st.Exported > 1000 {
		t.Errorf("counted %d spans, more than the 1000 ended", st.Dropped+st.Exported)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	_, s := tr.Start(context.Background(), "after shutdown")
	s.End()
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg     Config
		wantErr string
	}{
		{Config{Endpoint: "http://localhost:4318"}, ""},
		{Config{Endpoint: "https://otel.example.com/v1/traces", Protocol: "http"}, ""},
		{Config{Endpoint: "localhost:4317", Protocol: ProtocolGRPC, Insecure: true}, ""},
		{Config{}, "no endpoint"},
		{Config{Endpoint: "localhost"}, "want a URL or host:port"},
		{Config{Endpoint: "ftp://x:1"}, "scheme"},
		{Config{Endpoint: "http://"}, "no host"},
		{Config{Endpoint: "http://x:1", Protocol: "thrift"}, "protocol"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("Validate(%+v) = %v, want nil", tt.cfg, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("Validate(%+v) = %v, want an error containing %q", tt.cfg, err, tt.wantErr)
		}
	}
	ep, err := Config{Endpoint: "http://localhost:4318"}.endpoint()
	if err != nil || ep.path != "/v1/traces" || !ep.insecure || ep.hostPort != "localhost:4318" {
		t.Errorf("endpoint = %+v, %v; want localhost:4318 /v1/traces insecure", ep, err)
	}
}

// flaky answers 503 to the first failures requests, then passes them on.
type flaky struct {
	mu       sync.Mutex
	failures int
	next     http.Handler
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	fail := f.failures > 0
	if fail {
		f.failures--
	}
	f.mu.Unlock()
	if fail {
		io.Copy(io.Discard, r.Body)
		http.Error(w, "collector warming up", http.StatusServiceUnavailable)
		return
	}
	f.next.ServeHTTP(w, r)
}

func TestExportRetriesUntilCollectorAnswers(t *testing.T) {
	rec := &receiver{}
	srv := httptest.NewServer(&flaky{failures: 2, next: rec})
	defer srv.Close()
	p, err := New(context.Background(), Config{Endpoint: srv.URL, MaxRetryTime: 20 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	parent, child := emit(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	spans, _ := rec.got()
	checkSpans(t, spans, parent, child)
	if st := p.Status(); st.Exported != 2 || st.Dropped != 0 {
		t.Errorf("status = %+v, want 2 exported after retries, none dropped", st)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// A collector that is down refuses connections; OTLP/HTTP does not retry a
// refused connection by itself, so the processor must: spans wait in the
// buffer and go out once the collector is up, within MaxRetryTime.
func TestExportRetriesWhileCollectorRefusesConnections(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close() // down: connections are refused

	p, err := New(context.Background(), Config{
		Endpoint: "http://" + addr, MaxRetryTime: 20 * time.Second, FlushInterval: 50 * time.Millisecond,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	parent, child := emit(t, p)
	time.Sleep(700 * time.Millisecond) // the first attempts are refused

	rec := &receiver{}
	lis, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken again: %v", addr, err)
	}
	srv := &http.Server{Handler: rec}
	go srv.Serve(lis)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	spans, _ := rec.got()
	checkSpans(t, spans, parent, child)
	if st := p.Status(); st.Exported != 2 || st.Dropped != 0 {
		t.Errorf("status = %+v, want 2 exported after the collector came up, none dropped", st)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}
