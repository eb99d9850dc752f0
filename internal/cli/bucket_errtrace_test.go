package cli

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/server"
)

// A put whose object was stored but whose notification could not be queued
// fails (503) yet started a trace: the error keeps the answer's header, so
// bucket put and rm can still name the trace.
func TestErrorTraceFromAFailedAnswer(t *testing.T) {
	const id = "4bf92f3577b34da6a3ce929d0e0e4736"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("traceparent", "00-"+id+"-00f067aa0ba902b7-01")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"type": "ServiceUnavailable", "message": "the object is stored; its notifications could not be queued"}`))
	}))
	defer srv.Close()
	c := &server.Client{Base: srv.URL, Token: "t"}
	for _, call := range []func() error{
		func() error {
			_, err := c.Stream(context.Background(), http.MethodPut, "/v1/buckets/B/objects/k", nil, nil, strings.NewReader("x"))
			return err
		},
		func() error {
			_, err := c.Do(context.Background(), http.MethodDelete, "/v1/buckets/B/objects/k", nil, nil)
			return err
		},
	} {
		err := call()
		var ae *server.APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable || ae.Type != "ServiceUnavailable" {
			t.Fatalf("error %v, want the 503 as an *APIError", err)
		}
		if got := errorTrace(err); got != id {
			t.Errorf("errorTrace = %q, want %s", got, id)
		}
	}
	if got := errorTrace(errors.New("connection refused")); got != "" {
		t.Errorf("errorTrace of a failed call = %q, want none", got)
	}
}
