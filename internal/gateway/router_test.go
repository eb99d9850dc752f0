package gateway

import (
	"maps"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/stack"
)

func stackRoute(method, path, fn string) stack.Route {
	return stack.Route{Method: method, Path: path, Function: fn}
}

func TestRouterPrecedence(t *testing.T) {
	api := &stack.API{ID: "ServerlessHttpApi", HTTP: true, Implicit: true, Stage: "$default", Routes: []stack.Route{
		stackRoute("GET", "/{proxy+}", "Greedy"),
		stackRoute("GET", "/items/{id}", "GetItem"),
		stackRoute("GET", "/items/special", "Special"),
		stackRoute("ANY", "/items/{id}", "AnyItem"),
		stackRoute("POST", "/items", "PostItems"),
		stackRoute("GET", "/items/{id}/parts/{part}", "Part"),
		stackRoute("ANY", "/items/{id}/{rest+}", "ItemRest"),
		stackRoute("GET", "/{a}/list", "AList"),
		stackRoute("GET", "/", "Root"),
		stackRoute("x-amazon-apigateway-any-method", "/legacy", "Legacy"),
		stackRoute("ANY", "$default", "Default"),
	}}
	rt, problems := NewRouter([]*stack.API{api})
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	for _, tc := range []struct {
		method, path string
		fn, key      string
		params       map[string]string
	}{
		{"GET", "/items/special", "Special", "GET /items/special", nil},
		{"GET", "/items/42", "GetItem", "GET /items/{id}", map[string]string{"id": "42"}},
		{"DELETE", "/items/42", "AnyItem", "ANY /items/{id}", map[string]string{"id": "42"}},
		{"delete", "/items/42", "AnyItem", "ANY /items/{id}", map[string]string{"id": "42"}},
		{"POST", "/items", "PostItems", "POST /items", nil},
		{"POST", "/items/", "PostItems", "POST /items", nil},
		{"GET", "/items", "Greedy", "GET /{proxy+}", map[string]string{"proxy": "items"}},
		{"PUT", "/items", "Default", "$default", nil},
		{"GET", "/items/42/parts/7", "Part", "GET /items/{id}/parts/{part}", map[string]string{"id": "42", "part": "7"}},
		{"GET", "/items/42/parts/7/8", "ItemRest", "ANY /items/{id}/{rest+}", map[string]string{"id": "42", "rest": "parts/7/8"}},
		{"GET", "/items/list", "GetItem", "GET /items/{id}", map[string]string{"id": "list"}}, // a literal first segment wins
		{"GET", "/users/list", "AList", "GET /{a}/list", map[string]string{"a": "users"}},
		{"GET", "/a/b/c", "Greedy", "GET /{proxy+}", map[string]string{"proxy": "a/b/c"}},
		{"GET", "/a%20b/c%2Fd", "Greedy", "GET /{proxy+}", map[string]string{"proxy": "a b/c/d"}},
		{"GET", "/items/a%2Fb", "GetItem", "GET /items/{id}", map[string]string{"id": "a/b"}},
		{"GET", "/", "Root", "GET /", nil},
		{"GET", "", "Root", "GET /", nil},
		{"POST", "/", "Default", "$default", nil},
		{"PATCH", "/legacy", "Legacy", "ANY /legacy", nil},
		{"GET", "/Items/42", "Greedy", "GET /{proxy+}", map[string]string{"proxy": "Items/42"}}, // case-sensitive
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			m, ok := rt.Match(tc.method, tc.path)
			if !ok {
				t.Fatalf("no match, want %s", tc.fn)
			}
			if m.Route.Function != tc.fn || m.RouteKey != tc.key {
				t.Errorf("got %s (%s), want %s (%s)", m.Route.Function, m.RouteKey, tc.fn, tc.key)
			}
			if !maps.Equal(m.PathParams, tc.params) {
				t.Errorf("params: got %v, want %v", m.PathParams, tc.params)
			}
		})
	}
}

func TestRouterNoMatch(t *testing.T) {
	rest := &stack.API{ID: "ServerlessRestApi", Stage: "Prod", Routes: []stack.Route{
		stackRoute("GET", "/items/{id}", "GetItem"),
		stackRoute("ANY", "/files/{proxy+}", "Files"),
	}}
	rt, _ := NewRouter([]*stack.API{rest})
	for _, tc := range []struct{ method, path string }{
		{"POST", "/items/1"},
		{"GET", "/items"},
		{"GET", "/items/1/2"},
		{"GET", "/files"}, // a greedy segment needs one segment at least
		{"GET", "/"},
		{"GET", "/_api/ServerlessRestApi/items/1"},         // the stage is missing
		{"GET", "/_api/ServerlessRestApi/Dev/items/1"},     // the wrong stage
		{"GET", "/_api/Other/Prod/items/1"},                // no such API
		{"GET", "/_api/ServerlessRestApi/Prod/items/1/2/"}, // no such route
	} {
		if m, ok := rt.Match(tc.method, tc.path); ok {
			t.Errorf("%s %s: matched %s, want none", tc.method, tc.path, m.RouteKey)
		}
	}
}

func TestRouterMounts(t *testing.T) {
	implicitHTTP := &stack.API{ID: "ServerlessHttpApi", HTTP: true, Implicit: true, Stage: "$default", Routes: []stack.Route{
		stackRoute("GET", "/hello", "HelloHTTP"),
		stackRoute("ANY", "$default", "DefaultHTTP"),
	}}
	rest := &stack.API{ID: "MyRestApi", Stage: "Prod", Routes: []stack.Route{
		stackRoute("GET", "/hello", "HelloREST"), // shadowed at the root by ServerlessHttpApi
		stackRoute("GET", "/orders/{id}", "Orders"),
	}}
	named := &stack.API{ID: "MyHttpApi", HTTP: true, Stage: "dev", Routes: []stack.Route{
		stackRoute("GET", "/users/{id}", "Users"),
		stackRoute("GET", "/orders/{order}", "OrdersAgain"), // same shape as MyRestApi's: shadowed at the root
		stackRoute("ANY", "$default", "DefaultNamed"),       // shadowed at the root
	}}
	// The implicit API is served first at the root wherever it is given.
	rt, problems := NewRouter([]*stack.API{rest, named, implicitHTTP})
	if len(problems) != 3 {
		t.Errorf("problems: got %d, want 3:\n%v", len(problems), problems)
	}
	for _, p := range problems {
		if !strings.Contains(p.Error(), "shadowed") || !strings.Contains(p.Error(), "/_api/") {
			t.Errorf("problem %q does not say what is shadowed and where to reach it", p)
		}
	}
	for _, tc := range []struct {
		path, fn, apiPath string
	}{
		{"/hello", "HelloHTTP", "/hello"},
		{"/orders/1", "Orders", "/orders/1"},
		{"/users/9", "Users", "/users/9"},
		{"/nothing", "DefaultHTTP", "/nothing"},
		{"/_api/ServerlessHttpApi/hello", "HelloHTTP", "/hello"},
		{"/_api/MyRestApi/Prod/hello", "HelloREST", "/hello"},
		{"/_api/MyRestApi/Prod/orders/5", "Orders", "/orders/5"},
		{"/_api/MyHttpApi/dev/orders/5", "OrdersAgain", "/orders/5"},
		{"/_api/MyHttpApi/dev/else", "DefaultNamed", "/else"},
		{"/_api/MyHttpApi/dev", "DefaultNamed", "/"},
	} {
		m, ok := rt.Match("GET", tc.path)
		if !ok {
			t.Errorf("GET %s: no match, want %s", tc.path, tc.fn)
			continue
		}
		if m.Route.Function != tc.fn || m.Path != tc.apiPath {
			t.Errorf("GET %s: got %s at %s, want %s at %s", tc.path, m.Route.Function, m.Path, tc.fn, tc.apiPath)
		}
	}
}

func TestRouterSkipsMalformedRoutes(t *testing.T) {
	api := &stack.API{ID: "A", Stage: "Prod", Routes: []stack.Route{
		stackRoute("GET", "/{proxy+}/more", "Bad1"),
		stackRoute("GET", "items", "Bad2"),
		stackRoute("GET", "/{}/x", "Literal"), // braces with nothing inside are a literal segment
		stackRoute("GET", "/{+}", "Bad3"),
		stackRoute("GET", "/ok", "Ok"),
	}}
	rt, problems := NewRouter([]*stack.API{api, api, nil})
	if len(problems) != 4 {
		t.Errorf("problems: got %d, want 4:\n%v", len(problems), problems)
	}
	if m, ok := rt.Match("GET", "/ok"); !ok || m.Route.Function != "Ok" {
		t.Errorf("GET /ok: got %v %v", m.Route.Function, ok)
	}
}
