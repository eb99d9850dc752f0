package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Response is the HTTP response API Gateway makes of a function's result.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// ParseResponse converts what a function returned into the HTTP response.
//
// Payload format 1.0 (v2 false) must be an object {statusCode, headers,
// multiValueHeaders, body, isBase64Encoded}; headers and multiValueHeaders
// are merged, the latter winning for a name in both. Format 2.0 takes the
// same object less multiValueHeaders and plus cookies (each becomes a
// Set-Cookie header); a result that is not an object with a statusCode is
// returned as it is, 200 application/json (a JSON string as its text).
// An error means API Gateway would answer 502.
func ParseResponse(payload []byte, v2 bool) (*Response, error) {
	// Format 2.0 returns most results that are not a proxy object as they
	// are: they need no decoding, only a check.
	if v2 && json.Valid(payload) {
		body := bytes.TrimSpace(payload)
		switch {
		case body[0] == '"':
			// A JSON string is returned as its text: decoded below.
		case body[0] != '{' || !hasTopLevelKey(body, "statusCode"):
			return &Response{
				StatusCode: http.StatusOK,
				Header:     http.Header{"Content-Type": {"application/json"}},
				Body:       body,
			}, nil
		}
	}
	return decodeResponse(payload, v2)
}

// decodeResponse is ParseResponse by a full decode of the payload.
func decodeResponse(payload []byte, v2 bool) (*Response, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("function response is not JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("function response has data after its JSON value")
	}
	obj, isObj := v.(map[string]any)
	if v2 {
		if _, ok := obj["statusCode"]; !isObj || !ok {
			body := bytes.TrimSpace(payload)
			if s, ok := v.(string); ok {
				body = []byte(s)
			}
			return &Response{
				StatusCode: http.StatusOK,
				Header:     http.Header{"Content-Type": {"application/json"}},
				Body:       body,
			}, nil
		}
	}
	if !isObj {
		return nil, fmt.Errorf("malformed Lambda proxy response: %s, not an object", kind(v))
	}
	resp := &Response{Header: http.Header{}}
	code, err := statusCode(obj["statusCode"])
	if err != nil {
		return nil, err
	}
	resp.StatusCode = code

	single, err := stringMap(obj["headers"], "headers")
	if err != nil {
		return nil, err
	}
	multi := map[string][]string{}
	if !v2 {
		if multi, err = stringsMap(obj["multiValueHeaders"], "multiValueHeaders"); err != nil {
			return nil, err
		}
	}
	for k, vs := range multi {
		if !validHeaderName(k) {
			continue
		}
		for _, s := range vs {
			if validHeaderValue(s) {
				resp.Header.Add(k, s)
			}
		}
	}
	for k, s := range single {
		if !validHeaderName(k) || !validHeaderValue(s) || hasKeyFold(multi, k) {
			continue
		}
		resp.Header.Set(k, s)
	}
	if v2 {
		cookies, err := stringList(obj["cookies"], "cookies")
		if err != nil {
			return nil, err
		}
		for _, c := range cookies {
			if validHeaderValue(c) {
				resp.Header.Add("Set-Cookie", c)
			}
		}
	}
	// The gateway frames the body itself.
	resp.Header.Del("Content-Length")
	resp.Header.Del("Transfer-Encoding")
	resp.Header.Del("Connection")

	var body string
	switch b := obj["body"].(type) {
	case nil:
	case string:
		body = b
	default:
		return nil, fmt.Errorf("malformed Lambda proxy response: body is %s, not a string", kind(b))
	}
	b64 := false
	switch b := obj["isBase64Encoded"].(type) {
	case nil:
	case bool:
		b64 = b
	default:
		return nil, fmt.Errorf("malformed Lambda proxy response: isBase64Encoded is %s, not a boolean", kind(b))
	}
	if b64 {
		raw, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, fmt.Errorf("malformed Lambda proxy response: body is not base64: %w", err)
		}
		resp.Body = raw
	} else {
		resp.Body = []byte(body)
	}
	if !v2 && resp.Header.Get("Content-Type") == "" {
		resp.Header.Set("Content-Type", "application/json")
	}
	return resp, nil
}

// hasTopLevelKey reports whether the JSON object b, which is valid JSON,
// has a member named key. It answers true when unsure, so that the caller
// decodes the object in full.
func hasTopLevelKey(b []byte, key string) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return true
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] == '}' {
			return i >= len(b)
		}
		end := skipValue(b, i) // the member's name
		if end < 0 || end > len(b) || b[i] != '"' {
			return true
		}
		name := b[i+1 : end-1]
		if bytes.IndexByte(name, '\\') >= 0 {
			var s string
			if json.Unmarshal(b[i:end], &s) != nil || s == key {
				return true
			}
		} else if string(name) == key {
			return true
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return true
		}
		i = skipValue(b, skipSpace(b, i+1))
		if i < 0 {
			return true
		}
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i++
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value that starts at
// b[i], or -1 when b ends first.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		for i++; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return -1
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			case '"':
				end := skipValue(b, i)
				if end < 0 {
					return -1
				}
				i = end - 1
			}
		}
		return -1
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
	}
	return i
}

// statusCode reads a status code: a number, or a string of digits as API
// Gateway also takes.
func statusCode(v any) (int, error) {
	var s string
	switch c := v.(type) {
	case json.Number:
		s = c.String()
	case string:
		s = c
	case nil:
		return 0, fmt.Errorf("malformed Lambda proxy response: no statusCode")
	default:
		return 0, fmt.Errorf("malformed Lambda proxy response: statusCode is %s, not a number", kind(v))
	}
	code, err := strconv.Atoi(s)
	if err != nil || code < 200 || code > 599 {
		return 0, fmt.Errorf("malformed Lambda proxy response: statusCode %q is not an HTTP status from 200 to 599", s)
	}
	return code, nil
}

func stringMap(v any, field string) (map[string]string, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("malformed Lambda proxy response: %s is %s, not an object", field, kind(v))
	}
	out := make(map[string]string, len(m))
	for k, e := range m {
		s, err := scalar(e, field+"."+k)
		if err != nil {
			return nil, err
		}
		out[k] = s
	}
	return out, nil
}

func stringsMap(v any, field string) (map[string][]string, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("malformed Lambda proxy response: %s is %s, not an object", field, kind(v))
	}
	out := make(map[string][]string, len(m))
	for k, e := range m {
		l, err := stringList(e, field+"."+k)
		if err != nil {
			return nil, err
		}
		out[k] = l
	}
	return out, nil
}

func stringList(v any, field string) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("malformed Lambda proxy response: %s is %s, not an array", field, kind(v))
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, err := scalar(e, field)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// scalar is a header value: a string, or a number or boolean written as
// text.
func scalar(v any, field string) (string, error) {
	switch s := v.(type) {
	case string:
		return s, nil
	case json.Number:
		return s.String(), nil
	case bool:
		return strconv.FormatBool(s), nil
	}
	return "", fmt.Errorf("malformed Lambda proxy response: %s is %s, not a string", field, kind(v))
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

func hasKeyFold(m map[string][]string, key string) bool {
	for k := range m {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// validHeaderName reports whether s is an HTTP token (RFC 9110).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether s can be sent as a header value.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// write sends the response.
func (r *Response) write(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range r.Header {
		h[k] = v
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = nil // no sniffing: API Gateway sends none
	}
	if r.StatusCode == http.StatusNoContent || r.StatusCode == http.StatusNotModified {
		w.WriteHeader(r.StatusCode) // no body allowed
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(r.Body)))
	w.WriteHeader(r.StatusCode)
	_, _ = w.Write(r.Body)
}

// apiError is one of API Gateway's own responses, {"message": "..."}.
type apiError struct {
	status  int
	message string
}

var (
	errNotFound        = apiError{http.StatusNotFound, "Not Found"}
	errInternal        = apiError{http.StatusBadGateway, "Internal server error"}
	errTooManyRequests = apiError{http.StatusTooManyRequests, "Too Many Requests"}
	errTimeout         = apiError{http.StatusGatewayTimeout, "Endpoint request timed out"}
	errTooLarge        = apiError{http.StatusRequestEntityTooLarge, "Request Entity Too Large"}
)

func (e apiError) write(w http.ResponseWriter) {
	body, _ := json.Marshal(map[string]string{"message": e.message})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}
