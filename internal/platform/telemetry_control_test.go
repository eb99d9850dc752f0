package platform

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// getJSON calls the control API and decodes its answer into v (when the
// status is 200), returning the status and the body.
func getJSON(t *testing.T, base, path string, v any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatalf("GET %s: %d, answer is not JSON: %v", path, resp.StatusCode, err)
	}
	if resp.StatusCode == http.StatusOK && v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, raw)
		}
	}
	return resp.StatusCode, string(raw)
}

// TestTelemetryControl deploys a function twice, invokes each deployment,
// and reads traces, one trace, the map, stats by function and by deployment
// version, and the comparison of the two versions through the control API.
func TestTelemetryControl(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs functions")
	}
	ctx := context.Background()
	file, _ := filepath.Abs("testdata/telemetry/template.yaml")
	p, err := New(Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Telemetry() == nil {
		t.Fatal("tracing is on by default, yet the platform has no telemetry")
	}
	invokeN := func(n int, payload string) {
		t.Helper()
		for range n {
			if _, err := p.Invoke(ctx, invoke.Request{Function: "Echo", Payload: []byte(payload)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, calls := range []int{3, 2} { // deployments 1 and 2
		if _, err := p.Deploy(ctx, file); err != nil {
			t.Fatalf("deploy: %v", err)
		}
		invokeN(calls, `{"n": 1}`)
		if calls == 3 {
			// Deployment 1 stays live a while after its invocations, so
			// that the comparison's equal windows (as long as the shorter
			// of the two lives) hold every invocation of deployment 2.
			time.Sleep(time.Second)
		}
	}
	invokeN(1, `{"fail": "boom"}`) // deployment 2's third invocation, an error
	if err := p.Telemetry().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	fn := p.Functions()[0].Name
	srv := httptest.NewServer(&server.Control{Token: "tok", Platform: p})
	defer srv.Close()

	var traces []store.TraceSummary
	if code, body := getJSON(t, srv.URL, "/v1/traces?function="+fn+"&since=1h&limit=50", &traces); code != http.StatusOK || len(traces) != 6 {
		t.Fatalf("GET /v1/traces: %d, %d traces, want 6\n%s", code, len(traces), body)
	}
	for i := 1; i < len(traces); i++ {
		if traces[i].Start.After(traces[i-1].Start) {
			t.Errorf("traces are not newest first: %v after %v", traces[i].Start, traces[i-1].Start)
		}
	}
	if !traces[0].Error {
		t.Errorf("the newest trace is the failed invocation, yet has no error mark: %+v", traces[0])
	}
	var errs []store.TraceSummary
	if getJSON(t, srv.URL, "/v1/traces?errors=1", &errs); len(errs) != 1 || errs[0].TraceID != traces[0].TraceID {
		t.Errorf("GET /v1/traces?errors=1 = %+v, want the failed one", errs)
	}
	var limited []store.TraceSummary
	if getJSON(t, srv.URL, "/v1/traces?limit=2", &limited); len(limited) != 2 {
		t.Errorf("GET /v1/traces?limit=2: %d traces", len(limited))
	}

	// One trace, by its W3C id and by its X-Ray root.
	id := traces[1].TraceID
	xray := "1-" + id[:8] + "-" + id[8:]
	for _, ref := range []string{id, xray} {
		var view telemetry.TraceView
		code, body := getJSON(t, srv.URL, "/v1/traces/"+ref, &view)
		if code != http.StatusOK || len(view.Spans) != traces[1].Spans || len(view.Path.Steps) == 0 || view.Spans[0].TraceID != id {
			t.Errorf("GET /v1/traces/%s: %d\n%s", ref, code, body)
		}
	}

	var m telemetry.MapReport
	code, body := getJSON(t, srv.URL, "/v1/map?since=1h", &m)
	if code != http.StatusOK || len(m.Nodes) == 0 || m.Traces != 6 || len(m.Bottleneck) == 0 {
		t.Errorf("GET /v1/map: %d\n%s", code, body)
	}

	var stats []store.FunctionStats
	code, body = getJSON(t, srv.URL, "/v1/stats", &stats)
	if code != http.StatusOK || len(stats) != 1 || stats[0].Invocations != 6 || stats[0].Errors != 1 || stats[0].Cost <= 0 {
		t.Errorf("GET /v1/stats: %d, want one function with 6 invocations, 1 error and a cost\n%s", code, body)
	}
	var byVersion []store.FunctionStats
	code, body = getJSON(t, srv.URL, "/v1/stats?by=version&function="+fn, &byVersion)
	if code != http.StatusOK || len(byVersion) != 2 || byVersion[0].Version != "1" || byVersion[0].Invocations != 3 ||
		byVersion[1].Version != "2" || byVersion[1].Invocations != 3 || byVersion[1].Errors != 1 {
		t.Errorf("GET /v1/stats?by=version: %d, want deployment 1 with 3 invocations, 2 with 3 and an error\n%s", code, body)
	}
	deps, err := p.Deployments(ctx)
	if err != nil || len(deps) != 2 {
		t.Fatalf("deployments %+v, %v", deps, err)
	}
	var second []store.FunctionStats
	code, body = getJSON(t, srv.URL, "/v1/stats?by=version&since="+deps[1].Time.Format(time.RFC3339Nano), &second)
	if code != http.StatusOK || len(second) != 1 || second[0].Version != "2" || second[0].Invocations != 3 {
		t.Errorf("GET /v1/stats?by=version since deployment 2 went live: %d, want deployment 2 only\n%s", code, body)
	}
	// Deployment 2 has been live for less than 1 was: both are measured
	// over as long as it has (deployment 1's whole life once 2 has been
	// live as long).
	if wait := deps[1].Live.Sub(deps[0].Live) - time.Since(deps[1].Live); wait > 0 {
		time.Sleep(wait + 10*time.Millisecond)
	}
	var cmp server.VersionComparison
	code, body = getJSON(t, srv.URL, "/v1/stats/compare?since=1h", &cmp)
	if code != http.StatusOK || len(cmp.Versions) != 2 || len(cmp.Changes) != 1 || cmp.Changes[0].From != "1" || cmp.Changes[0].To != "2" ||
		cmp.Changes[0].ErrorRateDelta <= 0 || cmp.Changes[0].Before.Invocations != 3 || cmp.Changes[0].After.Invocations != 3 {
		t.Errorf("GET /v1/stats/compare: %d, want deployment 2 against 1 with more errors, 3 invocations each\n%s", code, body)
	} else if v := cmp.Versions; !v[0].Live.Equal(deps[0].Live) || !v[0].Until.Equal(deps[1].Live) || v[1].Until.Sub(v[1].Live) < v[0].Until.Sub(v[0].Live) ||
		cmp.Changes[0].Over != v[0].Until.Sub(v[0].Live) {
		t.Errorf("GET /v1/stats/compare: windows %+v, over %v; want deployment 1 from when it went live until 2 did, and both over that long", v, cmp.Changes[0].Over)
	}
	// Asked right after a deployment, the two are compared over the
	// moments the new one has been live, not the old one's whole window.
	if _, err := p.Deploy(ctx, file); err != nil {
		t.Fatalf("deploy 3: %v", err)
	}
	invokeN(1, `{"n": 1}`)
	code, body = getJSON(t, srv.URL, "/v1/stats/compare?since=1h", &cmp)
	if code != http.StatusOK || len(cmp.Versions) != 3 || len(cmp.Changes) != 2 {
		t.Fatalf("GET /v1/stats/compare after deployment 3: %d\n%s", code, body)
	}
	if c := cmp.Changes[1]; c.From != "2" || c.To != "3" || c.After.Invocations != 1 || c.Over >= cmp.Versions[1].Until.Sub(cmp.Versions[1].Live) ||
		c.Over != cmp.Versions[2].Until.Sub(cmp.Versions[2].Live) {
		t.Errorf("deployment 3 against 2: %+v\nwindows %+v; want both over the time 3 has been live", c, cmp.Versions)
	}

	// Bad input.
	for _, c := range []struct {
		path string
		code int
		want string
	}{
		{"/v1/traces/" + strings.Repeat("ab", 16), http.StatusNotFound, "trace not found"},
		{"/v1/traces/nope", http.StatusBadRequest, "32 hex digits or an X-Ray root"},
		{"/v1/traces?since=yesterday", http.StatusBadRequest, `since=\"yesterday\": give a duration`},
		{"/v1/traces?slow=fast", http.StatusBadRequest, `slow=\"fast\"`},
		{"/v1/traces?limit=0", http.StatusBadRequest, "limit=\\\"0\\\": give a number of traces from 1"},
		{"/v1/traces?errors=maybe", http.StatusBadRequest, "errors=1 or errors=0"},
		{"/v1/map?until=soon", http.StatusBadRequest, `until=\"soon\"`},
		{"/v1/stats?by=color", http.StatusBadRequest, "by=version"},
		{"/v1/stats/compare?since=2026-01-01T00:00:00Z", http.StatusBadRequest, "window after each deployment went live"},
	} {
		if code, body := getJSON(t, srv.URL, c.path, nil); code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("GET %s: %d %s; want %d and %q", c.path, code, body, c.code, c.want)
		}
	}

	// A platform without tracing says so and how to turn it on.
	off, err := New(Options{StateDir: t.TempDir(), Tracing: TracingOptions{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	offSrv := httptest.NewServer(&server.Control{Token: "tok", Platform: off})
	defer offSrv.Close()
	for _, path := range []string{"/v1/traces", "/v1/traces/" + id, "/v1/map", "/v1/stats", "/v1/stats/compare"} {
		if code, body := getJSON(t, offSrv.URL, path, nil); code != http.StatusServiceUnavailable || !strings.Contains(body, "without --no-tracing") {
			t.Errorf("GET %s with tracing off: %d %s", path, code, body)
		}
	}
}

// TestLiveWindows: each deployment is measured from when it went live
// (when it started, for a record that predates Live) until the window ends,
// the next goes live, or now.
func TestLiveWindows(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	deps := []Deployment{
		{Version: 1, Time: at(0)},                // recorded before Live was kept
		{Version: 2, Time: at(40), Live: at(41)}, // live 41..45: replaced by 3
		{Version: 3, Time: at(44), Live: at(45)}, // live 45..now (50)
	}
	got := liveWindows(deps, 30*time.Minute, at(50))
	want := []server.VersionWindow{{Version: 1, Live: at(0), Until: at(30)}, {Version: 2, Live: at(41), Until: at(45)}, {Version: 3, Live: at(45), Until: at(50)}}
	if len(got) != len(want) {
		t.Fatalf("liveWindows = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Version != want[i].Version || !got[i].Live.Equal(want[i].Live) || !got[i].Until.Equal(want[i].Until) {
			t.Errorf("window %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// A clock that went back leaves an empty window, not a negative one.
	if w := liveWindows(deps[2:], time.Hour, at(44)); !w[0].Until.Equal(w[0].Live) {
		t.Errorf("now before going live: %+v, want an empty window", w[0])
	}
}
