package server

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/dashboard"
	"github.com/stacklab/stacklab/internal/runtime"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// fakeDashboard answers the dashboard's calls from memory and records what
// it was asked.
type fakeDashboard struct {
	platformOf
	version  atomic.Int64 // the running deployment
	graphOf  int
	records  store.InvocationFilter
	expDir   string
	tracing  bool
	mapCalls atomic.Int64
}

func (f *fakeDashboard) DashboardGraph(_ context.Context, v int) (dashboard.Graph, error) {
	f.graphOf = v
	if v > int(f.version.Load()) {
		return dashboard.Graph{}, ErrNoDeployment
	}
	return dashboard.Graph{Version: v, Nodes: []dashboard.Node{}, Edges: []dashboard.Edge{}, Groups: []dashboard.Group{}}, nil
}
func (f *fakeDashboard) DashboardDiff(_ context.Context, from, to int) (dashboard.Diff, error) {
	return dashboard.Diff{From: from, To: to, Changes: nil}, nil
}
func (f *fakeDashboard) DashboardInvocations(_ context.Context, flt store.InvocationFilter) ([]model.Invocation, error) {
	f.records = flt
	return []model.Invocation{{Function: flt.Function, Start: time.Now().Add(-time.Second), Duration: time.Millisecond, Outcome: model.OutcomeOK}}, nil
}
func (f *fakeDashboard) DashboardCost(_ context.Context, since, until time.Time) (dashboard.Cost, error) {
	return dashboard.CostOf(since, until, nil, nil, nil), nil
}
func (f *fakeDashboard) DashboardCurrent(context.Context) (int, any, error) {
	v := int(f.version.Load())
	if v == 0 {
		return 0, nil, nil
	}
	return v, map[string]int{"version": v}, nil
}
func (f *fakeDashboard) DashboardExperiments() string { return f.expDir }

// tracingDashboard is a fakeDashboard whose platform traces.
type tracingDashboard struct{ *fakeDashboard }

func (tracingDashboard) TelemetryTraces(context.Context, store.TraceFilter) ([]store.TraceSummary, error) {
	return nil, nil
}
func (tracingDashboard) TelemetryTrace(context.Context, string) (telemetry.TraceView, error) {
	return telemetry.TraceView{}, nil
}
func (t tracingDashboard) TelemetryMap(_ context.Context, since, until time.Time) (telemetry.MapReport, error) {
	t.mapCalls.Add(1)
	return telemetry.MapReport{Map: store.Map{Since: since, Until: until, Nodes: []store.Node{{Resource: "Echo", Calls: 3}}}}, nil
}
func (tracingDashboard) TelemetryStats(context.Context, store.StatsFilter, bool) ([]store.FunctionStats, error) {
	return nil, nil
}
func (tracingDashboard) TelemetryCompare(context.Context, string, time.Duration) (VersionComparison, error) {
	return VersionComparison{}, nil
}

func newFakeDashboard(t *testing.T) *fakeDashboard {
	rt := runtime.New(runtime.Options{Logs: runtime.NewLogs("")})
	t.Cleanup(rt.Close)
	f := &fakeDashboard{platformOf: platformOf{rt}, expDir: t.TempDir()}
	f.version.Store(2)
	return f
}

func call(t *testing.T, base, path, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// The page needs no token; its data does.
func TestDashboardToken(t *testing.T) {
	f := newFakeDashboard(t)
	srv := httptest.NewServer(&Control{Token: "t", Platform: tracingDashboard{f}, UI: dashboard.Handler()})
	defer srv.Close()
	for _, c := range []struct {
		path, token string
		code        int
	}{
		{"/", "", 200},
		{"/index.html", "", 200},
		{"/v1/graph", "", 401},
		{"/v1/graph", "wrong", 401},
		{"/v1/live", "", 401},
		{"/v1/functions", "", 401},
		{"/v1", "", 401},
		{"/metrics", "", 401}, // served by the metrics wrapper in front, never by the page
		{"/v1/graph", "t", 200},
	} {
		if resp, body := call(t, srv.URL, c.path, c.token); resp.StatusCode != c.code {
			t.Errorf("GET %s with token %q: %d, want %d\n%s", c.path, c.token, resp.StatusCode, c.code, body)
		}
	}
	// Without a UI, every path needs the token, as before.
	bare := httptest.NewServer(&Control{Token: "t", Platform: f})
	defer bare.Close()
	if resp, _ := call(t, bare.URL, "/", ""); resp.StatusCode != 401 {
		t.Errorf("GET / without a UI: %d, want 401", resp.StatusCode)
	}
}

func TestServeDashboard(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f := newFakeDashboard(t)
	for _, c := range []struct {
		path string
		err  string
	}{
		{path: "/v1/graph"},
		{path: "/v1/graph?version=1"},
		{path: "/v1/graph?version=0", err: `version="0": give a deployment number`},
		{path: "/v1/graph?version=latest", err: `version="latest"`},
		{path: "/v1/deployments/diff?from=1&to=2"},
		{path: "/v1/deployments/diff?to=2", err: "from is missing: give from=N"},
		{path: "/v1/deployments/diff?from=1&to=x", err: `to="x"`},
		{path: "/v1/series?resource=Echo"},
		{path: "/v1/series?resource=Echo&since=1h&until=30m&step=1m"},
		{path: "/v1/series", err: "resource is missing"},
		{path: "/v1/series?resource=Echo&step=fast", err: `step="fast": give a duration`},
		{path: "/v1/series?resource=Echo&step=100ms", err: "a second or more"},
		{path: "/v1/series?resource=Echo&since=720h&step=1s", err: "give a longer step"},
		{path: "/v1/series?resource=Echo&since=yesterday", err: `since="yesterday": give a duration`},
		{path: "/v1/invocations?function=Echo&limit=5&since=2026-11-22T09:00:00Z"},
		{path: "/v1/invocations?limit=0", err: `limit="0": give a number of records from 1 to 10000`},
		{path: "/v1/invocations?until=soon", err: `until="soon"`},
		{path: "/v1/invocations?since=10m&until=20m", err: "is not after since"},
		{path: "/v1/cost?since=2h"},
		{path: "/v1/cost?since=-2h", err: "positive duration"},
		{path: "/v1/experiments"},
		{path: "/v1/experiments/..", err: "without / or .."},
		{path: "/v1/experiments/nope", err: "no such experiment run"},
		{path: "/v1/everything", err: "not a dashboard endpoint"},
	} {
		u, _ := url.Parse(c.path)
		q := u.Query()
		if q.Get("resource") != "" {
			q.Set("function", q.Get("resource"))
		}
		_, err := serveDashboard(t.Context(), f, u.Path, q, now)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.path, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: error %v, want one with %q", c.path, err, c.err)
		}
	}
	// A series reads the records that may still run into its window.
	serveDashboard(t.Context(), f, "/v1/series", url.Values{"function": {"Echo"}, "since": {"1h"}}, now)
	if want := now.Add(-time.Hour - maxFunctionTime); !f.records.Since.Equal(want) || !f.records.Until.Equal(now) || f.records.Function != "Echo" {
		t.Errorf("series asked for %+v, want Echo from %v to %v", f.records, want, now)
	}
}

// Bad parameters and unknown things come back as 400 and 404 with the fix.
func TestDashboardErrors(t *testing.T) {
	f := newFakeDashboard(t)
	srv := httptest.NewServer(&Control{Token: "t", Platform: f})
	defer srv.Close()
	for _, c := range []struct {
		path string
		code int
		want string
	}{
		{"/v1/graph?version=9", 404, "see GET /v1/deployments"},
		{"/v1/graph?version=x", 400, "InvalidParameterValue"},
		{"/v1/series?resource=Echo&step=0s", 400, "a second or more"},
		{"/v1/experiments/a..b/report.html", 400, "without / or .."},
		{"/v1/experiments/nope/report.html", 404, "ExperimentNotFound"},
		{"/v1/series?resource=Echo", 200, `"resource": "Echo"`},
		{"/v1/deployments/diff?from=1&to=2", 200, `"changes": []`},
	} {
		if resp, body := call(t, srv.URL, c.path, "t"); resp.StatusCode != c.code || !strings.Contains(body, c.want) {
			t.Errorf("GET %s: %d %s; want %d with %q", c.path, resp.StatusCode, body, c.code, c.want)
		}
	}
}

// readEvents reads server-sent events until want events of the named kinds
// have come, or the deadline.
// openLive opens the live stream with the token; cancel ends it (and the
// test gives up after 10 s).
func openLive(t *testing.T, url string) (*http.Response, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/live", nil)
	req.Header.Set("Authorization", "Bearer t")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return resp, cancel
}

func readEvents(t *testing.T, body io.Reader, until func(event, data string) bool) {
	t.Helper()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var event string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if until(event, strings.TrimPrefix(line, "data: ")) {
				return
			}
		}
	}
	t.Fatalf("the stream ended: %v", sc.Err())
}

func TestLive(t *testing.T) {
	f := newFakeDashboard(t)
	srv := httptest.NewServer(&Control{Token: "t", Platform: tracingDashboard{f}})
	defer srv.Close()
	resp, cancel := openLive(t, srv.URL)
	defer cancel()
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /v1/live: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	maps := 0
	readEvents(t, resp.Body, func(event, data string) bool {
		switch event {
		case "map":
			if !strings.Contains(data, `"Resource":"Echo"`) {
				t.Errorf("map event: %s", data)
			}
			if maps++; maps == 1 {
				f.version.Store(3) // a deploy happens
			}
		case "deployment":
			if data != `{"version":3}` {
				t.Errorf("deployment event: %s", data)
			}
			return maps > 0
		default:
			t.Errorf("event %q: %s", event, data)
		}
		return false
	})
	// The client goes: the stream stops asking for maps.
	cancel()
	resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := f.mapCalls.Load()
		time.Sleep(2 * LiveInterval)
		if f.mapCalls.Load() == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stream goes on after its client left")
		}
	}
}

// Without tracing the stream says so once and still tells of deploys.
func TestLiveWithoutTracing(t *testing.T) {
	f := newFakeDashboard(t)
	srv := httptest.NewServer(&Control{Token: "t", Platform: f})
	defer srv.Close()
	resp, cancel := openLive(t, srv.URL)
	defer cancel()
	defer resp.Body.Close()
	var seen []string
	readEvents(t, resp.Body, func(event, data string) bool {
		seen = append(seen, event)
		if event == "error" {
			if !strings.Contains(data, "TracingOff") {
				t.Errorf("error event: %s", data)
			}
			f.version.Store(3)
		}
		return event == "deployment"
	})
	if strings.Join(seen, ",") != "error,deployment" {
		t.Errorf("events %v, want error then deployment", seen)
	}
}

// FuzzDashboardParams: any query of any dashboard endpoint is answered or
// refused with an error, never a panic.
func FuzzDashboardParams(f *testing.F) {
	for _, s := range []string{"version=1", "from=1&to=2", "resource=Echo&since=1h&step=1m", "since=0001-01-01T00:00:00Z&step=1s",
		"until=9999-12-31T23:59:59Z&since=0001-01-01T00:00:00Z", "limit=10000&since=-1s", "step=2562047h", "resource=x&step=1ns"} {
		f.Add(s)
	}
	paths := []string{"/v1/graph", "/v1/deployments/diff", "/v1/series", "/v1/invocations", "/v1/cost", "/v1/experiments"}
	d := newFakeDashboardF(f)
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		if q.Get("function") == "" {
			q.Set("function", q.Get("resource"))
		}
		for _, p := range paths {
			serveDashboard(t.Context(), d, p, q, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
		}
	})
}

func newFakeDashboardF(f *testing.F) *fakeDashboard {
	rt := runtime.New(runtime.Options{Logs: runtime.NewLogs("")})
	f.Cleanup(rt.Close)
	d := &fakeDashboard{platformOf: platformOf{rt}, expDir: f.TempDir()}
	d.version.Store(2)
	return d
}
