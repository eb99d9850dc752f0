package cli

import (
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/stacklab/stacklab/internal/gateway"
	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/services/awsapi"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/telemetry/metrics"
)

// liveGateway serves the gateway of whatever stack a platform runs: it is
// rebuilt after every deploy.
type liveGateway struct {
	cur atomic.Pointer[gateway.Gateway]
	err atomic.Pointer[error] // the last rebuild's error
}

// newLiveGateway makes the gateway of p follow its deploys.
func newLiveGateway(p *platform.Platform, logger *slog.Logger, opts platform.Options) *liveGateway {
	g := &liveGateway{}
	p.OnDeploy(func(st *stack.Stack) {
		gw, err := gateway.New(gateway.Config{Invoker: p, APIs: st.APIs, Objects: server.Objects(p.Buckets()),
			AWS:    &awsapi.Handler{Queues: p.Queues(), Tables: p.Tables(), Events: p, Logger: logger, Telemetry: p.Telemetry()},
			Logger: logger, Region: opts.Region, AccountID: opts.AccountID, Telemetry: p.Telemetry()})
		if err != nil {
			g.err.Store(&err)
			return
		}
		g.err.Store(nil)
		g.cur.Store(gw)
	})
	return g
}

// Err is why the last deploy's gateway could not be built, or nil.
func (g *liveGateway) Err() error {
	if e := g.err.Load(); e != nil {
		return *e
	}
	return nil
}

// handler serves requests with the current gateway, measured by met.
func (g *liveGateway) handler(met *metrics.Metrics) http.Handler {
	return met.Gateway(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { g.cur.Load().ServeHTTP(w, r) }),
		func(r *http.Request) (string, string) { return g.cur.Load().RouteOf(r) })
}
