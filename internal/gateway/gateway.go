package gateway

import (
	"context"
	"errors"
	"github.com/stacklab/stacklab/internal/ids"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/telemetry"
)

// MaxBody is the largest request body an API route takes, as API Gateway
// documents (10 MB).
const MaxBody = 10 << 20

// Integration timeouts API Gateway applies by default.
const (
	RESTTimeout = 29 * time.Second
	HTTPTimeout = 30 * time.Second
)

// Config is what a Gateway is made of. Only Invoker is required.
type Config struct {
	Invoker invoke.Invoker
	APIs    []*stack.API
	Logger  *slog.Logger // nil: discard
	// Objects, when set, serves the buckets' objects under ObjectsPrefix.
	Objects http.Handler
	// AWS, when set, serves requests of the AWS JSON protocol (a POST with
	// an X-Amz-Target header): the SQS and DynamoDB endpoints of functions.
	AWS http.Handler
	// Telemetry, when set, traces API routes and the Invoke API: a Server
	// span per request whose context the invocation continues.
	Telemetry *telemetry.Telemetry

	AccountID string // shown in events and ARNs; default 123456789012
	Region    string // shown in ARNs; default us-east-1
	// Timeout bounds an API route's invocation (API Gateway's integration
	// timeout); past it the client gets 504. Zero: RESTTimeout for REST
	// APIs, HTTPTimeout for HTTP APIs.
	Timeout time.Duration

	// Now and NewID give an API request its time and id; tests fix them.
	// Default: time.Now and a random UUID.
	Now   func() time.Time
	NewID func() string
}

// Gateway is an http.Handler serving the Lambda Invoke API under
// InvokePrefix and the stack's API routes everywhere else (see Router for
// where each API is mounted).
type Gateway struct {
	inv     invoke.Invoker
	objects http.Handler
	aws     http.Handler
	tel     *telemetry.Telemetry
	router  *Router
	log     *slog.Logger
	account string
	region  string
	timeout time.Duration
	now     func() time.Time
	newID   func() string
}

var _ http.Handler = (*Gateway)(nil)

// New makes a Gateway. Routes the router cannot serve as written are
// logged as warnings (see NewRouter).
func New(cfg Config) (*Gateway, error) {
	if cfg.Invoker == nil {
		return nil, errors.New("gateway: no invoker")
	}
	g := &Gateway{
		inv:     cfg.Invoker,
		objects: cfg.Objects,
		aws:     cfg.AWS,
		tel:     cfg.Telemetry,
		log:     cfg.Logger,
		account: cfg.AccountID,
		region:  cfg.Region,
		timeout: cfg.Timeout,
		now:     cfg.Now,
		newID:   cfg.NewID,
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	g.log = g.log.With("component", "gateway")
	if g.account == "" {
		g.account = "123456789012"
	}
	if g.region == "" {
		g.region = "us-east-1"
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.newID == nil {
		g.newID = ids.V4
	}
	var problems []error
	g.router, problems = NewRouter(cfg.APIs)
	for _, p := range problems {
		g.log.Warn("gateway: route not served as written", "problem", p.Error())
	}
	return g, nil
}

// Router is the gateway's router.
func (g *Gateway) Router() *Router { return g.router }

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, InvokePrefix) {
		g.serveInvoke(w, r)
		return
	}
	if g.objects != nil && strings.HasPrefix(r.URL.Path, ObjectsPrefix) {
		http.StripPrefix(strings.TrimSuffix(ObjectsPrefix, "/"), g.objects).ServeHTTP(w, r)
		return
	}
	if g.aws != nil && r.Method == http.MethodPost && r.Header.Get("X-Amz-Target") != "" {
		g.aws.ServeHTTP(w, r)
		return
	}
	g.serveRoute(w, r)
}

// serveRoute answers a request to an API route as API Gateway's Lambda
// proxy integration does.
func (g *Gateway) serveRoute(w http.ResponseWriter, r *http.Request) {
	m, ok := g.router.Match(r.Method, r.URL.EscapedPath())
	if !ok {
		errNotFound.write(w)
		return
	}
	traced, w, sw := g.startSpan(w, r, m.RouteKey, routePath(m.RouteKey), m.API.ID)
	defer sw.end()
	body, tooLarge, err := readBody(r, MaxBody)
	if tooLarge {
		errTooLarge.write(w)
		return
	}
	meta := Meta{RequestID: g.newID(), Time: g.now(), AccountID: g.account}
	// The request's logger is made only when there is something to log: the
	// attributes cost allocations on every request otherwise.
	log := func() *slog.Logger {
		return g.log.With("api", m.API.ID, "route", m.RouteKey, "function", m.Route.Function, "request_id", meta.RequestID)
	}
	if err != nil {
		log().Info("gateway: reading the request body", "err", err)
		errInternal.write(w)
		return
	}
	var event []byte
	timeout := g.timeout
	if m.API.HTTP {
		event = EventV2(r, body, m, meta)
		w.Header().Set("Apigw-Requestid", meta.RequestID)
		if timeout == 0 {
			timeout = HTTPTimeout
		}
	} else {
		event = EventV1(r, body, m, meta)
		w.Header().Set("X-Amzn-Requestid", meta.RequestID)
		if timeout == 0 {
			timeout = RESTTimeout
		}
	}
	if len(event) > invoke.MaxSyncPayload {
		errTooLarge.write(w)
		return
	}
	ctx, cancel := context.WithTimeout(traced, timeout)
	defer cancel()
	res, err := g.inv.Invoke(ctx, invoke.Request{
		Function: m.Route.Function,
		Payload:  event,
		Type:     invoke.RequestResponse,
		TraceID:  g.traceHeader(ctx, r),
		Trigger:  telemetry.TriggerHTTP,
	})
	switch {
	case err == nil:
	case errors.Is(err, invoke.ErrTooManyRequests):
		errTooManyRequests.write(w)
		return
	case errors.Is(err, invoke.ErrTooLarge):
		errTooLarge.write(w)
		return
	case errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil:
		log().Info("gateway: integration timed out", "timeout", timeout)
		errTimeout.write(w)
		return
	default:
		log().Info("gateway: invocation failed", "err", err)
		errInternal.write(w)
		return
	}
	if res.FunctionError != "" {
		log().Info("gateway: function error", "error_type", res.FunctionError, "invocation", res.RequestID)
		errInternal.write(w)
		return
	}
	resp, err := ParseResponse(res.Payload, m.API.HTTP)
	if err != nil {
		log().Info("gateway: bad function response", "err", err, "invocation", res.RequestID)
		errInternal.write(w)
		return
	}
	resp.write(w)
}
