package metrics

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// exercise makes every family have at least one series.
func exercise(m *Metrics) {
	m.Invocation("Echo", "$LATEST", model.OutcomeOK, 20*time.Millisecond, 150*time.Millisecond, true)
	m.Invocation("Echo", "$LATEST", model.OutcomeOK, 3*time.Millisecond, 0, false)
	m.Invocation("Echo", "$LATEST", model.OutcomeTimeout, 2*time.Second, 0, false)
	m.Throttle("Echo", "$LATEST")
	m.AsyncAge("Echo", 40*time.Millisecond)
	m.GatewayRequest("ServerlessHttpApi", "GET /echo/{name}", 200, 5*time.Millisecond)
	m.SetSources(Sources{
		Functions: func() []FunctionState {
			return []FunctionState{
				{Function: "Echo", Version: "$LATEST", Concurrent: 2, Busy: 1, Idle: 3},
				// A retired pool of the same version: summed.
				{Function: "Echo", Version: "$LATEST", Concurrent: 1, Busy: 1, Idle: 0},
			}
		},
		Queues: func(ctx context.Context) []QueueState {
			return []QueueState{{Queue: "Jobs", Visible: 4, InFlight: 1, Delayed: 2, OldestAge: 90 * time.Second}}
		},
		Telemetry: func() []TelemetryState {
			return []TelemetryState{{Sink: "store", Dropping: true, DroppedSpans: 7, DroppedInvocations: 2}, {Sink: "otlp"}}
		},
	})
}

func TestEveryFamilyIsExported(t *testing.T) {
	m := New()
	exercise(m)
	got, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	types := map[string]string{}
	for _, mf := range got {
		if strings.HasPrefix(mf.GetName(), "stacklab_") {
			types[mf.GetName()] = strings.ToLower(mf.GetType().String())
		}
	}
	var want []string
	for _, f := range Families() {
		want = append(want, f.Name)
		if types[f.Name] != string(f.Kind) {
			t.Errorf("family %s: gathered type %q, want %q", f.Name, types[f.Name], f.Kind)
		}
	}
	var names []string
	for n := range types {
		names = append(names, n)
	}
	sort.Strings(names)
	sort.Strings(want)
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("gathered families\n%v\nwant (Families)\n%v", names, want)
	}
}

func TestValues(t *testing.T) {
	m := New()
	exercise(m)
	checks := []struct {
		name string
		got  float64
		want float64
	}{
		{"ok invocations", testutil.ToFloat64(m.invocations.WithLabelValues("Echo", "$LATEST", "ok")), 2},
		{"timeout invocations", testutil.ToFloat64(m.invocations.WithLabelValues("Echo", "$LATEST", "timeout")), 1},
		{"errors", testutil.ToFloat64(m.errors.WithLabelValues("Echo", "$LATEST")), 1},
		{"throttles", testutil.ToFloat64(m.throttles.WithLabelValues("Echo", "$LATEST")), 1},
		{"cold starts", testutil.ToFloat64(m.coldStarts.WithLabelValues("Echo", "$LATEST")), 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// The state gauges, as Prometheus reads them: duplicates summed.
	want := `
# HELP stacklab_concurrent_executions Invocations in progress, including those starting an instance (at scrape time).
# TYPE stacklab_concurrent_executions gauge
stacklab_concurrent_executions{function="Echo",version="$LATEST"} 3
# HELP stacklab_instances Instances of a function: state busy (serving an invocation) or idle (warm, waiting).
# TYPE stacklab_instances gauge
stacklab_instances{function="Echo",state="busy",version="$LATEST"} 2
stacklab_instances{function="Echo",state="idle",version="$LATEST"} 3
# HELP stacklab_queue_messages Messages in a queue: state visible (waiting), in_flight (received, not deleted) or delayed.
# TYPE stacklab_queue_messages gauge
stacklab_queue_messages{queue="Jobs",state="delayed"} 2
stacklab_queue_messages{queue="Jobs",state="in_flight"} 1
stacklab_queue_messages{queue="Jobs",state="visible"} 4
# HELP stacklab_queue_oldest_message_age_seconds Age of the oldest message in a queue; 0 when it is empty.
# TYPE stacklab_queue_oldest_message_age_seconds gauge
stacklab_queue_oldest_message_age_seconds{queue="Jobs"} 90
`
	want += `# HELP stacklab_telemetry_dropped_total ` + family(TelemetryDroppedTotal).Help + `
# TYPE stacklab_telemetry_dropped_total counter
stacklab_telemetry_dropped_total{kind="invocation",sink="otlp"} 0
stacklab_telemetry_dropped_total{kind="invocation",sink="store"} 2
stacklab_telemetry_dropped_total{kind="span",sink="otlp"} 0
stacklab_telemetry_dropped_total{kind="span",sink="store"} 7
# HELP stacklab_telemetry_dropping ` + family(TelemetryDropping).Help + `
# TYPE stacklab_telemetry_dropping gauge
stacklab_telemetry_dropping{sink="otlp"} 0
stacklab_telemetry_dropping{sink="store"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), ConcurrentExecutions, Instances, QueueMessages, QueueOldestMessageAge,
		TelemetryDroppedTotal, TelemetryDropping); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.duration); n != 1 {
		t.Errorf("duration series = %d, want 1", n)
	}
}

// TestDeployedSeriesStartAtZero: a deployed function's invocations,
// errors, throttles and cold starts read 0 before its first invocation; a
// later deployment forgets the series of the versions before it and of
// the functions it removed.
func TestDeployedSeriesStartAtZero(t *testing.T) {
	m := New()
	m.Deployed("1", []string{"Echo", "Old"})
	want := `
# HELP stacklab_errors_total ` + family(ErrorsTotal).Help + `
# TYPE stacklab_errors_total counter
stacklab_errors_total{function="Echo",version="1"} 0
stacklab_errors_total{function="Old",version="1"} 0
# HELP stacklab_throttles_total ` + family(ThrottlesTotal).Help + `
# TYPE stacklab_throttles_total counter
stacklab_throttles_total{function="Echo",version="1"} 0
stacklab_throttles_total{function="Old",version="1"} 0
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), ErrorsTotal, ThrottlesTotal); err != nil {
		t.Error(err)
	}
	// ok, handled_error, unhandled, timeout, oom for each; not throttled.
	if n := testutil.CollectAndCount(m.invocations); n != 10 {
		t.Errorf("invocation series after deploying 2 functions = %d, want 10 (5 outcomes each)", n)
	}
	m.Invocation("Echo", "1", model.OutcomeTimeout, time.Second, 0, false)
	m.Invocation("Old", "1", model.OutcomeOK, time.Second, 0, false)
	m.AsyncAge("Old", time.Second)
	m.AsyncAge("Echo", time.Second)
	if got := testutil.ToFloat64(m.errors.WithLabelValues("Echo", "1")); got != 1 {
		t.Errorf("errors of Echo version 1 = %v, want 1", got)
	}

	m.Deployed("2", []string{"Echo"})
	want = `
# HELP stacklab_errors_total ` + family(ErrorsTotal).Help + `
# TYPE stacklab_errors_total counter
stacklab_errors_total{function="Echo",version="2"} 0
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), ErrorsTotal); err != nil {
		t.Error(err)
	}
	for name, n := range map[string]int{
		"invocations": testutil.CollectAndCount(m.invocations), "durations": testutil.CollectAndCount(m.duration),
		"async ages": testutil.CollectAndCount(m.asyncAge),
	} {
		want := map[string]int{"invocations": 5, "durations": 0, "async ages": 1}[name]
		if n != want {
			t.Errorf("%s series after deploying version 2 without Old = %d, want %d", name, n, want)
		}
	}
}

func TestNilMetricsRecordsNothing(t *testing.T) {
	var m *Metrics
	m.Deployed("1", []string{"F"})
	m.Invocation("F", "1", model.OutcomeOK, time.Millisecond, 0, false)
	m.Throttle("F", "1")
	m.AsyncAge("F", time.Second)
	m.GatewayRequest("A", "GET /", 200, time.Millisecond)
}

func TestEndpointAndGatewayMiddleware(t *testing.T) {
	m := New()
	gw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/missing":
			http.Error(w, "no route", http.StatusNotFound)
		case "/stream":
			w.(http.Flusher).Flush() // the gateway's writer must still flush
			io.WriteString(w, "streamed")
		default:
			io.WriteString(w, "ok") // no WriteHeader: 200
		}
	})
	routeOf := func(r *http.Request) (string, string) {
		if r.URL.Path == "/missing" {
			return "", "unmatched"
		}
		return "Api", "GET " + r.URL.Path
	}
	gwSrv := httptest.NewServer(m.Gateway(gw, routeOf))
	defer gwSrv.Close()
	control := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "token needed", http.StatusUnauthorized)
	})
	ctlSrv := httptest.NewServer(m.WithEndpoint(control))
	defer ctlSrv.Close()

	for _, p := range []string{"/items", "/items", "/missing", "/stream"} {
		resp, err := http.Get(gwSrv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if got := testutil.CollectAndCount(m.gateway); got != 3 {
		t.Errorf("gateway series = %d, want 3", got)
	}
	for route, want := range map[[3]string]int{{"Api", "GET /items", "200"}: 2, {"", "unmatched", "404"}: 1, {"Api", "GET /stream", "200"}: 1} {
		if n := sampleCount(t, m, route); n != want {
			t.Errorf("gateway requests %v = %d, want %d", route, n, want)
		}
	}

	resp, err := http.Get(ctlSrv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `stacklab_gateway_request_duration_seconds_count{api="Api",route="GET /items",status="200"} 2`) {
		t.Errorf("GET /metrics without a token: status %d, body lacks the gateway series:\n%s", resp.StatusCode, body)
	}
	resp, err = http.Get(ctlSrv.URL + "/v1/functions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("other paths must reach the control API: status %d, want 401", resp.StatusCode)
	}
}

// sampleCount is the number of observations of one gateway series.
func sampleCount(t *testing.T, m *Metrics, labels [3]string) int {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != GatewayRequestDuration {
			continue
		}
		for _, s := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range s.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if got["api"] == labels[0] && got["route"] == labels[1] && got["status"] == labels[2] {
				return int(s.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}
