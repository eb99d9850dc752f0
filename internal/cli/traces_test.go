package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// TestTelemetryCommands runs `stacklab up`, invokes Echo under two
// deployments, and reads what the platform recorded with traces, trace, map
// and stats, as text and as JSON; bad flags exit 2, an unknown trace or
// function 1.
func TestTelemetryCommands(t *testing.T) {
	_, state := startUp(t, "testdata/up/template.yaml")
	invoke := func(payload string) {
		t.Helper()
		run("invoke", "Echo", "--state", state, "--payload", payload)
	}
	invoke(`{"n":1}`)
	invoke(`{"n":2}`)
	if _, stderr, code := run("deploy", "testdata/up/template.yaml", "--state", state); code != exitOK {
		t.Fatalf("deploy: exit %d: %s", code, stderr)
	}
	invoke(`{"n":3}`)
	invoke(`{"fail":"boom"}`)

	// Spans reach the store within a fraction of a second.
	var list []store.TraceSummary
	waitFor(t, 30*time.Second, "4 traces of Echo", func() bool {
		out, _, code := run("traces", "--state", state, "--function", "Echo", "--output", "json")
		list = nil
		return code == exitOK && json.Unmarshal([]byte(out), &list) == nil && len(list) >= 4
	})
	if len(list) != 4 || !list[0].Error || list[1].Error {
		t.Fatalf("traces --output json: want 4, the newest failed and the one before not:\n%+v", list)
	}
	stdout, stderr, code := run("traces", "--state", state, "--since", "1h", "--limit", "2")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != exitOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "TRACE") || !strings.Contains(lines[1], list[0].TraceID) ||
		!strings.HasSuffix(lines[1], "error") || !strings.Contains(lines[2], list[1].TraceID) {
		t.Errorf("traces --limit 2: exit %d, want a header and the two newest, newest first\n%s%s", code, stdout, stderr)
	}
	stdout, _, code = run("traces", "--state", state, "--errors", "--slow", "1us", "--output", "json")
	var failed []store.TraceSummary
	if code != exitOK || json.Unmarshal([]byte(stdout), &failed) != nil || len(failed) != 1 || failed[0].TraceID != list[0].TraceID {
		t.Errorf("traces --errors: exit %d\n%s", code, stdout)
	}
	// A function that is not deployed is an error naming the deployed
	// ones; a deployed one without traces (in the window) lists none.
	for _, cmd := range []string{"traces", "stats"} {
		stdout, stderr, code := run(cmd, "--state", state, "--function", "Nobody")
		if code != exitInvalid || stdout != "" || !strings.Contains(stderr, `function="Nobody"`) || !strings.Contains(stderr, "deployed functions: Echo") {
			t.Errorf("%s --function Nobody: exit %d, stdout %q, stderr %q; want exit 1 naming Nobody and the deployed Echo", cmd, code, stdout, stderr)
		}
	}
	if stdout, stderr, code = run("traces", "--state", state, "--function", "Echo", "--until", "2020-01-01T00:00:00Z"); code != exitOK || !strings.Contains(stdout, "no traces match") {
		t.Errorf("traces of a deployed function without traces in the window: exit %d\n%s%s", code, stdout, stderr)
	}
	if stdout, stderr, code = run("stats", "--state", state, "--function", "Echo", "--until", "2020-01-01T00:00:00Z", "--since", "2019-12-31T00:00:00Z"); code != exitOK || !strings.Contains(stdout, "no invocations in the window") {
		t.Errorf("stats of a deployed function without invocations in the window: exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stderr, "warning:") {
		t.Errorf("a span store that dropped nothing warns: %s", stderr)
	}

	// The oldest trace is the cold start.
	oldest := list[len(list)-1].TraceID
	stdout, stderr, code = run("trace", oldest, "--state", state)
	if code != exitOK || !strings.HasPrefix(stdout, "trace "+oldest) || !strings.Contains(stdout, "critical path:") ||
		!strings.Contains(stdout, "\n* ") || !strings.Contains(stdout, "cold") || strings.Contains(stdout, "\x1b[") || strings.Contains(stderr, "warning:") {
		t.Errorf("trace: exit %d, want the waterfall with the cold start and critical path marked, no colour off a terminal, no warning\n%s%s", code, stdout, stderr)
	}
	stdout, _, code = run("trace", "1-"+oldest[:8]+"-"+oldest[8:], "--state", state, "--output", "json")
	var view telemetry.TraceView
	if code != exitOK || json.Unmarshal([]byte(stdout), &view) != nil || len(view.Spans) == 0 || view.Spans[0].TraceID != oldest || len(view.Path.Steps) == 0 {
		t.Errorf("trace by X-Ray id --output json: exit %d\n%s", code, stdout)
	}

	stdout, stderr, code = run("map", "--state", state, "--since", "1h")
	if code != exitOK || !strings.HasPrefix(stdout, "NODE") || !strings.Contains(stdout, "\nEcho ") || !strings.Contains(stdout, "EDGE") ||
		!strings.Contains(stdout, "bottleneck: ") || strings.Contains(stderr, "warning:") {
		t.Errorf("map: exit %d, want the map and no warning\n%s%s", code, stdout, stderr)
	}
	stdout, _, code = run("map", "--state", state, "--output", "json")
	var m telemetry.MapReport
	if code != exitOK || json.Unmarshal([]byte(stdout), &m) != nil || m.Traces != 4 || len(m.Bottleneck) == 0 {
		t.Errorf("map --output json: exit %d\n%s", code, stdout)
	}

	stdout, stderr, code = run("stats", "--state", state, "--by", "version")
	lines = strings.Split(strings.TrimSpace(stdout), "\n")
	if code != exitOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "FUNCTION") ||
		!strings.HasPrefix(strings.Join(strings.Fields(lines[1]), " "), "Echo 1 2 ") || !strings.HasPrefix(strings.Join(strings.Fields(lines[2]), " "), "Echo 2 2 ") {
		t.Errorf("stats --by version: exit %d, want Echo under deployments 1 and 2 with 2 invocations each\n%s%s", code, stdout, stderr)
	}
	stdout, _, code = run("stats", "--state", state, "--function", "Echo", "--output", "json")
	var stats []store.FunctionStats
	if code != exitOK || json.Unmarshal([]byte(stdout), &stats) != nil || len(stats) != 1 || stats[0].Invocations != 4 || stats[0].Errors != 1 || stats[0].ColdStarts < 1 {
		t.Errorf("stats --output json: exit %d\n%s", code, stdout)
	}
	stdout, stderr, code = run("stats", "--state", state, "--compare-versions", "--since", "1h")
	if code != exitOK || !strings.Contains(stdout, "version 1  live") || !strings.Contains(stdout, "version 2  live") || !strings.Contains(stdout, "1 -> 2") {
		t.Errorf("stats --compare-versions: exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, _, code = run("stats", "--state", state, "--compare-versions", "--output", "json")
	var cmp server.VersionComparison
	if code != exitOK || json.Unmarshal([]byte(stdout), &cmp) != nil || len(cmp.Changes) != 1 || cmp.Changes[0].ErrorRateDelta <= 0 {
		t.Errorf("stats --compare-versions --output json: exit %d\n%s", code, stdout)
	}

	// Bad input.
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"trace", strings.Repeat("ab", 16)}, exitInvalid, "TraceNotFound"},
		{[]string{"trace", "nope"}, exitUsage, "32 hex digits or an X-Ray root"},
		{[]string{"trace"}, exitUsage, "needs a trace ID"},
		{[]string{"traces", "--since", "yesterday"}, exitUsage, `--since "yesterday": give a duration before now`},
		{[]string{"traces", "--limit", "0"}, exitUsage, "--limit 0"},
		{[]string{"traces", "--slow", "fast"}, exitUsage, "invalid argument"},
		{[]string{"traces", "extra"}, exitUsage, "takes no arguments"},
		{[]string{"map", "--until", "soon"}, exitUsage, `--until "soon"`},
		{[]string{"stats", "--by", "color"}, exitUsage, "--by version"},
		{[]string{"stats", "--compare-versions", "--since", "2026-01-01T00:00:00Z"}, exitUsage, "window after each deployment went live"},
		{[]string{"stats", "--compare-versions", "--by", "version"}, exitUsage, "takes no --until or --by"},
		{[]string{"traces", "--output", "yaml"}, exitUsage, "must be text or json"},
	} {
		_, stderr, code := run(append(c.args, "--state", state)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// TestTracesWarnWhenSpanStoreIsFull runs `stacklab up` with a span store
// that cannot grow past its fresh size (as on a full disk) and invokes
// until it drops records: invocations keep working, traces, trace, map and
// stats say on stderr that records are lost and what to do (JSON on stdout
// stays whole), trace that the trace may lack spans or be lost, and
// /metrics counts the drops.
func TestTracesWarnWhenSpanStoreIsFull(t *testing.T) {
	var trf tracingFlags
	fl := pflag.NewFlagSet("up", pflag.ContinueOnError)
	trf.add(fl)
	tracing, err := trf.options(fl)
	if err != nil {
		t.Fatal(err)
	}
	tracing.Store.HardLimitBytes = 18 * 4096 // a fresh store is 16 pages
	tracing.Store.FlushInterval = 10 * time.Millisecond
	ep, state := startUpTracing(t, "testdata/up/template.yaml", tracing)

	var stderr string
	waitFor(t, 60*time.Second, "the span store to drop records", func() bool {
		for range 5 {
			if _, e, code := run("invoke", "Echo", "--state", state, "--payload", `{"n":1}`); code != exitOK {
				t.Fatalf("invoke with the span store full: exit %d: %s", code, e)
			}
		}
		var code int
		_, stderr, code = run("traces", "--state", state)
		return code == exitOK && strings.Contains(stderr, "warning: the span store is dropping records")
	})
	for _, want := range []string{"invocation records lost since the platform started", "free disk space under " + filepath.Join(state, "telemetry"),
		"--trace-max-size (now 256MiB)", "--trace-retention (now 7d)", "full"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("traces' warning lacks %q:\n%s", want, stderr)
		}
	}
	stdout, stderr, code := run("stats", "--state", state, "--output", "json")
	var stats []store.FunctionStats
	if code != exitOK || json.Unmarshal([]byte(stdout), &stats) != nil || !strings.Contains(stderr, "warning: the span store") {
		t.Errorf("stats --output json with the store full: exit %d, want JSON on stdout and the warning on stderr\n%s\n%s", code, stdout, stderr)
	}

	// map warns as traces does; its JSON stays whole.
	stdout, stderr, code = run("map", "--state", state, "--since", "1h", "--output", "json")
	var m telemetry.MapReport
	if code != exitOK || json.Unmarshal([]byte(stdout), &m) != nil || !strings.Contains(stderr, "warning: the span store is dropping records") ||
		!strings.Contains(stderr, "service map") {
		t.Errorf("map --output json with the store full: exit %d, want JSON on stdout and the warning on stderr\n%s\n%s", code, stdout, stderr)
	}
	// trace warns that the trace may lack spans the store lost, or, when
	// it has none, that they may be lost.
	stdout, stderr, code = run("traces", "--state", state, "--since", "1h", "--output", "json")
	var list []store.TraceSummary
	if code != exitOK || json.Unmarshal([]byte(stdout), &list) != nil || len(list) == 0 {
		t.Fatalf("traces --output json with the store full: exit %d, want the traces written before it filled\n%s\n%s", code, stdout, stderr)
	}
	id := list[0].TraceID
	stdout, stderr, code = run("trace", id, "--state", state)
	if code != exitOK || !strings.HasPrefix(stdout, "trace "+id) || !strings.Contains(stderr, "warning: the span store is dropping records") ||
		!strings.Contains(stderr, "warning: trace "+id+" may be incomplete") {
		t.Errorf("trace with the store full: exit %d, want the waterfall and warnings that the store drops and the trace may lack spans\n%s\n%s", code, stdout, stderr)
	}
	lost := strings.Repeat("ab", 16)
	_, stderr, code = run("trace", lost, "--state", state)
	if code != exitInvalid || !strings.Contains(stderr, "TraceNotFound") || !strings.Contains(stderr, "warning: the span store is dropping records") ||
		!strings.Contains(stderr, "warning: the spans of trace "+lost+" may be among the records the span store lost") {
		t.Errorf("an unknown trace with the store full: exit %d, want TraceNotFound and warnings that its spans may be lost\n%s", code, stderr)
	}

	resp, err := http.Get(ep.Control + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `stacklab_telemetry_dropping{sink="store"} 1`) ||
		!regexp.MustCompile(`stacklab_telemetry_dropped_total\{kind="invocation",sink="store"\} [1-9]`).Match(body) {
		t.Errorf("/metrics does not count the drops:\n%s", grepLines(string(body), "stacklab_telemetry"))
	}
}

// grepLines is the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
