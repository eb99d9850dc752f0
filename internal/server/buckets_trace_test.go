package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/services/bucket"
	"github.com/stacklab/stacklab/internal/telemetry/store"
	"github.com/stacklab/stacklab/internal/telemetry/teltest"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// TestObjectsJoinTheCallersTrace: a put with the X-Amzn-Trace-Id a
// function's AWS SDK sends, and a get with a traceparent, make their spans
// in the caller's trace; garbage headers start a new one.
func TestObjectsJoinTheCallersTrace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Start(ctx, bus.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tel := teltest.New(t)
	bs := bucket.New(b.JetStream(), bucket.Options{Telemetry: tel})
	defer bs.Close()
	if err := bs.Apply(ctx, []bucket.Config{{ID: "Files", Name: "files"}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Objects(bs))
	defer srv.Close()
	_, caller := teltest.Root(tel, "function")
	caller.End()
	do := func(method string, h http.Header, body string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+"/files/k", strings.NewReader(body))
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s", method, resp.Status)
		}
	}
	do(http.MethodPut, http.Header{tracectx.XRayHeader: {tracectx.FormatXRay(caller.SpanContext())}}, "x")
	do(http.MethodGet, http.Header{tracectx.TraceparentHeader: {tracectx.FormatTraceparent(caller.SpanContext())}}, "")
	do(http.MethodPut, http.Header{tracectx.TraceparentHeader: {"00-garbage"}, tracectx.XRayHeader: {"Root=nope"}}, "y")

	spans := teltest.Trace(t, tel, caller.TraceID())
	for _, name := range []string{"PutObject", "GetObject"} {
		if sp := teltest.One(t, spans, name); sp.ParentID != caller.SpanContext().SpanID().String() {
			t.Errorf("%s's parent is %q, want the caller's span", name, sp.ParentID)
		}
	}
	traces, err := tel.Store().ListTraces(ctx, store.TraceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(traces) != 2 {
		t.Errorf("%d traces, want the caller's and a new one for the put with garbage headers", len(traces))
	}
}
