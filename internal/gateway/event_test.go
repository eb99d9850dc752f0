package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stacklab/stacklab/internal/stack"
)

var (
	restAPI = &stack.API{ID: "ServerlessRestApi", Implicit: true, Stage: "Prod", Routes: []stack.Route{
		stackRoute("GET", "/items/{id}", "GetItem"),
		stackRoute("POST", "/items", "PostItem"),
		stackRoute("ANY", "/files/{proxy+}", "Files"),
	}}
	httpAPI = &stack.API{ID: "ServerlessHttpApi", HTTP: true, Implicit: true, Stage: "$default", Routes: []stack.Route{
		stackRoute("GET", "/items/{id}", "GetItem"),
		stackRoute("ANY", "$default", "Default"),
	}}
	stagedAPI = &stack.API{ID: "MyHttpApi", HTTP: true, Stage: "dev", Routes: []stack.Route{
		stackRoute("POST", "/users/{id}", "Users"),
	}}
	pngBytes = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0x0d, 0xff, 0xfe}
)

type eventCase struct {
	name        string
	api         *stack.API
	method, url string
	header      map[string][]string
	body        []byte
}

var eventCases = []eventCase{
	{
		name: "rest_get_params", api: restAPI, method: "GET", url: "/items/42?tag=a&tag=b&q=hello%20world&empty=",
		header: map[string][]string{"Accept": {"application/json"}, "User-Agent": {"curl/8.5.0"}, "X-Multi": {"one", "two"}},
	},
	{
		name: "rest_post_json", api: restAPI, method: "POST", url: "/items",
		header: map[string][]string{"Content-Type": {"application/json; charset=utf-8"}, "X-Forwarded-For": {"203.0.113.9"}},
		body:   []byte(`{"name":"<widget> & co"}`),
	},
	{
		name: "rest_proxy_binary", api: restAPI, method: "PUT", url: "/files/a/b%20c/d.png",
		header: map[string][]string{"Content-Type": {"image/png"}},
		body:   pngBytes,
	},
	{
		name: "http_get_cookies", api: httpAPI, method: "GET", url: "/items/7?tag=a&tag=b&x=1",
		header: map[string][]string{
			"Cookie":     {"session=abc; theme=dark", "lang=en"},
			"User-Agent": {"Mozilla/5.0"},
			"X-Multi":    {"one", "two"},
		},
	},
	{
		name: "http_default_text", api: httpAPI, method: "POST", url: "/anything/else",
		header: map[string][]string{"Content-Type": {"text/plain"}},
		body:   []byte("hello, world"),
	},
	{
		name: "http_default_binary", api: httpAPI, method: "POST", url: "/upload",
		header: map[string][]string{"Content-Type": {"application/octet-stream"}},
		body:   pngBytes,
	},
	{
		name: "http_invalid_utf8_text", api: httpAPI, method: "POST", url: "/upload",
		header: map[string][]string{"Content-Type": {"text/plain"}},
		body:   []byte{'a', 0xff, 'b'},
	},
	{
		name: "http_named_stage", api: stagedAPI, method: "POST", url: "/_api/MyHttpApi/dev/users/u%201",
		header: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}},
		body:   []byte("a=1&b=2"),
	},
}

// buildEvent runs one case through the router and the event builder.
func buildEvent(t *testing.T, tc eventCase) []byte {
	t.Helper()
	rt, problems := NewRouter([]*stack.API{tc.api})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	req := httptest.NewRequest(tc.method, tc.url, bytes.NewReader(tc.body))
	for k, v := range tc.header {
		req.Header[k] = v
	}
	m, ok := rt.Match(req.Method, req.URL.EscapedPath())
	if !ok {
		t.Fatalf("%s %s: no route", tc.method, tc.url)
	}
	body, _ := io.ReadAll(req.Body)
	meta := Meta{RequestID: fixedID(), Time: fixedTime, AccountID: "123456789012"}
	if tc.api.HTTP {
		return EventV2(req, body, m, meta)
	}
	return EventV1(req, body, m, meta)
}

func TestEventGolden(t *testing.T) {
	for _, tc := range eventCases {
		t.Run(tc.name, func(t *testing.T) {
			ev := buildEvent(t, tc)
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, ev, "", "  "); err != nil {
				t.Fatalf("event is not JSON: %v\n%s", err, ev)
			}
			pretty.WriteByte('\n')
			checkGolden(t, "events/"+tc.name+".json", pretty.Bytes())
		})
	}
}

// TestEventV1DecodesAsAWSLambdaGo reads a REST event with aws-lambda-go's
// own type, as a Go handler would.
func TestEventV1DecodesAsAWSLambdaGo(t *testing.T) {
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(buildEvent(t, eventCases[0]), &ev); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"resource", ev.Resource, "/items/{id}"},
		{"path", ev.Path, "/items/42"},
		{"httpMethod", ev.HTTPMethod, "GET"},
		{"pathParameters.id", ev.PathParameters["id"], "42"},
		{"queryStringParameters.tag", ev.QueryStringParameters["tag"], "b"},
		{"multiValueQueryStringParameters.tag", ev.MultiValueQueryStringParameters["tag"], []string{"a", "b"}},
		{"queryStringParameters.q", ev.QueryStringParameters["q"], "hello world"},
		{"headers.X-Multi", ev.Headers["X-Multi"], "two"},
		{"multiValueHeaders.X-Multi", ev.MultiValueHeaders["X-Multi"], []string{"one", "two"}},
		{"requestContext.stage", ev.RequestContext.Stage, "Prod"},
		{"requestContext.path", ev.RequestContext.Path, "/Prod/items/42"},
		{"requestContext.resourcePath", ev.RequestContext.ResourcePath, "/items/{id}"},
		{"requestContext.identity.sourceIp", ev.RequestContext.Identity.SourceIP, "192.0.2.1"},
		{"requestContext.identity.userAgent", ev.RequestContext.Identity.UserAgent, "curl/8.5.0"},
		{"requestContext.requestTimeEpoch", ev.RequestContext.RequestTimeEpoch, fixedTime.UnixMilli()},
		{"body", ev.Body, ""},
	}
	for _, c := range checks {
		if !equalAny(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.what, c.got, c.want)
		}
	}

	// A binary body arrives base64-encoded.
	if err := json.Unmarshal(buildEvent(t, eventCases[2]), &ev); err != nil {
		t.Fatal(err)
	}
	got, err := base64.StdEncoding.DecodeString(ev.Body)
	if !ev.IsBase64Encoded || err != nil || !bytes.Equal(got, pngBytes) {
		t.Errorf("binary body: isBase64Encoded %v, decoded %x (%v), want %x", ev.IsBase64Encoded, got, err, pngBytes)
	}
	if ev.PathParameters["proxy"] != "a/b c/d.png" {
		t.Errorf("proxy: got %q", ev.PathParameters["proxy"])
	}
}

// TestEventV2DecodesAsAWSLambdaGo reads an HTTP API event with
// aws-lambda-go's own type.
func TestEventV2DecodesAsAWSLambdaGo(t *testing.T) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(buildEvent(t, eventCases[3]), &ev); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"version", ev.Version, "2.0"},
		{"routeKey", ev.RouteKey, "GET /items/{id}"},
		{"rawPath", ev.RawPath, "/items/7"},
		{"rawQueryString", ev.RawQueryString, "tag=a&tag=b&x=1"},
		{"cookies", ev.Cookies, []string{"session=abc", "theme=dark", "lang=en"}},
		{"headers has no cookie", ev.Headers["cookie"], ""},
		{"headers.x-multi", ev.Headers["x-multi"], "one,two"},
		{"headers.user-agent", ev.Headers["user-agent"], "Mozilla/5.0"},
		{"queryStringParameters.tag", ev.QueryStringParameters["tag"], "a,b"},
		{"pathParameters.id", ev.PathParameters["id"], "7"},
		{"requestContext.routeKey", ev.RequestContext.RouteKey, "GET /items/{id}"},
		{"requestContext.stage", ev.RequestContext.Stage, "$default"},
		{"requestContext.http.method", ev.RequestContext.HTTP.Method, "GET"},
		{"requestContext.http.path", ev.RequestContext.HTTP.Path, "/items/7"},
		{"requestContext.http.sourceIp", ev.RequestContext.HTTP.SourceIP, "192.0.2.1"},
		{"requestContext.timeEpoch", ev.RequestContext.TimeEpoch, fixedTime.UnixMilli()},
		{"requestContext.time", ev.RequestContext.Time, "05/Mar/2024:19:15:17 +0000"},
	}
	for _, c := range checks {
		if !equalAny(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.what, c.got, c.want)
		}
	}

	if err := json.Unmarshal(buildEvent(t, eventCases[7]), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.RawPath != "/dev/users/u%201" || ev.PathParameters["id"] != "u 1" || ev.RequestContext.Stage != "dev" || ev.Body != "a=1&b=2" || ev.IsBase64Encoded {
		t.Errorf("named stage: rawPath %q, id %q, stage %q, body %q (base64 %v)", ev.RawPath, ev.PathParameters["id"], ev.RequestContext.Stage, ev.Body, ev.IsBase64Encoded)
	}
}

func equalAny(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok && bok {
		return slices.Equal(as, bs)
	}
	return a == b
}

func TestIsText(t *testing.T) {
	for ct, want := range map[string]bool{
		"":                                  true,
		"text/html; charset=utf-8":          true,
		"application/json":                  true,
		"application/vnd.api+json":          true,
		"application/x-www-form-urlencoded": true,
		"image/svg+xml":                     true,
		"image/png":                         false,
		"application/octet-stream":          false,
		"multipart/form-data; boundary=x":   false,
		"not a type":                        false,
	} {
		if got := isText(ct); got != want {
			t.Errorf("isText(%q): got %v, want %v", ct, got, want)
		}
	}
}
