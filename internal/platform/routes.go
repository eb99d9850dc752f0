package platform

import (
	"sort"
	"strings"

	"github.com/stacklab/stacklab/internal/server"
)

// Routes lists the deployed HTTP routes with the URL each is served at on
// the gateway's root.
func (p *Platform) Routes() []server.RouteInfo {
	st := p.Stack()
	if st == nil {
		return []server.RouteInfo{}
	}
	out := []server.RouteInfo{}
	for _, api := range st.APIs {
		for _, r := range api.Routes {
			path := r.Path
			if path == "$default" {
				path = "/{proxy+}"
			}
			url := "http://" + p.gatewayHost() + exampleURL(path)
			out = append(out, server.RouteInfo{Method: r.Method, Path: r.Path, URL: url, Function: r.Function, API: api.ID})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// exampleURL shows a route's path as a URL one can call: parameters keep
// their braces, greedy ones lose the +.
func exampleURL(path string) string { return strings.ReplaceAll(path, "+}", "}") }
