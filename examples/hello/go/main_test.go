package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestHandle(t *testing.T) {
	t.Setenv("GREETING", "Hello")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	request := func(method, path, query, body string, b64 bool) events.APIGatewayV2HTTPRequest {
		r := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: path, Body: body, IsBase64Encoded: b64}
		if query != "" {
			r.QueryStringParameters = map[string]string{"name": query}
		}
		r.RequestContext.HTTP.Method = method
		return r
	}
	tests := []struct {
		name   string
		req    events.APIGatewayV2HTTPRequest
		status int
		want   string
	}{
		{"greeting with a name", request("GET", "/hello/go", "Ada", "", false), 200,
			`{"message":"Hello, Ada!","language":"go","method":"GET","path":"/hello/go","requestId":"req-1"}`},
		{"greeting without a name", request("GET", "/hello/go", "", "", false), 200,
			`{"message":"Hello, world!","language":"go","method":"GET","path":"/hello/go","requestId":"req-1"}`},
		{"echo", request("POST", "/echo/go", "Ada", `{"x":1}`, false), 200,
			`{"message":"Hello, Ada!","language":"go","method":"POST","path":"/echo/go","requestId":"req-1","echo":"{\"x\":1}"}`},
		{"echo of a base64 body", request("POST", "/echo/go", "", base64.StdEncoding.EncodeToString([]byte("hi")), true), 200,
			`{"message":"Hello, world!","language":"go","method":"POST","path":"/echo/go","requestId":"req-1","echo":"hi"}`},
		{"echo of a bad base64 body", request("POST", "/echo/go", "", "%%%", true), 400,
			`{"message":"the body is not valid base64"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := handle(ctx, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.status || res.Headers["Content-Type"] != "application/json" {
				t.Errorf("got status %d, content type %q; want %d, application/json", res.StatusCode, res.Headers["Content-Type"], tt.status)
			}
			if res.Body != tt.want {
				t.Errorf("got body\n%s\nwant\n%s", res.Body, tt.want)
			}
			if !json.Valid([]byte(res.Body)) {
				t.Errorf("body %q is not JSON", res.Body)
			}
		})
	}
}
