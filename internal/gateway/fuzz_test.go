package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/stack"
)

// FuzzMatch matches fuzzed requests against a fuzzed route next to fixed
// ones, and builds both events for what matched: nothing may panic, and a
// match must be one of the routes given.
func FuzzMatch(f *testing.F) {
	for _, s := range [][3]string{
		{"/items/{id}", "GET", "/items/1"},
		{"/{proxy+}", "POST", "/a/b/c"},
		{"/a/{b}/{c+}", "ANY", "/a/%2F/x/y"},
		{"$default", "GET", "/_api/A/Prod/x"},
		{"/{x}", "GET", "/_api/H/%zz"},
		{"/", "GET", "//"},
		{"/{+}", "PUT", "/_api/"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, routePath, method, path string) {
		rest := &stack.API{ID: "A", Stage: "Prod", Routes: []stack.Route{
			{Method: "GET", Path: "/items/{id}", Function: "Items"},
			{Method: "ANY", Path: routePath, Function: "Fuzzed"},
		}}
		httpAPI := &stack.API{ID: "H", HTTP: true, Stage: "$default", Routes: []stack.Route{
			{Method: method, Path: routePath, Function: "FuzzedH"},
			{Method: "ANY", Path: "/{proxy+}", Function: "Proxy"},
			{Method: "ANY", Path: "$default", Function: "Default"},
		}}
		rt, _ := NewRouter([]*stack.API{rest, httpAPI})
		m, ok := rt.Match(method, path)
		if !ok {
			return
		}
		switch m.Route.Function {
		case "Items", "Fuzzed", "FuzzedH", "Proxy", "Default":
		default:
			t.Fatalf("matched a route that was not given: %+v", m)
		}
		if m2, _ := rt.Match(method, path); m2.Route.Function != m.Route.Function || m2.RouteKey != m.RouteKey {
			t.Fatalf("not deterministic: %s then %s", m.RouteKey, m2.RouteKey)
		}
		u, err := url.ParseRequestURI("http://example.com" + path)
		if err != nil {
			return
		}
		req := &http.Request{Method: method, URL: u, Proto: "HTTP/1.1", Header: http.Header{}, Host: "example.com", RemoteAddr: "192.0.2.1:1"}
		for _, ev := range [][]byte{EventV1(req, []byte(path), m, Meta{}), EventV2(req, []byte(path), m, Meta{})} {
			if !json.Valid(ev) {
				t.Fatalf("event is not JSON: %s", ev)
			}
		}
	})
}

// FuzzParseResponse feeds anything to the response parser: it must return a
// response or an error, never panic, and a response must be writable.
func FuzzParseResponse(f *testing.F) {
	for _, tc := range responseCases {
		f.Add([]byte(tc.payload), tc.v2)
	}
	f.Add([]byte(`{"statusCode":1e400}`), false)
	f.Add([]byte(`{"statusCode":200,"headers":{"":""},"multiValueHeaders":{"a":[null]}}`), false)
	f.Add([]byte(`{"statusCode":204,"body":"x"}`), true)
	f.Fuzz(func(t *testing.T, payload []byte, v2 bool) {
		resp, err := ParseResponse(payload, v2)
		if err != nil {
			if resp != nil {
				t.Fatal("a response with an error")
			}
			return
		}
		if resp.StatusCode < 200 || resp.StatusCode > 599 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		rec := httptest.NewRecorder()
		resp.write(rec)
		if rec.Code != resp.StatusCode {
			t.Fatalf("wrote status %d, want %d", rec.Code, resp.StatusCode)
		}
		if cl := rec.Header().Get("Content-Length"); cl != "" && cl != strconv.Itoa(rec.Body.Len()) {
			t.Fatalf("content-length %s for %d bytes", cl, rec.Body.Len())
		}
		for k, vs := range rec.Header() {
			for _, v := range vs {
				if strings.ContainsAny(k+v, "\r\n") {
					t.Fatalf("header %q: %q lets a response split", k, v)
				}
			}
		}
	})
}
