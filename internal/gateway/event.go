package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Meta is what an API Gateway event carries that the HTTP request does not.
type Meta struct {
	RequestID string    // the API request's id (not the invocation's)
	Time      time.Time // when the request arrived
	AccountID string    // the 12-digit account id events show
}

// requestTime is API Gateway's CLF-like time format: 15/May/2020:06:01:09 +0000.
const requestTime = "02/Jan/2006:15:04:05 -0700"

// restEvent is the API Gateway REST API proxy event, payload format 1.0.
type restEvent struct {
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  restContext         `json:"requestContext"`
	Body                            *string             `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

type restContext struct {
	AccountID         string       `json:"accountId"`
	APIID             string       `json:"apiId"`
	DomainName        string       `json:"domainName"`
	DomainPrefix      string       `json:"domainPrefix"`
	ExtendedRequestID string       `json:"extendedRequestId"`
	HTTPMethod        string       `json:"httpMethod"`
	Identity          restIdentity `json:"identity"`
	Path              string       `json:"path"`
	Protocol          string       `json:"protocol"`
	RequestID         string       `json:"requestId"`
	RequestTime       string       `json:"requestTime"`
	RequestTimeEpoch  int64        `json:"requestTimeEpoch"`
	ResourceID        string       `json:"resourceId"`
	ResourcePath      string       `json:"resourcePath"`
	Stage             string       `json:"stage"`
}

// restIdentity has the caller fields AWS fills for IAM and Cognito callers;
// they are null for an unauthenticated request, as on AWS.
type restIdentity struct {
	AccessKey                     *string `json:"accessKey"`
	AccountID                     *string `json:"accountId"`
	Caller                        *string `json:"caller"`
	CognitoAuthenticationProvider *string `json:"cognitoAuthenticationProvider"`
	CognitoAuthenticationType     *string `json:"cognitoAuthenticationType"`
	CognitoIdentityID             *string `json:"cognitoIdentityId"`
	CognitoIdentityPoolID         *string `json:"cognitoIdentityPoolId"`
	PrincipalOrgID                *string `json:"principalOrgId"`
	SourceIP                      string  `json:"sourceIp"`
	User                          *string `json:"user"`
	UserAgent                     string  `json:"userAgent"`
	UserArn                       *string `json:"userArn"`
}

// httpEvent is the HTTP API proxy event, payload format 2.0.
type httpEvent struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	StageVariables        map[string]string `json:"stageVariables,omitempty"`
	RequestContext        httpContext       `json:"requestContext"`
	Body                  string            `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type httpContext struct {
	AccountID    string      `json:"accountId"`
	APIID        string      `json:"apiId"`
	DomainName   string      `json:"domainName"`
	DomainPrefix string      `json:"domainPrefix"`
	HTTP         httpDetails `json:"http"`
	RequestID    string      `json:"requestId"`
	RouteKey     string      `json:"routeKey"`
	Stage        string      `json:"stage"`
	Time         string      `json:"time"`
	TimeEpoch    int64       `json:"timeEpoch"`
}

type httpDetails struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// EventV1 builds the REST API (payload format 1.0) event for a request that
// matched m, with its body already read. Headers keep their canonical
// case and carry the last of several values in "headers", all of them in
// "multiValueHeaders"; likewise the query string. A body that is not text
// (by its Content-Type, or not valid UTF-8) is sent base64-encoded.
func EventV1(r *http.Request, body []byte, m Match, meta Meta) []byte {
	hdr := proxyHeaders(r)
	ev := restEvent{
		Resource:          m.Route.Path,
		Path:              m.Path,
		HTTPMethod:        r.Method,
		Headers:           make(map[string]string, len(hdr)),
		MultiValueHeaders: hdr,
		PathParameters:    m.PathParams,
	}
	for k, v := range hdr {
		ev.Headers[k] = v[len(v)-1]
	}
	if q := query(r); len(q) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(q))
		ev.MultiValueQueryStringParameters = q
		for k, v := range q {
			ev.QueryStringParameters[k] = v[len(v)-1]
		}
	}
	if len(body) > 0 {
		s, b64 := encodeBody(r.Header.Get("Content-Type"), body)
		ev.Body, ev.IsBase64Encoded = &s, b64
	}
	stage := m.API.Stage
	host := r.Host
	ev.RequestContext = restContext{
		AccountID:         meta.AccountID,
		APIID:             m.API.ID,
		DomainName:        host,
		DomainPrefix:      domainPrefix(host),
		ExtendedRequestID: meta.RequestID,
		HTTPMethod:        r.Method,
		Identity: restIdentity{
			SourceIP:  sourceIP(r),
			UserAgent: r.UserAgent(),
		},
		Path:             stagePath(stage, m.Path),
		Protocol:         r.Proto,
		RequestID:        meta.RequestID,
		RequestTime:      meta.Time.UTC().Format(requestTime),
		RequestTimeEpoch: meta.Time.UnixMilli(),
		ResourceID:       resourceID(m.API.ID, m.Route.Path),
		ResourcePath:     m.Route.Path,
		Stage:            stage,
	}
	return marshal(ev)
}

// EventV2 builds the HTTP API (payload format 2.0) event for a request that
// matched m, with its body already read. Header names are lower case and
// several values are joined with commas; cookies leave the headers for
// "cookies"; query values are joined with commas. A body that is not text
// is sent base64-encoded.
func EventV2(r *http.Request, body []byte, m Match, meta Meta) []byte {
	hdr := proxyHeaders(r)
	ev := httpEvent{
		Version:        "2.0",
		RouteKey:       m.RouteKey,
		RawPath:        stagePath(m.API.Stage, m.RawPath),
		RawQueryString: r.URL.RawQuery,
		Headers:        make(map[string]string, len(hdr)),
		PathParameters: m.PathParams,
	}
	for k, v := range hdr {
		if strings.EqualFold(k, "Cookie") {
			for _, line := range v {
				for c := range strings.SplitSeq(line, ";") {
					if c = strings.TrimSpace(c); c != "" {
						ev.Cookies = append(ev.Cookies, c)
					}
				}
			}
			continue
		}
		k = strings.ToLower(k)
		if prev, ok := ev.Headers[k]; ok {
			v = append([]string{prev}, v...)
		}
		ev.Headers[k] = strings.Join(v, ",")
	}
	if q := query(r); len(q) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(q))
		for k, v := range q {
			ev.QueryStringParameters[k] = strings.Join(v, ",")
		}
	}
	if len(body) > 0 {
		ev.Body, ev.IsBase64Encoded = encodeBody(r.Header.Get("Content-Type"), body)
	}
	stage := m.API.Stage
	if stage == "" {
		stage = DefaultRoute
	}
	host := r.Host
	ev.RequestContext = httpContext{
		AccountID:    meta.AccountID,
		APIID:        m.API.ID,
		DomainName:   host,
		DomainPrefix: domainPrefix(host),
		HTTP: httpDetails{
			Method:    r.Method,
			Path:      stagePath(m.API.Stage, m.Path),
			Protocol:  r.Proto,
			SourceIP:  sourceIP(r),
			UserAgent: r.UserAgent(),
		},
		RequestID: meta.RequestID,
		RouteKey:  m.RouteKey,
		Stage:     stage,
		Time:      meta.Time.UTC().Format(requestTime),
		TimeEpoch: meta.Time.UnixMilli(),
	}
	return marshal(ev)
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

// marshal encodes an event without HTML escaping, as AWS sends it.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("gateway: encoding an event: " + err.Error()) // only strings, maps and numbers
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
