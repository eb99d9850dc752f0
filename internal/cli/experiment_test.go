package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/experiment"
	"github.com/stacklab/stacklab/internal/experiment/report"
	"github.com/stacklab/stacklab/internal/syncbuf"
	"github.com/stacklab/stacklab/internal/template"
)

const experimentDir = "testdata/experiment/"

// TestExperimentDetectsAKnownDifference runs a real experiment: two
// variants of a Python function that sleep 20 and 30 ms, behind an HTTP
// API, on a platform of the experiment's own. The report must find B
// slower, name the function, and every variant stack must be gone after.
func TestExperimentDetectsAKnownDifference(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a platform")
	}
	needPython(t)
	dir := t.TempDir()
	stdout, stderr, code := run("experiment", "run", experimentDir+"ab.yaml", "--out", dir, "--state", filepath.Join(dir, "state"), "--no-sandbox")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, want := range []string{"round 6/6", "warm-up: a"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Clauses) != 2 {
		t.Fatalf("got %d clauses, want 2: %+v", len(r.Clauses), r.Clauses)
	}
	for _, c := range r.Clauses {
		if c.Verdict != report.Supported {
			t.Errorf("%s: verdict %s (%s), want supported\n%s", c.Text, c.Verdict, c.Reason, stdout)
		}
		if c.Ratio.Estimate < 1.2 {
			t.Errorf("%s: ratio %.3f, want about 1.45", c.Text, c.Ratio.Estimate)
		}
	}
	for _, v := range r.Variants {
		if v.Requests != 6*8 || v.Errors != 0 {
			t.Errorf("variant %s: %d requests, %d errors; want 48 and 0", v.Name, v.Requests, v.Errors)
		}
	}
	if len(r.Source) != 1 || r.Source[0].Function != "Sleeper" || r.Source[0].DeltaMs < 5 {
		t.Errorf("source %+v, want Sleeper about +10 ms", r.Source)
	}
	if len(r.Rounds) != 12 {
		t.Errorf("%d round rows, want 12", len(r.Rounds))
	}
	for _, f := range []string{"report.html", "report.md"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "platform")); !os.IsNotExist(err) {
		t.Errorf("the experiment platform's state is still there: %v", err)
	}
	if pids := processesUnder(dir); len(pids) > 0 {
		t.Errorf("processes still running from %s: %v", dir, pids)
	}
	// The run is listed.
	out, _, code := run("experiment", "ls", "--state", filepath.Join(dir, "state"))
	if code != exitOK || !strings.Contains(out, "no experiment runs") {
		t.Errorf("ls of an empty state: exit %d: %s", code, out)
	}
}

// TestExperimentInterrupted cancels a run in its rounds: it stops, and
// the variant stacks are removed.
func TestExperimentInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a platform")
	}
	needPython(t)
	spec, err := experiment.Load(experimentDir + "ab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec.Design.Rounds = 1000
	plan, err := experiment.Prepare(spec, template.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var progress syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		_, err := runExperiment(ctx, &progress, plan, dir, experimentFlags{state: filepath.Join(dir, "state"), logLevel: "error", noSandbox: true},
			func(ctx context.Context, p experiment.Platform) (any, error) {
				return experiment.Run(ctx, plan, p, experiment.Options{Progress: &progress})
			})
		done <- err
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(progress.String(), "round 2/") {
		if time.Now().After(deadline) {
			t.Fatalf("no round 2 in time:\n%s", progress.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "canceled") {
			t.Errorf("got %v, want the context's error", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the run did not stop")
	}
	if !strings.Contains(progress.String(), "variant stacks removed") {
		t.Errorf("no word of the stacks' removal:\n%s", progress.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "platform")); !os.IsNotExist(err) {
		t.Errorf("the experiment platform's state is still there: %v", err)
	}
	if pids := processesUnder(dir); len(pids) > 0 {
		t.Errorf("processes still running from %s: %v", dir, pids)
	}
}

// TestExperimentBadInput: problems are found before anything runs where
// they can be, with the place and the fix; a variant that cannot be
// deployed is named.
func TestExperimentBadInput(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"bad-metric.yaml", `bad-metric.yaml:6:5: clause 1: unknown metric "latncy" (fix: use one of`},
		{"bad-metric.yaml", `did you mean "latency"?`},
		{"bad-target.yaml", "workload: variant a: no queue Jobz; the queues are Jobs"},
		{"no-such.yaml", "reading the experiment file"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			dir := t.TempDir()
			stdout, stderr, code := run("experiment", "run", experimentDir+tt.file, "--out", dir, "--state", dir)
			if code == exitOK {
				t.Fatalf("exit 0, want an error\nstdout: %s", stdout)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
			if strings.Contains(stderr, "deploying") {
				t.Errorf("it deployed before finding the problem:\n%s", stderr)
			}
		})
	}
	t.Run("variant fails to deploy", func(t *testing.T) {
		if testing.Short() {
			t.Skip("runs a platform")
		}
		dir := t.TempDir()
		_, stderr, code := run("experiment", "run", experimentDir+"bad-deploy.yaml", "--out", dir, "--state", dir, "--no-sandbox")
		if code == exitOK {
			t.Fatal("exit 0, want an error")
		}
		for _, want := range []string{"variant broken failed to deploy", "no-such-folder", "variant stacks removed"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
	})
}

func needPython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
}

// TestExperimentVariantFailsMidRun: a variant whose every request fails is
// reported and left out; the other finishes and the run still reports.
func TestExperimentVariantFailsMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a platform")
	}
	needPython(t)
	dir := t.TempDir()
	stdout, stderr, code := run("experiment", "run", experimentDir+"bad-midrun.yaml", "--out", dir, "--state", filepath.Join(dir, "state"), "--no-sandbox", "--output", "json")
	if code != exitOK {
		t.Fatalf("exit %d\nstderr: %s", code, stderr)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(r.Failures) != 1 || !strings.Contains(r.Failures[0], "variant crash") {
		t.Errorf("failures %q, want variant crash", r.Failures)
	}
	for _, v := range r.Variants {
		switch v.Name {
		case "ok":
			if v.Requests != 12 || v.Errors != 0 || v.Failed != "" {
				t.Errorf("variant ok: %d requests, %d errors, failed %q; want 12, 0, none", v.Requests, v.Errors, v.Failed)
			}
		case "crash":
			if v.Failed == "" {
				t.Error("variant crash is not marked failed")
			}
		}
	}
	if len(r.Clauses) != 1 || r.Clauses[0].Verdict != report.Inconclusive || !strings.Contains(r.Clauses[0].Reason, "cannot be evaluated") {
		t.Errorf("clauses %+v, want one inconclusive that cannot be evaluated", r.Clauses)
	}
}

// TestExperimentPower runs a pilot and estimates the rounds needed.
func TestExperimentPower(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a platform")
	}
	needPython(t)
	dir := t.TempDir()
	stdout, stderr, code := run("experiment", "power", experimentDir+"ab.yaml", "--change", "+10%", "--out", dir, "--state", filepath.Join(dir, "state"), "--no-sandbox", "--output", "json")
	if code != exitOK {
		t.Fatalf("exit %d\nstderr: %s", code, stderr)
	}
	var rows []experiment.PowerRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2: %s", len(rows), stdout)
	}
	for _, r := range rows {
		if r.Error != "" || r.PilotRounds != 3 || r.Rounds < 3 || r.Rounds > experiment.MaxRounds || r.Ratio != 1.1 {
			t.Errorf("row %+v: want an estimate from a 3-round pilot for ratio 1.1", r)
		}
	}
	if _, _, code := run("experiment", "power", experimentDir+"ab.yaml", "--change", "10%"); code != exitUsage {
		t.Errorf("--change without a sign: exit %d, want %d", code, exitUsage)
	}
}

// TestExperimentQueueAndFileWorkloads: queue messages and uploaded files
// reach the worker, and a request's latency runs to the end of the
// worker's invocation (it sleeps 20 or 40 ms).
func TestExperimentQueueAndFileWorkloads(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a platform")
	}
	needPython(t)
	for _, file := range []string{"queue.yaml", "files.yaml"} {
		t.Run(file, func(t *testing.T) {
			dir := t.TempDir()
			stdout, stderr, code := run("experiment", "run", experimentDir+file, "--out", dir, "--state", filepath.Join(dir, "state"), "--no-sandbox", "--output", "json")
			if code != exitOK {
				t.Fatalf("exit %d\nstderr: %s", code, stderr)
			}
			var r report.Report
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("%v\n%s", err, stdout)
			}
			sleep := map[string]float64{"a": 20, "b": 40}
			for _, v := range r.Variants {
				if v.Requests != 16 || v.Errors != 0 {
					t.Errorf("variant %s: %d requests, %d errors; want 16 and 0", v.Name, v.Requests, v.Errors)
				}
				if v.Latency.P50 < sleep[v.Name] {
					t.Errorf("variant %s: p50 %.1f ms, below the worker's %v ms sleep: the worker is not in the request's latency", v.Name, v.Latency.P50, sleep[v.Name])
				}
			}
			for _, f := range r.Functions {
				if f.Function == "Worker" && f.Invocations != 16 {
					t.Errorf("variant %s: %d Worker invocations, want 16", f.Variant, f.Invocations)
				}
			}
		})
	}
}
