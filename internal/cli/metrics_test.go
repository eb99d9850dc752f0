package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/metrics"
)

// TestMetricsScrapedByPrometheus runs a stack, drives invocations of every
// kind at it (through the gateway, the CLI, async, throttled) and a message
// into a queue nobody reads, and has a real Prometheus (Debian's package)
// scrape the control API's /metrics every second. Prometheus's query API
// must then answer with the right series and values, and every query of
// the Grafana dashboard must run and find data.
func TestMetricsScrapedByPrometheus(t *testing.T) {
	prom := prometheusBinary(t)
	ep, state := startUp(t, "testdata/metrics/template.yaml")
	api := startPrometheus(t, prom, strings.TrimPrefix(ep.Control, "http://"))

	// Three requests to the route, all warm but the first.
	for range 3 {
		resp, err := http.Get(ep.Gateway + "/echo/prometheus")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /echo/prometheus: status %d", resp.StatusCode)
		}
	}
	// One handled error, one async event, one throttle, one message left waiting.
	if stdout, stderr, _ := run("invoke", "Echo", "--state", state, "--payload", `{"fail":"no luck"}`); !strings.Contains(stdout+stderr, "no luck") {
		t.Fatalf("invoke with a failing payload: the output lacks the function's error:\n%s\n%s", stdout, stderr)
	}
	if _, stderr, code := run("invoke", "Echo", "--state", state, "--async", "--payload", `{"print":"later"}`); code != exitOK {
		t.Fatalf("invoke --async: exit %d: %s", code, stderr)
	}
	if _, _, code := run("invoke", "Blocked", "--state", state, "--payload", `{}`); code == exitOK {
		t.Fatal("invoking Blocked (reserved concurrency 0) succeeded; want it throttled")
	}
	if _, stderr, code := run("queue", "send", "Backlog", "--state", state, "--body", "waiting"); code != exitOK {
		t.Fatalf("queue send: exit %d: %s", code, stderr)
	}

	checks := []struct {
		query string
		want  map[string]float64 // by the series' labels, as labelKey prints them
	}{
		// version is the deployment; every function's counters start at 0.
		{`sum by (function, version, outcome) (stacklab_invocations_total) > 0`,
			map[string]float64{"function=Echo outcome=handled_error version=1": 1, "function=Echo outcome=ok version=1": 4}},
		{`count by (function, version) (stacklab_invocations_total == 0)`,
			map[string]float64{"function=Blocked version=1": 5, "function=Echo version=1": 3}},
		{`sum by (function) (stacklab_errors_total)`, map[string]float64{"function=Blocked": 0, "function=Echo": 1}},
		{`sum by (function, version) (stacklab_throttles_total)`, map[string]float64{"function=Blocked version=1": 1, "function=Echo version=1": 0}},
		{`sum by (sink, kind) (stacklab_telemetry_dropped_total)`, map[string]float64{"kind=invocation sink=store": 0, "kind=span sink=store": 0}},
		{`sum by (function) (stacklab_invocation_duration_seconds_count)`, map[string]float64{"function=Echo": 5}},
		{`sum by (function) (stacklab_cold_starts_total) - sum by (function) (stacklab_init_duration_seconds_count)`, map[string]float64{"function=Echo": 0}},
		{`sum by (function) (stacklab_async_event_age_seconds_count)`, map[string]float64{"function=Echo": 1}},
		{`sum by (api, route, status) (stacklab_gateway_request_duration_seconds_count{route="GET /echo/{name}"})`,
			map[string]float64{"api=ServerlessHttpApi route=GET /echo/{name} status=200": 3}},
		{`sum by (queue, state) (stacklab_queue_messages)`,
			map[string]float64{"queue=Backlog state=delayed": 0, "queue=Backlog state=in_flight": 0, "queue=Backlog state=visible": 1}},
		{`sum by (function) (stacklab_concurrent_executions)`, map[string]float64{"function=Blocked": 0, "function=Echo": 0}},
		{`count by (queue) (stacklab_queue_oldest_message_age_seconds >= 0)`, map[string]float64{"queue=Backlog": 1}},
		{`sum by (function) (stacklab_instances) > 0`, map[string]float64{"function=Echo": 1}},
	}
	for _, c := range checks {
		var got map[string]float64
		var err error
		poll(60*time.Second, func() bool {
			var res []promSample
			res, err = promQuery(api, c.query)
			got = map[string]float64{}
			for _, s := range res {
				got[labelKey(s.Metric)] = s.Value
			}
			return err == nil && fmt.Sprint(got) == fmt.Sprint(c.want)
		})
		if err != nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v (err %v), want %v", c.query, got, err, c.want)
		}
	}

	b, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	queries, err := metrics.DashboardQueries(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		var n int
		var err error
		poll(30*time.Second, func() bool {
			var res []promSample
			res, err = promQuery(api, q.PromQL())
			n = len(res)
			return err == nil && n > 0
		})
		if err != nil || n == 0 {
			t.Errorf("dashboard panel %q: %s: %d series, err %v", q.Panel, q.PromQL(), n, err)
		}
	}
}

// poll calls cond until it holds or within has passed, and says whether it
// held (the caller reports what it saw last).
func poll(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
	return true
}

// prometheusBinary finds Debian's prometheus; without it the test skips,
// unless CI is set (make test installs it there).
func prometheusBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a stack and a Prometheus server")
	}
	p, err := exec.LookPath("prometheus")
	if err != nil {
		msg := "the prometheus binary is not in PATH: apt-get install prometheus (make test installs it)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; CI is set, so the metrics test fails rather than skips")
		}
		t.Skip(msg)
	}
	return p
}

// startPrometheus runs a Prometheus server scraping target's /metrics
// every second and returns its base URL; it is stopped at the end of the
// test.
func startPrometheus(t *testing.T, bin, target string) string {
	t.Helper()
	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	yml := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: stacklab
    scrape_interval: 1s
    scrape_timeout: 1s
    metrics_path: %s
    static_configs:
      - targets: [%q]
`, metrics.Path, target)
	if err := os.WriteFile(config, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file", config, "--storage.tsdb.path", filepath.Join(dir, "data"),
		"--web.listen-address", addr, "--log.level", "warn")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("prometheus log:\n%s", b)
		}
	})
	base := "http://" + addr
	waitFor(t, 60*time.Second, "prometheus to be ready at "+base, func() bool {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logFile.Name())
			t.Fatalf("prometheus exited: %v\n%s", err, b)
		default:
		}
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return base
}

// promSample is one series of an instant query's answer.
type promSample struct {
	Metric map[string]string
	Value  float64
}

// promQuery runs an instant query through Prometheus's HTTP API.
func promQuery(base, query string) ([]promSample, error) {
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var answer struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return nil, fmt.Errorf("decoding the answer to %s: %w", query, err)
	}
	if answer.Status != "success" {
		return nil, fmt.Errorf("query %s: %s: %s", query, answer.ErrorType, answer.Error)
	}
	if answer.Data.ResultType != "vector" {
		return nil, fmt.Errorf("query %s: result type %s, want vector", query, answer.Data.ResultType)
	}
	var out []promSample
	for _, r := range answer.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("query %s: value %v: %w", query, r.Value[1], err)
		}
		out = append(out, promSample{Metric: r.Metric, Value: v})
	}
	return out, nil
}

// labelKey prints a series' labels sorted, "a=1 b=2".
func labelKey(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}
