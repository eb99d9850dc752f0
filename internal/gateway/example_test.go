package gateway_test

import (
	"fmt"

	"github.com/stacklab/stacklab/internal/gateway"
	"github.com/stacklab/stacklab/internal/stack"
)

func ExampleRouter_Match() {
	api := &stack.API{ID: "ServerlessHttpApi", HTTP: true, Stage: "$default", Routes: []stack.Route{
		{Method: "GET", Path: "/items/{id}", Function: "GetItem"},
		{Method: "ANY", Path: "/{proxy+}", Function: "Proxy"},
	}}
	rt, _ := gateway.NewRouter([]*stack.API{api})
	for _, p := range []string{"/items/42", "/files/a/b", "/_api/ServerlessHttpApi/items/7"} {
		m, _ := rt.Match("GET", p)
		fmt.Println(p, "->", m.Route.Function, m.RouteKey, m.PathParams)
	}
	// Output:
	// /items/42 -> GetItem GET /items/{id} map[id:42]
	// /files/a/b -> Proxy ANY /{proxy+} map[proxy:files/a/b]
	// /_api/ServerlessHttpApi/items/7 -> GetItem GET /items/{id} map[id:7]
}

func ExampleParseResponse() {
	resp, _ := gateway.ParseResponse([]byte(`"Hello from Lambda!"`), true)
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), string(resp.Body))
	// Output: 200 application/json Hello from Lambda!
}
