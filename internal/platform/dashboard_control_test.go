package platform

import (
	"bufio"
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/dashboard"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/server"
)

// TestDashboardControl deploys a function, then the same with more memory,
// invokes each deployment, and reads every dashboard endpoint through the
// control API: the page without the token, the graph of each deployment,
// their diff, the series, the records, the cost, the experiment runs and
// the live stream.
func TestDashboardControl(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs functions")
	}
	ctx := context.Background()
	file, _ := filepath.Abs("testdata/telemetry/template.yaml")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	srv := httptest.NewServer(&server.Control{Token: "tok", Platform: p, UI: dashboard.Handler()})
	defer srv.Close()

	// Before any deploy there is no graph.
	if code, body := getJSON(t, srv.URL, "/v1/graph", nil); code != http.StatusNotFound || !strings.Contains(body, "nothing is deployed") {
		t.Errorf("GET /v1/graph before a deploy: %d %s", code, body)
	}
	bigger := strings.Replace(string(src), "Timeout: 5", "Timeout: 5\n      MemorySize: 256", 1)
	for i, s := range []string{string(src), bigger} {
		if _, _, err := p.DeploySource(ctx, file, []byte(s), nil); err != nil {
			t.Fatalf("deploy %d: %v", i+1, err)
		}
		for range 2 + i {
			if _, err := p.Invoke(ctx, invoke.Request{Function: "Echo", Payload: []byte(`{"n":1}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := p.Telemetry().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	fn := p.Functions()[0].Name

	// The page needs no token; the data does.
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(strings.ToLower(string(page)), "<html") {
		t.Errorf("GET / without a token: %d\n%.200s", resp.StatusCode, page)
	}
	for _, path := range []string{"/v1/graph", "/v1/live", "/v1/series?resource=Echo"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without a token: %d, want 401", path, resp.StatusCode)
		}
	}

	memoryOf := func(g dashboard.Graph) float64 {
		for _, n := range g.Nodes {
			if n.ID == "Echo" {
				d, _ := n.Detail.(map[string]any)
				m, _ := d["memorySize"].(float64)
				return m
			}
		}
		return -1
	}
	var g dashboard.Graph
	if code, body := getJSON(t, srv.URL, "/v1/graph", &g); code != http.StatusOK || g.Version != 2 || memoryOf(g) != 256 || g.Width <= 0 || len(g.Groups) == 0 {
		t.Errorf("GET /v1/graph: %d, want deployment 2 with Echo at 256 MB\n%s", code, body)
	}
	var g1 dashboard.Graph
	if code, body := getJSON(t, srv.URL, "/v1/graph?version=1", &g1); code != http.StatusOK || g1.Version != 1 || memoryOf(g1) != 128 {
		t.Errorf("GET /v1/graph?version=1: %d, want deployment 1 with Echo at 128 MB\n%s", code, body)
	}
	var diff dashboard.Diff
	code, body := getJSON(t, srv.URL, "/v1/deployments/diff?from=1&to=2", &diff)
	if code != http.StatusOK || len(diff.Changes) != 1 || diff.Changes[0].ID != "Echo" || diff.Changes[0].Action != "modify" ||
		len(diff.Changes[0].Properties) == 0 || diff.Changes[0].Properties[0].Path != "MemorySize" {
		t.Errorf("GET /v1/deployments/diff: %d, want Echo's MemorySize modified\n%s", code, body)
	}

	var s dashboard.Series
	code, body = getJSON(t, srv.URL, "/v1/series?resource=Echo&since=10m&step=1m", &s)
	var calls float64
	var withLatency int
	for i := range s.T {
		calls += s.Rate[i] * s.Step
		if s.P50[i] != nil {
			withLatency++
		}
	}
	if code != http.StatusOK || s.Resource != "Echo" || s.Step != 60 || len(s.T) < 10 || math.Round(calls) != 5 || withLatency == 0 {
		t.Errorf("GET /v1/series: %d, want Echo's 5 invocations over 1m buckets\n%s", code, body)
	}
	var invs []dashboard.Invocation
	code, body = getJSON(t, srv.URL, "/v1/invocations?function=Echo&limit=3", &invs)
	if code != http.StatusOK || len(invs) != 3 || invs[0].Version != "2" || invs[0].Function != fn || invs[0].Resource != "Echo" || invs[0].MemorySizeMB != 256 ||
		invs[0].Start.Before(invs[1].Start) || invs[0].RequestID == "" {
		t.Errorf("GET /v1/invocations: %d, want deployment 2's 3 newest records\n%s", code, body)
	}
	var cost dashboard.Cost
	code, body = getJSON(t, srv.URL, "/v1/cost?since=1h", &cost)
	if code != http.StatusOK || len(cost.Resources) != 1 || cost.Resources[0].Resource != "Echo" || cost.Resources[0].Invocations != 5 || cost.Total <= 0 ||
		len(cost.Versions) != 2 || cost.Versions[0].Version != 1 || cost.Versions[0].Invocations != 2 || cost.Versions[1].Invocations != 3 {
		t.Errorf("GET /v1/cost: %d, want 5 invocations, 2 by deployment 1 and 3 by 2\n%s", code, body)
	}

	// Experiment runs kept in the state folder.
	run := filepath.Join(p.StateDir(), "experiments", "memory-20261122-100000")
	os.MkdirAll(run, 0o755)
	os.WriteFile(filepath.Join(run, "report.json"), []byte(`{"name":"memory","started":"2026-11-22T10:00:00Z","clauses":[{"text":"p95 drops 20%","verdict":"confirmed"}]}`), 0o644)
	os.WriteFile(filepath.Join(run, "report.html"), []byte(`<!doctype html><h1>memory</h1>`), 0o644)
	var runs []dashboard.Experiment
	if code, body := getJSON(t, srv.URL, "/v1/experiments", &runs); code != http.StatusOK || len(runs) != 1 || runs[0].ID != "memory-20261122-100000" ||
		runs[0].Verdicts[0].Verdict != "confirmed" {
		t.Errorf("GET /v1/experiments: %d\n%s", code, body)
	}
	var report map[string]any
	if code, body := getJSON(t, srv.URL, "/v1/experiments/memory-20261122-100000", &report); code != http.StatusOK || report["name"] != "memory" {
		t.Errorf("GET /v1/experiments/{id}: %d\n%s", code, body)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/experiments/memory-20261122-100000/report.html", nil)
	req.Header.Set("Authorization", "Bearer tok")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(b), "<h1>memory</h1>") {
			t.Errorf("GET report.html: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	}

	// Bad input.
	for _, c := range []struct {
		path string
		code int
		want string
	}{
		{"/v1/graph?version=9", http.StatusNotFound, "there is no deployment 9"},
		{"/v1/graph?version=two", http.StatusBadRequest, `version=\"two\": give a deployment number`},
		{"/v1/deployments/diff?from=1", http.StatusBadRequest, "to is missing"},
		{"/v1/deployments/diff?from=1&to=7", http.StatusNotFound, "there is no deployment 7"},
		{"/v1/series", http.StatusBadRequest, "resource is missing"},
		{"/v1/series?resource=Echo&step=1s&since=720h", http.StatusBadRequest, "give a longer step"},
		{"/v1/invocations?limit=lots", http.StatusBadRequest, `limit=\"lots\"`},
		{"/v1/cost?since=last-week", http.StatusBadRequest, `since=\"last-week\"`},
		{"/v1/experiments/..%2F..%2Fetc", http.StatusBadRequest, "without / or .."},
		{"/v1/experiments/none", http.StatusNotFound, "ExperimentNotFound"},
	} {
		if code, body := getJSON(t, srv.URL, c.path, nil); code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("GET %s: %d %s; want %d and %q", c.path, code, body, c.code, c.want)
		}
	}

	// The live stream sends the last minute's map, and a deploy.
	lctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, _ = http.NewRequestWithContext(lctx, http.MethodGet, srv.URL+"/v1/live", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var event string
	var sawMap, sawDeploy bool
	deployed := make(chan error, 1)
	for !(sawMap && sawDeploy) && sc.Scan() {
		line := sc.Text()
		if e, ok := strings.CutPrefix(line, "event: "); ok {
			event = e
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		switch event {
		case "map":
			if !sawMap && !strings.Contains(data, `"Nodes":[{`) {
				t.Errorf("map event without nodes: %s", data)
			}
			if !sawMap {
				sawMap = true
				go func() { // deployment 3
					_, _, err := p.DeploySource(ctx, file, src, nil)
					deployed <- err
				}()
			}
		case "deployment":
			if !strings.Contains(data, `"version":3`) {
				t.Errorf("deployment event: %s", data)
			}
			sawDeploy = true
		}
	}
	if !sawMap || !sawDeploy {
		t.Errorf("live stream: map %v, deployment %v (%v)", sawMap, sawDeploy, sc.Err())
	}
	if sawMap {
		if err := <-deployed; err != nil {
			t.Errorf("deployment 3: %v", err)
		}
	}
}
