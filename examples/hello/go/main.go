// Command hello is the Go function of examples/hello: behind an API Gateway
// HTTP API (payload format 2.0) it answers GET /hello/go with a JSON greeting
// for the query string's name, and POST /echo/go with the same greeting and the
// body it was sent. It uses aws-lambda-go unmodified; stacklab builds it with
// `go build` and runs it as the provided.al2023 runtime's bootstrap.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// greeting is the JSON body of every answer.
type greeting struct {
	Message   string  `json:"message"`
	Language  string  `json:"language"`
	Method    string  `json:"method"`
	Path      string  `json:"path"`
	RequestID string  `json:"requestId,omitempty"`
	Echo      *string `json:"echo,omitempty"`
}

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	name := req.QueryStringParameters["name"]
	if name == "" {
		name = "world"
	}
	word := os.Getenv("GREETING")
	if word == "" {
		word = "Hello"
	}
	g := greeting{
		Message:  word + ", " + name + "!",
		Language: "go",
		Method:   req.RequestContext.HTTP.Method,
		Path:     req.RawPath,
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		g.RequestID = lc.AwsRequestID
	}
	if g.Method == http.MethodPost {
		body := req.Body
		if req.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(body)
			if err != nil {
				return reply(http.StatusBadRequest, map[string]string{"message": "the body is not valid base64"})
			}
			body = string(b)
		}
		g.Echo = &body
	}
	return reply(http.StatusOK, g)
}

func reply(status int, v any) (events.APIGatewayV2HTTPResponse, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(b),
	}, nil
}

func main() {
	lambda.Start(handle)
}
