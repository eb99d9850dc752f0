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

// TestObjectPutAnswersWithItsTrace: a put and a delete answer with their
// PutObject and DeleteObject spans' context in traceparent and
// X-Amzn-Trace-Id, in a new trace or in the caller's; a get, and a delete
// of a key that is not there, answer with none.
func TestObjectPutAnswersWithItsTrace(t *testing.T) {
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
	do := func(method string, h http.Header, want int) http.Header {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+"/files/k", strings.NewReader("x"))
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s: %s, want %d", method, resp.Status, want)
		}
		return resp.Header
	}
	_, caller := teltest.Root(tel, "caller")
	caller.End()
	for _, c := range []struct {
		name  string
		h     http.Header
		trace string // "" for a new one
	}{
		{"no caller", http.Header{}, ""},
		{"caller's traceparent", http.Header{tracectx.TraceparentHeader: {tracectx.FormatTraceparent(caller.SpanContext())}}, caller.TraceID()},
	} {
		for _, op := range []struct{ method, span string }{{http.MethodPut, "PutObject"}, {http.MethodDelete, "DeleteObject"}} {
			name := c.name + ", " + op.method
			h := do(op.method, c.h.Clone(), http.StatusOK)
			sc, err := tracectx.ParseTraceparent(h.Get(tracectx.TraceparentHeader))
			if err != nil {
				t.Errorf("%s: the answer has no valid traceparent: %v", name, err)
				continue
			}
			xr, err := tracectx.ParseXRay(h.Get(tracectx.XRayHeader))
			if err != nil || xr.TraceID() != sc.TraceID() || xr.SpanID() != sc.SpanID() {
				t.Errorf("%s: X-Amzn-Trace-Id %q is not the traceparent's context %q", name, h.Get(tracectx.XRayHeader), h.Get(tracectx.TraceparentHeader))
			}
			if c.trace != "" && sc.TraceID().String() != c.trace {
				t.Errorf("%s: answered trace %s, want the caller's %s", name, sc.TraceID(), c.trace)
			}
			sp := teltest.One(t, teltest.Trace(t, tel, sc.TraceID().String()), op.span)
			if sp.SpanID != sc.SpanID().String() {
				t.Errorf("%s: answered span %s, want the %s span %s", name, sc.SpanID(), op.span, sp.SpanID)
			}
		}
	}
	do(http.MethodPut, http.Header{}, http.StatusOK)
	if h := do(http.MethodGet, http.Header{}, http.StatusOK); h.Get(tracectx.TraceparentHeader) != "" {
		t.Errorf("a get answers with traceparent %q", h.Get(tracectx.TraceparentHeader))
	}
	do(http.MethodDelete, http.Header{}, http.StatusOK)
	if h := do(http.MethodDelete, http.Header{}, http.StatusNotFound); h.Get(tracectx.TraceparentHeader) != "" {
		t.Errorf("a delete of a key that is not there answers with traceparent %q", h.Get(tracectx.TraceparentHeader))
	}
}
