package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/stack"
)

// serve starts a gateway for apis on inv and returns its URL.
func serve(t *testing.T, inv invoke.Invoker, cfg Config, apis ...*stack.API) string {
	t.Helper()
	cfg.Invoker, cfg.APIs = inv, apis
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedTime }
	}
	if cfg.NewID == nil {
		cfg.NewID = fixedID
	}
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv.URL
}

func do(t *testing.T, method, url string, body []byte, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func wantAPIError(t *testing.T, resp *http.Response, body []byte, status int, message string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status: got %d, want %d (body %s)", resp.StatusCode, status, body)
	}
	var doc map[string]string
	if err := json.Unmarshal(body, &doc); err != nil || doc["message"] != message || len(doc) != 1 {
		t.Errorf("body: got %s, want {\"message\":%q}", body, message)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content-type: got %q", ct)
	}
}

func TestRouteV2RoundTrip(t *testing.T) {
	// The function echoes what a Go handler would see, with a cookie.
	inv := &fakeInvoker{fn: func(_ context.Context, req invoke.Request) (invoke.Result, error) {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(req.Payload, &ev); err != nil {
			return invoke.Result{}, err
		}
		body, _ := json.Marshal(map[string]any{
			"function": req.Function, "id": ev.PathParameters["id"], "tag": ev.QueryStringParameters["tag"],
			"cookies": ev.Cookies, "body": ev.Body, "b64": ev.IsBase64Encoded,
		})
		resp, _ := json.Marshal(events.APIGatewayV2HTTPResponse{
			StatusCode: 201, Headers: map[string]string{"Content-Type": "application/json"},
			Cookies: []string{"seen=1; Path=/"}, Body: string(body),
		})
		return invoke.Result{RequestID: "inv-1", Payload: resp}, nil
	}}
	url := serve(t, inv, Config{}, httpAPI)
	resp, body := do(t, "GET", url+"/items/9?tag=a&tag=b", nil, http.Header{"Cookie": {"a=1; b=2"}})
	if resp.StatusCode != 201 {
		t.Fatalf("status: got %d, want 201 (%s)", resp.StatusCode, body)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"function": "GetItem", "id": "9", "tag": "a,b", "cookies": []any{"a=1", "b=2"}, "body": "", "b64": false}
	if mustJSON(got) != mustJSON(want) {
		t.Errorf("function saw %v, want %v", got, want)
	}
	if c := resp.Header.Values("Set-Cookie"); !slices.Equal(c, []string{"seen=1; Path=/"}) {
		t.Errorf("set-cookie: got %q", c)
	}
	if id := resp.Header.Get("Apigw-Requestid"); id != fixedID() {
		t.Errorf("apigw-requestid: got %q", id)
	}
	if r := inv.last(t); r.Type != invoke.RequestResponse {
		t.Errorf("invocation type: got %q", r.Type)
	}
}

func TestRouteV1BinaryRoundTrip(t *testing.T) {
	// The function returns the request body it got, reversed, as binary.
	inv := &fakeInvoker{fn: func(_ context.Context, req invoke.Request) (invoke.Result, error) {
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(req.Payload, &ev); err != nil {
			return invoke.Result{}, err
		}
		if !ev.IsBase64Encoded {
			return invoke.Result{Payload: []byte(`{"statusCode":400,"body":"want base64"}`)}, nil
		}
		raw, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return invoke.Result{}, err
		}
		slices.Reverse(raw)
		resp, _ := json.Marshal(events.APIGatewayProxyResponse{
			StatusCode: 200, Headers: map[string]string{"Content-Type": "application/octet-stream"},
			MultiValueHeaders: map[string][]string{"X-Proxy": {ev.PathParameters["proxy"]}},
			Body:              base64.StdEncoding.EncodeToString(raw), IsBase64Encoded: true,
		})
		return invoke.Result{Payload: resp}, nil
	}}
	url := serve(t, inv, Config{}, restAPI)
	in := []byte{0, 1, 2, 0xff, 0xfe}
	resp, body := do(t, "POST", url+"/files/x/y.bin", in, http.Header{"Content-Type": {"application/octet-stream"}})
	if resp.StatusCode != 200 {
		t.Fatalf("status: got %d, want 200 (%s)", resp.StatusCode, body)
	}
	if want := []byte{0xfe, 0xff, 2, 1, 0}; !bytes.Equal(body, want) {
		t.Errorf("body: got %x, want %x", body, want)
	}
	if p := resp.Header.Get("X-Proxy"); p != "x/y.bin" {
		t.Errorf("x-proxy: got %q", p)
	}
	if id := resp.Header.Get("X-Amzn-Requestid"); id != fixedID() {
		t.Errorf("x-amzn-requestid: got %q", id)
	}

	// The same API under its own mount, with its stage.
	resp, _ = do(t, "POST", url+"/_api/ServerlessRestApi/Prod/files/x/y.bin", in, http.Header{"Content-Type": {"application/octet-stream"}})
	if resp.StatusCode != 200 {
		t.Errorf("mounted: status %d, want 200", resp.StatusCode)
	}
}

func TestRouteV1QueryAndHeaders(t *testing.T) {
	inv := &fakeInvoker{fn: func(_ context.Context, req invoke.Request) (invoke.Result, error) {
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(req.Payload, &ev); err != nil {
			return invoke.Result{}, err
		}
		body := mustJSON(map[string]any{"q": ev.QueryStringParameters, "mq": ev.MultiValueQueryStringParameters, "h": ev.MultiValueHeaders["X-Multi"]})
		return invoke.Result{Payload: []byte(mustJSON(map[string]any{"statusCode": 200, "body": body}))}, nil
	}}
	url := serve(t, inv, Config{}, restAPI)
	resp, body := do(t, "GET", url+"/items/1?a=1&a=2&b=x%3By", nil, http.Header{"X-Multi": {"p", "q"}})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	want := `{"h":["p","q"],"mq":{"a":["1","2"],"b":["x;y"]},"q":{"a":"2","b":"x;y"}}`
	if string(body) != want {
		t.Errorf("got %s, want %s", body, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("default content-type: got %q, want application/json", ct)
	}
}

func TestRouteErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		inv     *fakeInvoker
		cfg     Config
		method  string
		path    string
		body    []byte
		status  int
		message string
		invoked bool
	}{
		{name: "no route", inv: answer(invoke.Result{}, nil), method: "GET", path: "/nothing", status: 404, message: "Not Found"},
		{name: "wrong method", inv: answer(invoke.Result{}, nil), method: "DELETE", path: "/items/1", status: 404, message: "Not Found"},
		{name: "function error", inv: answer(invoke.Result{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"boom"}`)}, nil),
			method: "GET", path: "/items/1", status: 502, message: "Internal server error", invoked: true},
		{name: "malformed response", inv: answer(invoke.Result{Payload: []byte(`"just a string"`)}, nil),
			method: "GET", path: "/items/1", status: 502, message: "Internal server error", invoked: true},
		{name: "throttled", inv: answer(invoke.Result{}, invoke.Errorf(invoke.ErrTooManyRequests, "Rate Exceeded.")),
			method: "GET", path: "/items/1", status: 429, message: "Too Many Requests", invoked: true},
		{name: "function not found", inv: answer(invoke.Result{}, invoke.ErrNotFound),
			method: "GET", path: "/items/1", status: 502, message: "Internal server error", invoked: true},
		{name: "other failure", inv: answer(invoke.Result{}, errors.New("worker lost")),
			method: "GET", path: "/items/1", status: 502, message: "Internal server error", invoked: true},
		{name: "integration timeout", cfg: Config{Timeout: 20 * time.Millisecond},
			inv: &fakeInvoker{fn: func(ctx context.Context, _ invoke.Request) (invoke.Result, error) {
				<-ctx.Done()
				return invoke.Result{}, ctx.Err()
			}},
			method: "GET", path: "/items/1", status: 504, message: "Endpoint request timed out", invoked: true},
		{name: "body over 10 MB", inv: answer(invoke.Result{}, nil),
			method: "POST", path: "/items", body: bytes.Repeat([]byte("x"), MaxBody+1), status: 413, message: "Request Entity Too Large"},
		{name: "event over 6 MB", inv: answer(invoke.Result{}, nil),
			method: "POST", path: "/items", body: bytes.Repeat([]byte("x"), 7<<20), status: 413, message: "Request Entity Too Large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := serve(t, tc.inv, tc.cfg, restAPI)
			resp, body := do(t, tc.method, url+tc.path, tc.body, nil)
			wantAPIError(t, resp, body, tc.status, tc.message)
			if got := tc.inv.count() > 0; got != tc.invoked {
				t.Errorf("invoked: got %v, want %v", got, tc.invoked)
			}
		})
	}
}

func TestNewLogsConflicts(t *testing.T) {
	var logs bytes.Buffer
	a := &stack.API{ID: "A", Stage: "Prod", Routes: []stack.Route{stackRoute("GET", "/x", "F1")}}
	b := &stack.API{ID: "B", Stage: "Prod", Routes: []stack.Route{stackRoute("GET", "/x", "F2")}}
	_, err := New(Config{Invoker: answer(invoke.Result{}, nil), APIs: []*stack.API{a, b}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "shadowed") || !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("log: got %q, want a warning about the shadowed route", logs.String())
	}
	if _, err := New(Config{}); err == nil {
		t.Error("New without an invoker: got no error")
	}
}
