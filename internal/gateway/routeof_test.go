package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/stack"
)

func TestRouteOf(t *testing.T) {
	api := &stack.API{ID: "ServerlessHttpApi", HTTP: true, Stage: "$default", Routes: []stack.Route{stackRoute("GET", "/items/{id}", "Get")}}
	g, err := New(Config{Invoker: answer(invoke.Result{}, nil), APIs: []*stack.API{api}, Objects: http.NotFoundHandler(), AWS: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, target, amzTarget string
		api, route                string
	}{
		{"GET", "/items/42", "", "ServerlessHttpApi", "GET /items/{id}"},
		{"GET", "/items/43?x=1", "", "ServerlessHttpApi", "GET /items/{id}"},
		{"GET", "/_api/ServerlessHttpApi/items/7", "", "ServerlessHttpApi", "GET /items/{id}"},
		{"POST", "/items/42", "", "", RouteUnmatched},
		{"GET", "/nothing/here", "", "", RouteUnmatched},
		{"POST", "/2015-03-31/functions/Get/invocations", "", "lambda", RouteInvoke},
		{"GET", "/_s3/bucket/key", "", "s3", RouteObjects},
		{"POST", "/", "AmazonSQS.SendMessage", "aws", RouteAWS},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.target, nil)
		if tt.amzTarget != "" {
			r.Header.Set("X-Amz-Target", tt.amzTarget)
		}
		api, route := g.RouteOf(r)
		if api != tt.api || route != tt.route {
			t.Errorf("RouteOf(%s %s) = %q, %q; want %q, %q", tt.method, tt.target, api, route, tt.api, tt.route)
		}
	}
}
