package gateway

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

var responseCases = []struct {
	name    string
	v2      bool
	payload string
}{
	{"v1_full", false, `{"statusCode":201,"headers":{"Content-Type":"text/plain","X-One":"1","X-Both":"single"},"multiValueHeaders":{"X-Many":["a","b"],"x-both":["multi"]},"body":"created","isBase64Encoded":false}`},
	{"v1_minimal", false, `{"statusCode":200}`},
	{"v1_string_status", false, `{"statusCode":"404","body":"nope"}`},
	{"v1_base64", false, `{"statusCode":200,"headers":{"Content-Type":"image/png"},"body":"iVBORw0KGgo=","isBase64Encoded":true}`},
	{"v1_scalar_headers", false, `{"statusCode":200,"headers":{"X-Count":5,"X-Ok":true},"body":""}`},
	{"v1_invalid_headers_dropped", false, `{"statusCode":200,"headers":{"Bad Name":"x","X-Evil":"a\r\nSet-Cookie: x=1","Content-Length":"999"},"body":"ok"}`},
	{"v1_aws_lambda_go", false, mustJSON(events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/html"}, MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}}, Body: "<p>hi</p>"})},
	{"v1_no_status", false, `{"body":"x"}`},
	{"v1_not_object", false, `"hello"`},
	{"v1_null", false, `null`},
	{"v1_body_object", false, `{"statusCode":200,"body":{"a":1}}`},
	{"v1_bad_base64", false, `{"statusCode":200,"body":"%%%","isBase64Encoded":true}`},
	{"v1_status_out_of_range", false, `{"statusCode":99}`},
	{"v1_status_float", false, `{"statusCode":200.5}`},
	{"v1_headers_array", false, `{"statusCode":200,"headers":["a"]}`},
	{"v1_not_json", false, `{"statusCode":200`},
	{"v1_trailing_data", false, `{"statusCode":200} {}`},
	{"v2_full", true, `{"statusCode":200,"headers":{"content-type":"text/plain","x-multi":"a,b"},"cookies":["a=1; Path=/","b=2; HttpOnly"],"body":"hi","isBase64Encoded":false}`},
	{"v2_multi_value_ignored", true, `{"statusCode":200,"multiValueHeaders":{"X-Many":["a","b"]},"body":"x"}`},
	{"v2_base64", true, `{"statusCode":200,"headers":{"content-type":"application/octet-stream"},"body":"AAEC/w==","isBase64Encoded":true}`},
	{"v2_no_content_type", true, `{"statusCode":204}`},
	{"v2_aws_lambda_go", true, mustJSON(events.APIGatewayV2HTTPResponse{StatusCode: 302, Headers: map[string]string{"Location": "/there"}, Cookies: []string{"s=1"}})},
	{"v2_simple_object", true, `{"message":"hello","count":2}`},
	{"v2_simple_string", true, `"Hello from Lambda!"`},
	{"v2_simple_number", true, `42`},
	{"v2_simple_array", true, `[1,2,3]`},
	{"v2_simple_null", true, `null`},
	{"v2_bad_status", true, `{"statusCode":"teapot"}`},
	{"v2_bad_cookies", true, `{"statusCode":200,"cookies":"a=1"}`},
	{"v2_not_json", true, `Hello`},
}

func TestParseResponseGolden(t *testing.T) {
	for _, tc := range responseCases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := ParseResponse([]byte(tc.payload), tc.v2)
			out := map[string]any{"payload": tc.payload}
			if err != nil {
				out["error"] = err.Error()
			} else {
				rec := httptest.NewRecorder()
				resp.write(rec)
				out["status"] = rec.Code
				out["header"] = rec.Header()
				if utf8.Valid(rec.Body.Bytes()) {
					out["body"] = rec.Body.String()
				} else {
					out["bodyBytes"] = rec.Body.Bytes()
				}
			}
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(out); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "responses/"+tc.name+".json", b.Bytes())
		})
	}
}

// FuzzParseResponseV2 checks that the quick path of payload format 2.0
// answers as the full decode does.
func FuzzParseResponseV2(f *testing.F) {
	for _, s := range []string{`{"statusCode":200}`, `{"a":{"statusCode":1},"b":"statusCode"}`, `{"status\u0043ode":201}`, `[1,{"statusCode":2}]`, `"text"`, ` 42 `, `null`, `{"a":"\"}statusCode"}`, `{} x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		got, gotErr := ParseResponse(payload, true)
		want, wantErr := decodeResponse(payload, true)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, full decode %v", payload, gotErr, wantErr)
		}
		if gotErr != nil {
			return
		}
		if got.StatusCode != want.StatusCode || !bytes.Equal(got.Body, want.Body) || !reflect.DeepEqual(got.Header, want.Header) {
			t.Fatalf("%q: got %d %v %q, full decode %d %v %q", payload, got.StatusCode, got.Header, got.Body, want.StatusCode, want.Header, want.Body)
		}
	})
}
