package gateway

import (
	"encoding/base64"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stacklab/stacklab/internal/jsonw"
)

// Meta is what an API Gateway event carries that the HTTP request does not.
type Meta struct {
	RequestID string    // the API request's id (not the invocation's)
	Time      time.Time // when the request arrived
	AccountID string    // the 12-digit account id events show
}

// requestTime is API Gateway's CLF-like time format: 15/May/2020:06:01:09 +0000.
const requestTime = "02/Jan/2006:15:04:05 -0700"

// EventV1 builds the REST API (payload format 1.0) event for a request that
// matched m, with its body already read. Headers keep their canonical
// case and carry the last of several values in "headers", all of them in
// "multiValueHeaders"; likewise the query string. A body that is not text
// (by its Content-Type, or not valid UTF-8) is sent base64-encoded. The
// fields are those of aws-lambda-go's events.APIGatewayProxyRequest, in
// the order AWS documents them.
func EventV1(r *http.Request, body []byte, m Match, meta Meta) []byte {
	hdr := proxyHeaders(r)
	single := make(map[string]string, len(hdr))
	for k, v := range hdr {
		single[k] = v[len(v)-1]
	}
	var qs map[string]string
	q := query(r)
	if len(q) > 0 {
		qs = make(map[string]string, len(q))
		for k, v := range q {
			qs[k] = v[len(v)-1]
		}
	}
	w := jsonw.Writer{B: make([]byte, 0, 1024+2*len(body))}
	w.Open('{')
	w.Str("resource", m.Route.Path)
	w.Str("path", m.Path)
	w.Str("httpMethod", r.Method)
	w.StrMap("headers", single)
	w.StrsMap("multiValueHeaders", hdr)
	w.StrMap("queryStringParameters", qs)
	w.StrsMap("multiValueQueryStringParameters", q)
	w.StrMap("pathParameters", m.PathParams)
	w.Raw("stageVariables", "null")

	stage := m.API.Stage
	host := r.Host
	w.Key("requestContext")
	w.Open('{')
	w.Str("accountId", meta.AccountID)
	w.Str("apiId", m.API.ID)
	w.Str("domainName", host)
	w.Str("domainPrefix", domainPrefix(host))
	w.Str("extendedRequestId", meta.RequestID)
	w.Str("httpMethod", r.Method)
	// The caller fields AWS fills for IAM and Cognito callers are null
	// for an unauthenticated request, as on AWS.
	w.Key("identity")
	w.Open('{')
	for _, k := range []string{"accessKey", "accountId", "caller", "cognitoAuthenticationProvider", "cognitoAuthenticationType", "cognitoIdentityId", "cognitoIdentityPoolId", "principalOrgId"} {
		w.Raw(k, "null")
	}
	w.Str("sourceIp", sourceIP(r))
	w.Raw("user", "null")
	w.Str("userAgent", r.UserAgent())
	w.Raw("userArn", "null")
	w.Close('}')
	w.Str("path", stagePath(stage, m.Path))
	w.Str("protocol", r.Proto)
	w.Str("requestId", meta.RequestID)
	w.Str("requestTime", meta.Time.UTC().Format(requestTime))
	w.Int("requestTimeEpoch", meta.Time.UnixMilli())
	w.Str("resourceId", resourceID(m.API.ID, m.Route.Path))
	w.Str("resourcePath", m.Route.Path)
	w.Str("stage", stage)
	w.Close('}')

	if len(body) > 0 {
		s, b64 := encodeBody(r.Header.Get("Content-Type"), body)
		w.Str("body", s)
		w.Bool("isBase64Encoded", b64)
	} else {
		w.Raw("body", "null")
		w.Bool("isBase64Encoded", false)
	}
	w.Close('}')
	return w.B
}

// EventV2 builds the HTTP API (payload format 2.0) event for a request that
// matched m, with its body already read. Header names are lower case and
// several values are joined with commas; cookies leave the headers for
// "cookies"; query values are joined with commas. A body that is not text
// is sent base64-encoded. The fields are those of aws-lambda-go's
// events.APIGatewayV2HTTPRequest; empty optional ones are left out, as AWS
// does.
func EventV2(r *http.Request, body []byte, m Match, meta Meta) []byte {
	hdr := proxyHeaders(r)
	headers := make(map[string]string, len(hdr))
	var cookies []string
	for k, v := range hdr {
		if strings.EqualFold(k, "Cookie") {
			for _, line := range v {
				for c := range strings.SplitSeq(line, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		k = strings.ToLower(k)
		if prev, ok := headers[k]; ok {
			v = append([]string{prev}, v...)
		}
		if len(v) == 1 {
			headers[k] = v[0]
		} else {
			headers[k] = strings.Join(v, ",")
		}
	}
	w := jsonw.Writer{B: make([]byte, 0, 1024+2*len(body))}
	w.Open('{')
	w.Str("version", "2.0")
	w.Str("routeKey", m.RouteKey)
	w.Str("rawPath", stagePath(m.API.Stage, m.RawPath))
	w.Str("rawQueryString", r.URL.RawQuery)
	if len(cookies) > 0 {
		w.Strs("cookies", cookies)
	}
	w.StrMap("headers", headers)
	if q := query(r); len(q) > 0 {
		qs := make(map[string]string, len(q))
		for k, v := range q {
			qs[k] = strings.Join(v, ",")
		}
		w.StrMap("queryStringParameters", qs)
	}
	if len(m.PathParams) > 0 {
		w.StrMap("pathParameters", m.PathParams)
	}

	stage := m.API.Stage
	if stage == "" {
		stage = DefaultRoute
	}
	host := r.Host
	w.Key("requestContext")
	w.Open('{')
	w.Str("accountId", meta.AccountID)
	w.Str("apiId", m.API.ID)
	w.Str("domainName", host)
	w.Str("domainPrefix", domainPrefix(host))
	w.Key("http")
	w.Open('{')
	w.Str("method", r.Method)
	w.Str("path", stagePath(m.API.Stage, m.Path))
	w.Str("protocol", r.Proto)
	w.Str("sourceIp", sourceIP(r))
	w.Str("userAgent", r.UserAgent())
	w.Close('}')
	w.Str("requestId", meta.RequestID)
	w.Str("routeKey", m.RouteKey)
	w.Str("stage", stage)
	w.Str("time", meta.Time.UTC().Format(requestTime))
	w.Int("timeEpoch", meta.Time.UnixMilli())
	w.Close('}')

	b64 := false
	if len(body) > 0 {
		var s string
		s, b64 = encodeBody(r.Header.Get("Content-Type"), body)
		if s != "" {
			w.Str("body", s)
		}
	}
	w.Bool("isBase64Encoded", b64)
	w.Close('}')
	return w.B
}

// proxyHeaders is the request's headers as API Gateway passes them on: with
// Host, and with the X-Forwarded-* headers it adds.
func proxyHeaders(r *http.Request) map[string][]string {
	hdr := make(map[string][]string, len(r.Header)+4)
	for k, v := range r.Header {
		if len(v) > 0 {
			hdr[k] = slices.Clone(v)
		}
	}
	if r.Host != "" {
		hdr["Host"] = []string{r.Host}
	}
	ip := sourceIP(r)
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		hdr["X-Forwarded-For"] = []string{strings.Join(xff, ", ") + ", " + ip}
	} else if ip != "" {
		hdr["X-Forwarded-For"] = []string{ip}
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	if len(hdr["X-Forwarded-Proto"]) == 0 {
		hdr["X-Forwarded-Proto"] = []string{proto}
	}
	if len(hdr["X-Forwarded-Port"]) == 0 {
		port := "80"
		if proto == "https" {
			port = "443"
		}
		if _, p, err := net.SplitHostPort(r.Host); err == nil && p != "" {
			port = p
		}
		hdr["X-Forwarded-Port"] = []string{port}
	}
	return hdr
}

// query is the decoded query string; nil when there is none. A malformed
// pair is kept as well as it can be (url.ParseQuery's partial result).
func query(r *http.Request) map[string][]string {
	if r.URL.RawQuery == "" {
		return nil
	}
	q, _ := url.ParseQuery(r.URL.RawQuery)
	if len(q) == 0 {
		return nil
	}
	return q
}

// encodeBody returns the body as the event carries it, and whether that is
// base64.
func encodeBody(contentType string, body []byte) (string, bool) {
	if isText(contentType) && utf8.Valid(body) {
		return string(body), false
	}
	return base64.StdEncoding.EncodeToString(body), true
}

// isText reports whether a Content-Type is text; a request without one is
// taken as text (and base64-encoded only if it is not valid UTF-8).
func isText(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	typ, sub, _ := strings.Cut(mt, "/")
	switch {
	case typ == "text":
		return true
	case strings.HasSuffix(sub, "+json"), strings.HasSuffix(sub, "+xml"), strings.HasSuffix(sub, "+yaml"):
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript", "application/ecmascript",
		"application/x-www-form-urlencoded", "application/graphql", "application/x-ndjson",
		"application/yaml", "application/x-yaml", "application/x-javascript":
		return true
	}
	return false
}

// sourceIP is the address of the peer that sent the request.
func sourceIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// domainPrefix is the first label of the host, as for
// {apiId}.execute-api.{region}.amazonaws.com.
func domainPrefix(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	p, _, _ := strings.Cut(host, ".")
	return p
}

// stagePath puts the stage in front of a path, unless it is $default.
func stagePath(stage, path string) string {
	if stage == "" || stage == DefaultRoute {
		return path
	}
	return "/" + stage + path
}

// resourceID is a stable stand-in for the id API Gateway gives a resource:
// six characters derived from the API and the path.
func resourceID(api, path string) string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	h := uint32(2166136261) // FNV-1a
	for _, c := range []byte(api + " " + path) {
		h = (h ^ uint32(c)) * 16777619
	}
	var b [6]byte
	for i := range b {
		b[i] = digits[h%36]
		h /= 36
	}
	return string(b[:])
}
