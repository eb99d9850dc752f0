package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/gateway"
	"github.com/stacklab/stacklab/internal/runtime"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
	"github.com/stacklab/stacklab/internal/telemetry/teltest"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// tracedStack runs testdata/tracing on a platform and its gateway (with
// the platform's telemetry, as up wires it) and returns both.
func tracedStack(t *testing.T, opts Options) (*Platform, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs functions")
	}
	opts.StateDir = t.TempDir()
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	file, _ := filepath.Abs("testdata/tracing/template.yaml")
	if _, err := p.Deploy(context.Background(), file); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	gw, err := gateway.New(gateway.Config{Invoker: p, APIs: p.Stack().APIs, Telemetry: p.Telemetry()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return p, srv.URL
}

// call sends a request with the given headers and returns the response and
// its body.
func call(t *testing.T, method, url, body string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// answeredTrace is the trace id the gateway's traceparent response header
// names, checked against its X-Amzn-Trace-Id.
func answeredTrace(t *testing.T, resp *http.Response) string {
	t.Helper()
	sc, err := tracectx.ParseTraceparent(resp.Header.Get("traceparent"))
	if err != nil {
		t.Fatalf("traceparent response header %q: %v", resp.Header.Get("traceparent"), err)
	}
	xr, err := tracectx.ParseXRay(resp.Header.Get("X-Amzn-Trace-Id"))
	if err != nil || xr.TraceID() != sc.TraceID() || xr.SpanID() != sc.SpanID() {
		t.Errorf("X-Amzn-Trace-Id %q does not name the span of traceparent %q (%v)", resp.Header.Get("X-Amzn-Trace-Id"), resp.Header.Get("traceparent"), err)
	}
	return sc.TraceID().String()
}

// echoTrace is the _X_AMZN_TRACE_ID the echo function saw, from its answer.
func echoTrace(t *testing.T, body []byte) string {
	t.Helper()
	var out struct {
		Trace string `json:"trace"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Trace == "" {
		t.Fatalf("the echo function's answer %s has no trace (%v)", body, err)
	}
	return out.Trace
}

func attr(s model.Span, key string) any { return s.Attributes[key] }

// checkInvocation checks the invocation span of fn in spans, child of
// parent, and its queue wait, init (cold only) and run children; it
// returns the invocation and run spans.
func checkInvocation(t *testing.T, spans []model.Span, fn, id, parent string, cold bool) (inv, run model.Span) {
	t.Helper()
	inv = teltest.One(t, spans, fn)
	if inv.Kind != model.KindServer || inv.ParentID != parent || inv.Resource != id || inv.Function != fn {
		t.Errorf("invocation span %s: kind %s, parent %s, resource %s, function %s; want server, parent %s, resource %s", fn, inv.Kind, inv.ParentID, inv.Resource, inv.Function, parent, id)
	}
	want := map[string]any{"faas.name": fn, "faas.version": "$LATEST", "faas.trigger": "http", "faas.coldstart": cold}
	for k, v := range want {
		if got := attr(inv, k); got != v {
			t.Errorf("%s: %s = %v, want %v", fn, k, got, v)
		}
	}
	if attr(inv, "faas.invocation_id") == nil || attr(inv, "faas.max_memory") == nil {
		t.Errorf("%s: no faas.invocation_id or faas.max_memory in %v", fn, inv.Attributes)
	}
	if inv.Status != model.StatusOK {
		t.Errorf("%s: status %s (%s), want ok", fn, inv.Status, inv.StatusMessage)
	}
	names := map[string]bool{}
	for _, s := range spans {
		if s.ParentID != inv.SpanID {
			continue
		}
		names[s.Name] = true
		if s.Resource != id || s.Start.Before(inv.Start) || s.End.After(inv.End) {
			t.Errorf("%s's child %s: resource %s, %v-%v outside its parent's %v-%v", fn, s.Name, s.Resource, s.Start, s.End, inv.Start, inv.End)
		}
	}
	// A queue wait span only when it waited (runtime.minQueueWait).
	if !names["run"] || names["init"] != cold || len(names) != 1+btoi(cold)+btoi(names["queue wait"]) {
		t.Errorf("%s (cold %v) has children %v; want run, init only when cold, and a queue wait when it waited", fn, cold, names)
	}
	for _, s := range spans {
		if s.ParentID == inv.SpanID && s.Name == "run" {
			run = s
		}
	}
	return inv, run
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestTracingInvokeAndRoute invokes the echo function through the Invoke
// API and through an HTTP API route, each with a client's traceparent,
// then with a traceparent that does not parse, and reads the spans and
// invocation records the platform stored.
func TestTracingInvokeAndRoute(t *testing.T) {
	p, url := tracedStack(t, Options{})
	tel := p.Telemetry()
	if tel == nil {
		t.Fatal("telemetry is off by default")
	}
	const clientTrace, clientSpan = "5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8"
	resp, body := call(t, "POST", url+"/2015-03-31/functions/echo/invocations", `{}`,
		map[string]string{"traceparent": "00-" + clientTrace + "-" + clientSpan + "-01"})
	if resp.StatusCode != 200 {
		t.Fatalf("invoke: %d %s", resp.StatusCode, body)
	}
	if got := answeredTrace(t, resp); got != clientTrace {
		t.Errorf("the Invoke API answered trace %s, want the client's %s", got, clientTrace)
	}
	spans := teltest.Trace(t, tel, clientTrace)
	api := teltest.One(t, spans, "Invoke")
	if api.ParentID != clientSpan || api.Kind != model.KindServer || api.Resource != gateway.InvokeResource ||
		attr(api, "http.response.status_code") != float64(200) || attr(api, "faas.invoked_name") != "echo" || attr(api, "http.request.method") != "POST" {
		t.Errorf("Invoke API span: %+v", api)
	}
	_, run := checkInvocation(t, spans, "echo", "Echo", api.SpanID, true)
	wantHeader := "Root=1-" + clientTrace[:8] + "-" + clientTrace[8:] + ";Parent=" + run.SpanID + ";Sampled=1"
	if got := echoTrace(t, body); got != wantHeader {
		t.Errorf("the function saw _X_AMZN_TRACE_ID %q, want the run span's %q", got, wantHeader)
	}

	// The same function behind a route: warm this time.
	const routeTrace = "6759e988bd862e3fe1be46a994272794"
	resp, body = call(t, "GET", url+"/hello/ada", "", map[string]string{"traceparent": "00-" + routeTrace + "-" + clientSpan + "-01"})
	if resp.StatusCode != 200 {
		t.Fatalf("route: %d %s", resp.StatusCode, body)
	}
	if got := answeredTrace(t, resp); got != routeTrace {
		t.Errorf("the route answered trace %s, want %s", got, routeTrace)
	}
	spans = teltest.Trace(t, tel, routeTrace)
	route := teltest.One(t, spans, "GET /hello/{name}")
	if route.ParentID != clientSpan || route.Resource != "Api" || attr(route, "http.route") != "/hello/{name}" || attr(route, "url.path") != "/hello/ada" ||
		attr(route, "http.response.status_code") != float64(200) {
		t.Errorf("route span: %+v", route)
	}
	_, run = checkInvocation(t, spans, "echo", "Echo", route.SpanID, false)
	if got := echoTrace(t, body); !strings.Contains(got, ";Parent="+run.SpanID+";") {
		t.Errorf("the function saw _X_AMZN_TRACE_ID %q, want the run span %s", got, run.SpanID)
	}

	// A function that fails: the route answers 502 and both spans fail.
	resp, body = call(t, "GET", url+"/broken", "", nil)
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("GET /broken: %d %s, want 502", resp.StatusCode, body)
	}
	spans = teltest.Trace(t, tel, answeredTrace(t, resp))
	route = teltest.One(t, spans, "GET /broken")
	if route.ParentID != "" || route.Status != model.StatusError || attr(route, "error.type") != "502" || attr(route, "http.response.status_code") != float64(502) {
		t.Errorf("failed route's span: %+v", route)
	}
	if inv := teltest.One(t, spans, "broken"); inv.ParentID != route.SpanID || inv.Status != model.StatusError || attr(inv, "error.type") != string(model.OutcomeHandledError) {
		t.Errorf("failed invocation's span: %+v", inv)
	}

	// A traceparent that does not parse starts a new trace.
	resp, body = call(t, "POST", url+"/2015-03-31/functions/echo/invocations", `{}`, map[string]string{"traceparent": "00-not-a-trace-01", "X-Amzn-Trace-Id": "Root=garbage"})
	if resp.StatusCode != 200 {
		t.Fatalf("invoke: %d %s", resp.StatusCode, body)
	}
	fresh := answeredTrace(t, resp)
	spans = teltest.Trace(t, tel, fresh)
	if api := teltest.One(t, spans, "Invoke"); api.ParentID != "" {
		t.Errorf("with a garbage traceparent the Invoke API span has parent %s, want none (a new root)", api.ParentID)
	}

	recs, err := tel.Store().Invocations(context.Background(), store.InvocationFilter{Function: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d invocation records of echo, want 3: %+v", len(recs), recs)
	}
	byTrace := map[string]model.Invocation{}
	for _, r := range recs {
		byTrace[r.TraceID] = r
		if r.Version != "$LATEST" || r.Deployment != "1" || r.Trigger != telemetry.TriggerHTTP || r.Outcome != model.OutcomeOK || r.MemorySizeMB != 256 ||
			r.RequestID == "" || r.Retries != 0 || r.Duration <= 0 || r.BilledDuration < r.Duration || r.BilledDuration%time.Millisecond != 0 ||
			r.MaxMemoryMB <= 0 || r.GBSeconds <= 0 || r.Cost <= model.DefaultPrices.PerRequest {
			t.Errorf("invocation record %+v", r)
		}
	}
	first, ok := byTrace[clientTrace]
	if !ok || !first.Cold || first.InitDuration <= 0 || first.BilledDuration < first.Duration+first.InitDuration {
		t.Errorf("the first invocation's record %+v: want cold, with its init billed", first)
	}
	if warm, ok := byTrace[routeTrace]; !ok || warm.Cold || warm.InitDuration != 0 {
		t.Errorf("the route's invocation record %+v: want warm", warm)
	}
}

// TestTracingAsyncRetries invokes a failing function asynchronously: each
// attempt is an invocation span in the Invoke API request's trace, the
// retry with its attempt number and a retry event, and each has its record.
func TestTracingAsyncRetries(t *testing.T) {
	p, url := tracedStack(t, Options{AsyncRetryDelay: 50 * time.Millisecond})
	tel := p.Telemetry()
	resp, body := call(t, "POST", url+"/2015-03-31/functions/flaky/invocations", `{"fail":"not today"}`, map[string]string{"X-Amz-Invocation-Type": "Event"})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("async invoke: %d %s", resp.StatusCode, body)
	}
	traceID := answeredTrace(t, resp)
	var recs []model.Invocation
	waitUntil(t, "both attempts' records", func() bool {
		if err := tel.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		var err error
		recs, err = tel.Store().Invocations(context.Background(), store.InvocationFilter{Function: "flaky"})
		return err == nil && len(recs) == 2
	})
	for _, r := range recs {
		if r.TraceID != traceID || r.Outcome != model.OutcomeHandledError || r.Trigger != telemetry.TriggerHTTP || r.RequestID != recs[0].RequestID {
			t.Errorf("record %+v: want a handled error in trace %s", r, traceID)
		}
	}
	if recs[0].Retries+recs[1].Retries != 1 {
		t.Errorf("retries %d and %d, want 0 and 1", recs[0].Retries, recs[1].Retries)
	}
	spans := teltest.Trace(t, tel, traceID)
	api := teltest.One(t, spans, "Invoke")
	if attr(api, "http.response.status_code") != float64(202) {
		t.Errorf("Invoke API span status %v, want 202", attr(api, "http.response.status_code"))
	}
	attempts := teltest.Named(spans, "flaky")
	if len(attempts) != 2 {
		t.Fatalf("%d invocation spans of flaky, want 2", len(attempts))
	}
	for i, s := range attempts {
		if s.ParentID != api.SpanID || s.Status != model.StatusError || attr(s, "error.type") != string(model.OutcomeHandledError) ||
			attr(s, string(runtime.AttemptKey)) != float64(i+1) || attr(s, "faas.trigger") != "http" {
			t.Errorf("attempt %d: %+v", i+1, s)
		}
	}
	if ev := attempts[0].Events; len(ev) != 0 {
		t.Errorf("the first attempt has events %+v, want none", ev)
	}
	ev := attempts[1].Events
	if len(ev) != 1 || ev[0].Name != "retry" || ev[0].Attributes[string(runtime.AttemptKey)] != float64(2) {
		t.Fatalf("the retry's events %+v, want one retry event of attempt 2", ev)
	}
	if d, _ := ev[0].Attributes[string(runtime.RetryDelayKey)].(float64); d < 50 {
		t.Errorf("retry delay %v ms, want at least the 50 ms asked for", ev[0].Attributes[string(runtime.RetryDelayKey)])
	}
	if !attempts[1].Start.After(attempts[0].End) && !attempts[1].Start.Equal(attempts[0].End) {
		t.Errorf("the retry's span starts at %v, before the failed attempt ended at %v", attempts[1].Start, attempts[0].End)
	}
}

// TestTracingOff runs the stack with tracing off: invocations work, the
// gateway answers without trace headers and nothing is recorded.
func TestTracingOff(t *testing.T) {
	p, url := tracedStack(t, Options{Tracing: TracingOptions{Off: true}})
	if p.Telemetry() != nil {
		t.Fatal("Tracing.Off, yet the platform has telemetry")
	}
	resp, body := call(t, "POST", url+"/2015-03-31/functions/echo/invocations", `{}`, map[string]string{"X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"})
	if resp.StatusCode != 200 {
		t.Fatalf("invoke: %d %s", resp.StatusCode, body)
	}
	if h := resp.Header.Get("traceparent"); h != "" {
		t.Errorf("traceparent %q in the answer with tracing off", h)
	}
	// The function still gets the client's header, as Lambda passes it on.
	if got := echoTrace(t, body); got != "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" {
		t.Errorf("the function saw %q, want the client's X-Amzn-Trace-Id", got)
	}
	if _, err := os.Stat(filepath.Join(p.StateDir(), "telemetry")); !os.IsNotExist(err) {
		t.Errorf("tracing is off, yet %s exists (%v)", filepath.Join(p.StateDir(), "telemetry"), err)
	}
	if !bytes.Contains(body, []byte(`"request_id"`)) {
		t.Errorf("answer %s", body)
	}
}
