package gateway

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/stacklab/stacklab/internal/stack"
)

// MountPrefix is where every API is reachable under its own id:
// /_api/{ApiId} stands for the API's execute-api host, so what follows is
// the path one would use on AWS: /_api/MyApi/Prod/items/1 for a REST API
// with stage Prod, /_api/MyHttpApi/items/1 for an HTTP API whose stage is
// $default.
const MountPrefix = "/_api/"

// DefaultRoute is the route key of an HTTP API's catch-all route.
const DefaultRoute = "$default"

// Match is the route a request reached.
type Match struct {
	API   *stack.API
	Route stack.Route
	// RouteKey is "GET /items/{id}", "ANY /{proxy+}" or "$default".
	RouteKey string
	// PathParams are the values of the route's {param} and {proxy+}
	// segments, decoded; nil when the route has none.
	PathParams map[string]string
	// Path is the request path inside the API's stage, decoded ("/items/1");
	// RawPath is the same as it was sent, escaped.
	Path    string
	RawPath string
}

// Router maps requests to the routes of a stack's APIs. Each API is
// reachable under MountPrefix + its id (and its stage unless that is
// $default); the routes of all APIs are also served together at the root,
// where a route that two APIs define goes to the API that comes first:
// ServerlessHttpApi, then ServerlessRestApi, then the others in the order
// given. A Router is immutable and safe for concurrent use.
type Router struct {
	root  table
	byAPI map[string]*mount
}

// mount is one API under its own prefix.
type mount struct {
	api   *stack.API
	stage string // the path segment of the stage, "" for $default
	table table
}

// table is the routes of one or more APIs, most specific first.
type table struct {
	routes []*route
	def    *route // the $default route, if any
}

type segKind uint8

// Kinds in order of precedence: a literal segment beats a parameter, which
// beats a greedy parameter.
const (
	segLiteral segKind = iota
	segParam
	segGreedy
)

type segment struct {
	kind segKind
	text string // the literal, or the parameter's name without braces and +
}

type route struct {
	api    *stack.API
	r      stack.Route
	method string // upper case; ANY matches every method
	segs   []segment
	key    string // the route key
	order  int    // position in the APIs and routes given, for stable ties
}

// NewRouter builds a Router from a stack's APIs. The Router is always
// usable; the errors describe routes it skipped (a malformed path) or that
// it serves from another API at the root (a conflict).
func NewRouter(apis []*stack.API) (*Router, []error) {
	rt := &Router{byAPI: make(map[string]*mount)}
	var problems []error
	order := 0
	for _, api := range rootOrder(apis) {
		if api == nil || api.ID == "" {
			continue
		}
		if _, dup := rt.byAPI[api.ID]; dup {
			problems = append(problems, fmt.Errorf("api %s: given twice; the second is ignored", api.ID))
			continue
		}
		m := &mount{api: api}
		if api.Stage != "" && api.Stage != DefaultRoute {
			m.stage = api.Stage
		}
		var routes []*route
		for _, r := range api.Routes {
			rr, err := newRoute(api, r)
			if err != nil {
				problems = append(problems, err)
				continue
			}
			rr.order = order
			order++
			routes = append(routes, rr)
		}
		for _, err := range m.table.add(routes) {
			problems = append(problems, fmt.Errorf("api %s: %w", api.ID, err))
		}
		for _, err := range rt.root.add(routes) {
			problems = append(problems, fmt.Errorf("root: %w; reach it at %s%s", err, MountPrefix, api.ID))
		}
		rt.byAPI[api.ID] = m
	}
	rt.root.sort()
	for _, m := range rt.byAPI {
		m.table.sort()
	}
	return rt, problems
}

// rootOrder puts the implicit HTTP and REST APIs first, the others after
// them in the order given.
func rootOrder(apis []*stack.API) []*stack.API {
	out := slices.Clone(apis)
	rank := func(a *stack.API) int {
		switch {
		case a == nil:
			return 2
		case a.ID == "ServerlessHttpApi":
			return 0
		case a.ID == "ServerlessRestApi":
			return 1
		}
		return 2
	}
	slices.SortStableFunc(out, func(a, b *stack.API) int { return cmp.Compare(rank(a), rank(b)) })
	return out
}

func newRoute(api *stack.API, r stack.Route) (*route, error) {
	method := strings.ToUpper(r.Method)
	if method == "" || method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
		method = "ANY"
	}
	rr := &route{api: api, r: r, method: method}
	if r.Path == DefaultRoute {
		rr.key = DefaultRoute
		return rr, nil
	}
	if !strings.HasPrefix(r.Path, "/") {
		return nil, fmt.Errorf("api %s: route %s %q of function %s: path does not start with /; skipped", api.ID, method, r.Path, r.Function)
	}
	for s := range strings.SplitSeq(r.Path, "/") {
		if s == "" {
			continue
		}
		seg := segment{kind: segLiteral, text: s}
		if len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' {
			seg = segment{kind: segParam, text: s[1 : len(s)-1]}
			if name, ok := strings.CutSuffix(seg.text, "+"); ok {
				seg = segment{kind: segGreedy, text: name}
			}
			if seg.text == "" {
				return nil, fmt.Errorf("api %s: route %s %s of function %s: empty parameter name; skipped", api.ID, method, r.Path, r.Function)
			}
		}
		if len(rr.segs) > 0 && rr.segs[len(rr.segs)-1].kind == segGreedy {
			return nil, fmt.Errorf("api %s: route %s %s of function %s: a greedy {%s+} must be the last segment; skipped", api.ID, method, r.Path, r.Function, rr.segs[len(rr.segs)-1].text)
		}
		rr.segs = append(rr.segs, seg)
	}
	rr.key = method + " " + r.Path
	return rr, nil
}

// shape is the route's method and path with parameter names left out:
// two routes of one shape can never both be chosen.
func (r *route) shape() string {
	if r.key == DefaultRoute {
		return DefaultRoute
	}
	var b strings.Builder
	b.WriteString(r.method)
	b.WriteByte(' ')
	for _, s := range r.segs {
		b.WriteByte('/')
		switch s.kind {
		case segLiteral:
			b.WriteString(s.text)
		case segParam:
			b.WriteString("{}")
		case segGreedy:
			b.WriteString("{+}")
		}
	}
	return b.String()
}

// add adds routes, keeping the first of routes of one shape.
func (t *table) add(routes []*route) []error {
	var problems []error
	for _, r := range routes {
		if r.key == DefaultRoute {
			if t.def != nil {
				problems = append(problems, fmt.Errorf("$default of function %s (api %s) is shadowed by $default of function %s (api %s)", r.r.Function, r.api.ID, t.def.r.Function, t.def.api.ID))
				continue
			}
			t.def = r
			continue
		}
		shape := r.shape()
		if i := slices.IndexFunc(t.routes, func(o *route) bool { return o.shape() == shape }); i >= 0 {
			o := t.routes[i]
			problems = append(problems, fmt.Errorf("route %s of function %s (api %s) is shadowed by %s of function %s (api %s)", r.key, r.r.Function, r.api.ID, o.key, o.r.Function, o.api.ID))
			continue
		}
		t.routes = append(t.routes, r)
	}
	return problems
}

// sort orders routes so that the first one matching a request is the most
// specific: segment by segment from the left, a literal before a parameter
// before a greedy parameter; then a method before ANY.
func (t *table) sort() {
	slices.SortStableFunc(t.routes, func(a, b *route) int {
		for i := range min(len(a.segs), len(b.segs)) {
			if c := cmp.Compare(a.segs[i].kind, b.segs[i].kind); c != 0 {
				return c
			}
		}
		if c := cmp.Compare(len(a.segs), len(b.segs)); c != 0 {
			return c
		}
		if c := cmp.Compare(anyRank(a.method), anyRank(b.method)); c != 0 {
			return c
		}
		return cmp.Compare(a.order, b.order)
	})
}

func anyRank(method string) int {
	if method == "ANY" {
		return 1
	}
	return 0
}

// match finds the most specific route for a method and the path's
// decoded segments.
func (t *table) match(method string, segs []string) (*route, map[string]string) {
	for _, r := range t.routes {
		if r.method != "ANY" && r.method != method {
			continue
		}
		if params, ok := r.matchPath(segs); ok {
			return r, params
		}
	}
	if t.def != nil {
		return t.def, nil
	}
	return nil, nil
}

func (r *route) matchPath(dec []string) (map[string]string, bool) {
	if len(dec) < len(r.segs) {
		return nil, false
	}
	greedy := len(r.segs) > 0 && r.segs[len(r.segs)-1].kind == segGreedy
	if !greedy && len(dec) != len(r.segs) {
		return nil, false
	}
	for i, s := range r.segs {
		if s.kind == segLiteral && s.text != dec[i] {
			return nil, false
		}
	}
	var params map[string]string
	for i, s := range r.segs {
		switch s.kind {
		case segParam:
			if params == nil {
				params = make(map[string]string)
			}
			params[s.text] = dec[i]
		case segGreedy:
			if params == nil {
				params = make(map[string]string)
			}
			params[s.text] = strings.Join(dec[i:], "/")
		}
	}
	return params, true
}

// Match finds the route for a request: method and escaped path as sent
// (r.URL.EscapedPath()). Paths under MountPrefix go to the API named there
// and must carry its stage unless that is $default; other paths are matched
// against the routes of all APIs. Segments are compared decoded and
// case-sensitively; empty segments (a trailing or doubled /) are ignored.
func (rt *Router) Match(method, escapedPath string) (Match, bool) {
	t := &rt.root
	p := escapedPath
	if rest, ok := strings.CutPrefix(p, MountPrefix); ok {
		id, tail, _ := strings.Cut(rest, "/")
		m := rt.byAPI[unescape(id)]
		if m == nil {
			return Match{}, false
		}
		if m.stage != "" {
			st, after, _ := strings.Cut(tail, "/")
			if unescape(st) != m.stage {
				return Match{}, false
			}
			tail = after
		}
		t, p = &m.table, "/"+tail
	}
	var segs []string
	for s := range strings.SplitSeq(p, "/") {
		if s != "" {
			segs = append(segs, unescape(s))
		}
	}
	r, params := t.match(strings.ToUpper(method), segs)
	if r == nil {
		return Match{}, false
	}
	if p == "" {
		p = "/"
	}
	return Match{API: r.api, Route: r.r, RouteKey: r.key, PathParams: params, Path: unescape(p), RawPath: p}, true
}

// unescape decodes a path or segment, leaving it as it is when it is not
// validly escaped.
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}
