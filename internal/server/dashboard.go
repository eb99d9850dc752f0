package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/dashboard"
	"github.com/stacklab/stacklab/internal/plan"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// Dashboard serves the data endpoints the dashboard's page calls (docs/
// design/0019); a Platform that keeps deployments implements it.
//
//	GET /v1/graph[?version=N]                 the stack laid out (dashboard.Graph)
//	GET /v1/series?resource=F&since&until&step    a function's metrics over time
//	GET /v1/invocations?function&since&until&request&trace&limit   newest first
//	GET /v1/deployments/diff?from=A&to=B       the change set between two deployments
//	GET /v1/cost?since&until                   cost by function and by deployment
//	GET /v1/experiments[/{id}[/report.html]]   runs kept under STATE/experiments
//	GET /v1/live                               server-sent events: map, deployment
type Dashboard interface {
	// DashboardGraph lays out the stack of deployment version, or of the
	// running one for 0. ErrNoDeployment when there is none.
	DashboardGraph(ctx context.Context, version int) (dashboard.Graph, error)
	// DashboardDiff is the change set from deployment from to deployment
	// to, each stack rebuilt from its recorded template.
	DashboardDiff(ctx context.Context, from, to int) (dashboard.Diff, error)
	// DashboardInvocations reads invocation records, newest first;
	// ErrTracingOff without a store.
	DashboardInvocations(ctx context.Context, f store.InvocationFilter) ([]model.Invocation, error)
	// DashboardCost sums cost over [since, until) by function and by
	// deployment; ErrTracingOff without a store.
	DashboardCost(ctx context.Context, since, until time.Time) (dashboard.Cost, error)
	// DashboardCurrent is the running deployment's number and the
	// deployment as JSON; 0 and nil when nothing is deployed.
	DashboardCurrent(ctx context.Context) (int, any, error)
	// DashboardExperiments is the folder experiment runs are kept in
	// (STATE/experiments).
	DashboardExperiments() string
}

// ErrNoDeployment is returned for a deployment number that names none, or
// when nothing is deployed.
var ErrNoDeployment = errors.New("no such deployment")

// LiveInterval is how often GET /v1/live sends the service map, and
// LiveWindow the span of invocations it covers.
const (
	LiveInterval = time.Second
	LiveWindow   = time.Minute
)

// maxInvocationLimit bounds ?limit= of /v1/invocations; seriesRecords is
// the most records one series reads.
const (
	maxInvocationLimit = 10000
	seriesRecords      = 1 << 20
)

// maxFunctionTime is the longest an invocation runs (Lambda's 15 minutes):
// a series reads records that started this long before its window, for
// the concurrency of its first buckets.
const maxFunctionTime = 15 * time.Minute

func (c *Control) dashboard(w http.ResponseWriter, r *http.Request, path string) {
	dp, ok := c.Platform.(Dashboard)
	if !ok {
		writeError(w, http.StatusNotFound, "NotFound", "this platform keeps no deployments, so it serves no dashboard data")
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "NotFound", r.Method+" "+r.URL.Path+": the dashboard's endpoints answer GET only")
		return
	}
	if path == "/v1/live" {
		c.live(w, r, dp)
		return
	}
	if name, ok := strings.CutPrefix(path, "/v1/experiments/"); ok && strings.HasSuffix(name, "/report.html") {
		c.experimentHTML(w, dp, strings.TrimSuffix(name, "/report.html"))
		return
	}
	q := r.URL.Query()
	// resource (the series') and function name the same thing.
	if fn := q.Get("resource"); fn != "" && q.Get("function") == "" {
		q.Set("function", fn)
	}
	if q.Get("resource") == "" {
		q.Set("resource", q.Get("function"))
	}
	// Records name a function by its name; the logical id names it too.
	if fn := q.Get("function"); fn != "" {
		for _, f := range c.Platform.Functions() {
			if f.ID == fn {
				q.Set("function", f.Name)
				break
			}
		}
	}
	v, err := serveDashboard(r.Context(), dp, path, q, time.Now())
	if invs, ok := v.([]dashboard.Invocation); ok {
		ids := map[string]string{}
		for _, f := range c.Platform.Functions() {
			ids[f.Name] = f.ID
		}
		for i := range invs {
			if id := ids[invs[i].Function]; id != "" {
				invs[i].Resource = id
			}
		}
	}
	if err != nil {
		writeDashboardError(w, err)
		return
	}
	if raw, ok := v.(json.RawMessage); ok {
		w.Header().Set("Content-Type", "application/json")
		w.Write(raw)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func writeDashboardError(w http.ResponseWriter, err error) {
	var bp badParam
	switch {
	case errors.As(err, &bp), errors.Is(err, dashboard.ErrBadExperimentID), errors.Is(err, store.ErrBadTraceID):
		writeError(w, http.StatusBadRequest, "InvalidParameterValue", err.Error())
	case errors.Is(err, ErrNoDeployment):
		writeError(w, http.StatusNotFound, "DeploymentNotFound", err.Error()+"; see GET /v1/deployments")
	case errors.Is(err, dashboard.ErrNoExperiment):
		writeError(w, http.StatusNotFound, "ExperimentNotFound", err.Error()+"; see GET /v1/experiments")
	case errors.Is(err, ErrTracingOff), errors.Is(err, telemetry.ErrNoStore):
		writeError(w, http.StatusServiceUnavailable, "TracingOff", ErrTracingOff.Error())
	default:
		writeError(w, http.StatusInternalServerError, "DashboardError", err.Error())
	}
}

// serveDashboard answers one data request of the page at time now; a
// parameter error names the parameter and the fix.
func serveDashboard(ctx context.Context, dp Dashboard, path string, q url.Values, now time.Time) (any, error) {
	p := params{q: q, now: now}
	switch {
	case path == "/v1/graph":
		version := p.version("version", false)
		if p.err != nil {
			return nil, p.err
		}
		return dp.DashboardGraph(ctx, version)
	case path == "/v1/deployments/diff":
		from, to := p.version("from", true), p.version("to", true)
		if p.err != nil {
			return nil, p.err
		}
		d, err := dp.DashboardDiff(ctx, from, to)
		if d.Changes == nil {
			d.Changes = []plan.Change{}
		}
		return d, err
	case path == "/v1/series":
		fn := q.Get("function")
		if fn == "" {
			p.fail("resource is missing: give resource=F, the function's logical id or name")
		}
		since, until := p.window(DefaultTelemetryWindow)
		if until.IsZero() {
			until = now
		}
		step := dashboard.DefaultStep(since, until)
		if s := q.Get("step"); s != "" {
			step = p.duration("step")
		}
		if p.err == nil {
			if err := dashboard.CheckStep(since, until, step); err != nil {
				p.fail("%v", err)
			}
		}
		if p.err != nil {
			return nil, p.err
		}
		recs, err := dp.DashboardInvocations(ctx, store.InvocationFilter{Function: fn, Since: since.Add(-maxFunctionTime), Until: until, Limit: seriesRecords})
		if err != nil {
			return nil, err
		}
		return dashboard.Buckets(q.Get("resource"), recs, since, until, step), nil
	case path == "/v1/invocations":
		since, until := p.window(0)
		f := store.InvocationFilter{Function: q.Get("function"), RequestID: q.Get("request"), TraceID: q.Get("trace"), Since: since, Until: until, Limit: 50}
		if s := q.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > maxInvocationLimit {
				p.fail("limit=%q: give a number of records from 1 to %d", s, maxInvocationLimit)
			}
			f.Limit = n
		}
		if p.err != nil {
			return nil, p.err
		}
		recs, err := dp.DashboardInvocations(ctx, f)
		if err != nil {
			return nil, err
		}
		return dashboard.Invocations(recs, nil), nil
	case path == "/v1/cost":
		since, until := p.window(DefaultTelemetryWindow)
		if p.err != nil {
			return nil, p.err
		}
		return dp.DashboardCost(ctx, since, until)
	case path == "/v1/experiments":
		return dashboard.Experiments(dp.DashboardExperiments())
	case strings.HasPrefix(path, "/v1/experiments/"):
		file, err := dashboard.ExperimentFile(dp.DashboardExperiments(), strings.TrimPrefix(path, "/v1/experiments/"), "report.json")
		if err != nil {
			return nil, err
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading the experiment's report: %w", err)
		}
		if !json.Valid(b) {
			return nil, fmt.Errorf("the experiment's report %s is not JSON (is the run still writing it?)", file)
		}
		return json.RawMessage(b), nil
	}
	return nil, paramErr("GET %s is not a dashboard endpoint: use /v1/graph, /v1/series, /v1/invocations, /v1/deployments/diff, /v1/cost, /v1/experiments or /v1/live", path)
}

// version reads a deployment number; 0 when it is absent and not required.
func (p *params) version(name string, required bool) int {
	s := p.q.Get(name)
	if s == "" {
		if required {
			p.fail("%s is missing: give %s=N, a deployment number from GET /v1/deployments", name, name)
		}
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		p.fail("%s=%q: give a deployment number (1, 2, ...) from GET /v1/deployments", name, s)
	}
	return n
}

func (c *Control) experimentHTML(w http.ResponseWriter, dp Dashboard, id string) {
	file, err := dashboard.ExperimentFile(dp.DashboardExperiments(), id, "report.html")
	if err != nil {
		writeDashboardError(w, err)
		return
	}
	b, err := os.ReadFile(file)
	if err != nil {
		writeDashboardError(w, fmt.Errorf("reading the experiment's report: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}

// live streams server-sent events until the client goes or the server
// shuts down (the request's context ends): every LiveInterval an event
// "map" with the service map of the last LiveWindow, and an event
// "deployment" with the deployment when another goes live. Without
// tracing, one event "error" says so and only deployments follow.
func (c *Control) live(w http.ResponseWriter, r *http.Request, dp Dashboard) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "DashboardError", "this connection cannot stream events")
		return
	}
	ctx := r.Context()
	current, _, err := dp.DashboardCurrent(ctx)
	if err != nil {
		writeDashboardError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(event string, v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		flusher.Flush()
		return true
	}
	tp, tracing := c.Platform.(Telemetry)
	if !tracing && !send("error", map[string]string{"type": "TracingOff", "message": ErrTracingOff.Error()}) {
		return
	}
	tick := time.NewTicker(LiveInterval)
	defer tick.Stop()
	for {
		if tracing {
			now := time.Now()
			m, err := serveTelemetry(ctx, tp, telemetryQuery{endpoint: "map", since: now.Add(-LiveWindow), until: now})
			switch {
			case ctx.Err() != nil:
				return
			case errors.Is(err, ErrTracingOff), errors.Is(err, telemetry.ErrNoStore):
				tracing = false
				if !send("error", map[string]string{"type": "TracingOff", "message": ErrTracingOff.Error()}) {
					return
				}
			case err != nil:
				if !send("error", map[string]string{"type": "TelemetryError", "message": err.Error()}) {
					return
				}
			default:
				if !send("map", m) {
					return
				}
			}
		}
		if v, d, err := dp.DashboardCurrent(ctx); err == nil && v != current && d != nil {
			current = v
			if !send("deployment", d) {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
