package gateway

import (
	"net/http"
	"strings"
)

// Names RouteOf gives to requests that reach no API route.
const (
	RouteInvoke    = "Invoke"    // the Lambda Invoke API (api "lambda")
	RouteObjects   = "Objects"   // bucket objects (api "s3")
	RouteAWS       = "AWS"       // the AWS JSON protocol endpoints (api "aws")
	RouteUnmatched = "unmatched" // no route (api "")
)

// RouteOf names where ServeHTTP sends a request, for metrics: an API
// route's API id and route key ("GET /items/{id}"), or one of the Route*
// names above. The names come from the stack, never from the request's
// path, so that they stay few.
func (g *Gateway) RouteOf(r *http.Request) (api, route string) {
	switch {
	case strings.HasPrefix(r.URL.Path, InvokePrefix):
		return "lambda", RouteInvoke
	case g.objects != nil && strings.HasPrefix(r.URL.Path, ObjectsPrefix):
		return "s3", RouteObjects
	case g.aws != nil && r.Method == http.MethodPost && r.Header.Get("X-Amz-Target") != "":
		return "aws", RouteAWS
	}
	if m, ok := g.router.Match(r.Method, r.URL.EscapedPath()); ok {
		return m.API.ID, m.RouteKey
	}
	return "", RouteUnmatched
}
