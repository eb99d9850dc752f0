package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stacklab/stacklab/examples/genome-search/pipeline"
	"github.com/stacklab/stacklab/internal/dashboard"
)

// chromium finds Debian's Chromium; without it the dashboard tests skip,
// except under CI, where the set-up installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; make test installs Debian's chromium")
	}
	t.Skip("chromium is not installed")
	return ""
}

// browser starts a headless Chromium with the flags this machine needs.
func browser(t *testing.T, width, height int) (context.Context, context.CancelFunc) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	return ctx, func() { cancelTimeout(); cancelCtx(); cancelAlloc() }
}

// screenshot saves the page as docs/dashboard/NAME.png when -update is
// given, else under the test's temporary folder.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	dir := t.TempDir()
	if *update {
		dir = "../../docs/dashboard"
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Error(err)
	}
}

// evalUntil evaluates expr every 200 ms until it gives true.
func evalUntil(t *testing.T, ctx context.Context, within time.Duration, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last any
	for time.Now().Before(deadline) {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr)); err == nil && ok {
			return
		} else if err != nil {
			last = err
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: not true within %s (%s); last error %v", what, within, expr, last)
}

// TestDashboardEndToEnd drives the dashboard in a real headless Chromium
// against `stacklab up` on examples/genome-search: the token, the graph of
// every resource, traffic on the right edges after an upload, the scorer's
// metrics, a trace waterfall with all hops, replay of a past window.
func TestDashboardEndToEnd(t *testing.T) {
	if !dashboard.Built() {
		if os.Getenv("CI") != "" {
			t.Fatal("the dashboard is not built; make test runs make ui first")
		}
		t.Skip("the dashboard is not built (make ui)")
	}
	ep, state := startUpWith(t, genomeTemplate, nil)
	token, err := os.ReadFile(filepath.Join(state, "token"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := browser(t, 1400, 900)
	defer cancel()

	// A wrong token is refused, and nothing of the stack is shown.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ep.Control+"/"),
		chromedp.WaitVisible(chromedp.CSS("#token-input")),
		chromedp.SendKeys(chromedp.CSS("#token-input"), "not-the-token"),
		chromedp.Click(chromedp.CSS("#token-submit")),
		chromedp.WaitVisible(chromedp.CSS("#token-error")),
	); err != nil {
		t.Fatalf("wrong token: %v", err)
	}
	if nodes, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.stacklab && window.stacklab.nodes ? window.stacklab.nodes().length : 0`)); err != nil || nodes != 0 {
		t.Errorf("after a wrong token the page shows %d nodes (%v); want none", nodes, err)
	}
	screenshot(t, ctx, "token")

	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#token-input').value = '', true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#token-input"), strings.TrimSpace(string(token))),
		chromedp.Click(chromedp.CSS("#token-submit")),
	); err != nil {
		t.Fatal(err)
	}
	// Every resource of the template is drawn.
	evalUntil(t, ctx, 30*time.Second, "the graph", `window.stacklab && window.stacklab.nodes().length > 0`)
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.stacklab.nodes()`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"InputBucket", "ChunkQueue", "ChunkDLQ", "JobsTable", "ChunksTable", "Splitter", "Scorer", "Aggregator", "Api"} {
		if !slices.Contains(ids, want) {
			t.Errorf("the graph lacks %s: %v", want, ids)
		}
	}

	// An upload makes traffic on the pipeline's edges.
	req, _ := http.NewRequest(http.MethodPut, ep.Gateway+"/_s3/genome-input/uploads/dash.fa", strings.NewReader(fasta(60_000)))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %v %v", resp, err)
	}
	waitFor(t, 2*time.Minute, "job dash done", func() bool {
		var job pipeline.Job
		code, err := getJSON(ep.Gateway+"/jobs/dash", &job)
		return err == nil && code == http.StatusOK && job.Status == pipeline.Done
	})
	for _, edge := range []string{"InputBucket->Splitter", "Splitter->ChunkQueue", "ChunkQueue->Scorer", "Scorer->ChunksTable", "ChunksTable->Aggregator", "Aggregator->JobsTable"} {
		evalUntil(t, ctx, 30*time.Second, "traffic on "+edge, fmt.Sprintf(`(window.stacklab.edgeTraffic()[%q] || 0) > 0`, edge))
	}
	screenshot(t, ctx, "architecture")

	// Clicking the scorer opens its metrics and its invocations.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.stacklab.select("Scorer"), true`)); err != nil {
		t.Fatal(err)
	}
	evalUntil(t, ctx, 20*time.Second, "the scorer's panel", `document.querySelector('#panel[data-resource="Scorer"]') !== null`)
	evalUntil(t, ctx, 20*time.Second, "the scorer's charts", `document.querySelectorAll('#series-chart .chart').length > 0`)
	evalUntil(t, ctx, 20*time.Second, "the scorer's invocations", `document.querySelectorAll('#invocations tbody tr[data-trace]').length > 0`)
	screenshot(t, ctx, "function")

	// An invocation opens its trace: every hop from the upload to the scorer.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#invocations tbody tr[data-trace]`))); err != nil {
		t.Fatal(err)
	}
	evalUntil(t, ctx, 20*time.Second, "the trace waterfall", `document.querySelectorAll('#trace .span').length >= 5`)
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#trace")))
	if err != nil {
		t.Fatal(err)
	}
	for _, hop := range []string{"InputBucket", "Splitter", "ChunkQueue", "Scorer"} {
		if !strings.Contains(text, hop) {
			t.Errorf("the waterfall lacks the %s hop:\n%s", hop, text)
		}
	}
	if critical, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#trace .span[data-critical="true"]').length`)); err != nil || critical == 0 {
		t.Errorf("no span on the critical path is marked (%v)", err)
	}
	screenshot(t, ctx, "trace")

	// The slider replays a past window: the oldest end of the last 15
	// minutes, before the upload, has no traffic; live brings it back.
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#slider"), "0"),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#slider').dispatchEvent(new Event('input')); document.querySelector('#slider').dispatchEvent(new Event('change')); true`)); err != nil {
		t.Fatal(err)
	}
	evalUntil(t, ctx, 20*time.Second, "replay mode", `document.body.dataset.mode === "replay"`)
	evalUntil(t, ctx, 20*time.Second, "no traffic in the past window", `(window.stacklab.edgeTraffic()["ChunkQueue->Scorer"] || 0) === 0`)
	screenshot(t, ctx, "replay")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#live"))); err != nil {
		t.Fatal(err)
	}
	evalUntil(t, ctx, 20*time.Second, "live again", `document.body.dataset.mode === "live" && (window.stacklab.edgeTraffic()["ChunkQueue->Scorer"] || 0) > 0`)

	// Cost per resource.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#tab-cost"))); err != nil {
		t.Fatal(err)
	}
	evalUntil(t, ctx, 20*time.Second, "the scorer's cost", `document.querySelector('#cost-resources .bar-row[data-resource="Scorer"]') !== null`)
	screenshot(t, ctx, "cost")

	// A new version: comparing v1 and v2 draws the change set on the graph
	// and the versions' numbers side by side.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#tab-architecture"))); err != nil {
		t.Fatal(err)
	}
	if stdout, stderr, code := run("deploy", genomeTemplate, "--state", state, "--param", "TopTargets=50"); code != exitOK {
		t.Fatalf("deploy v2: exit %d\n%s\n%s", code, stdout, stderr)
	}
	evalUntil(t, ctx, 30*time.Second, "version 2 listed", `document.querySelector('#versions input[data-version="2"]') !== null && document.querySelector('#markers .marker[data-version="2"]') !== null`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#versions input[data-version="1"]`)), chromedp.Click(chromedp.CSS(`#versions input[data-version="2"]`))); err != nil {
		t.Fatal(err)
	}
	evalUntil(t, ctx, 30*time.Second, "the change set", `document.body.dataset.diff === "1-2" && document.querySelectorAll('#diff li[data-change="modify"]').length > 0 && +document.querySelector('#graph').dataset.diff > 0`)
	diffText, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#diff")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"modify", "Scorer", "v1", "v2"} {
		if !strings.Contains(diffText, want) {
			t.Errorf("the comparison lacks %q:\n%s", want, diffText)
		}
	}
	screenshot(t, ctx, "versions")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#diff-clear"))); err != nil {
		t.Fatal(err)
	}

	// Experiment runs kept in the state folder are listed, with their report.
	run1 := filepath.Join(state, "experiments", "fast-scorer-1")
	if err := os.MkdirAll(run1, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"report.json", "report.html"} {
		b, err := os.ReadFile(filepath.Join("../../docs/experiments/fast-scorer", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(run1, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#tab-experiments"))); err != nil {
		t.Fatal(err)
	}
	evalUntil(t, ctx, 20*time.Second, "the experiment run", `document.querySelector('#experiments li[data-id="fast-scorer-1"]') !== null`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#experiments li[data-id="fast-scorer-1"]`))); err != nil {
		t.Fatal(err)
	}
	evalUntil(t, ctx, 20*time.Second, "the verdicts and the report", `/supported/.test(document.querySelector('#verdicts').textContent) && /Where the difference comes from/.test(document.querySelector('iframe#report').srcdoc)`)
	screenshot(t, ctx, "experiments")

	// A phone-sized window shows the graph too.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Click(chromedp.CSS("#tab-architecture"))); err != nil {
		t.Fatal(err)
	}
	if w, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('#graph').getBoundingClientRect().width`)); err != nil || w < 300 || w > 390 {
		wide, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > innerWidth + 1).slice(0, 12).map(e => e.tagName + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))`))
		t.Errorf("phone-sized: the graph is %.0f px wide (%v); want the window's width; wider than the window: %v", w, err, wide)
	}
	screenshot(t, ctx, "phone")
}

// fasta is a FASTA file of n bases, the same every time.
func fasta(n int) string {
	var b strings.Builder
	b.WriteString(">dash\n")
	x := uint32(7)
	for i := range n {
		x = x*1664525 + 1013904223
		b.WriteByte("ACGT"[x>>30])
		if i%80 == 79 {
			b.WriteByte('\n')
		}
	}
	b.WriteByte('\n')
	return b.String()
}

// TestGraphHTMLInChromium: `stacklab graph --format html` is one offline
// file that draws the architecture with no token and no request.
func TestGraphHTMLInChromium(t *testing.T) {
	if !dashboard.Built() {
		if os.Getenv("CI") != "" {
			t.Fatal("the dashboard is not built; make test runs make ui first")
		}
		t.Skip("the dashboard is not built (make ui)")
	}
	out := filepath.Join(t.TempDir(), "graph.html")
	if stdout, stderr, code := run("graph", genomeTemplate, "--format", "html", "-o", out); code != exitOK {
		t.Fatalf("graph --format html: exit %d\n%s\n%s", code, stdout, stderr)
	}
	ctx, cancel := browser(t, 1200, 800)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+out)); err != nil {
		t.Fatal(err)
	}
	evalUntil(t, ctx, 20*time.Second, "the offline graph", `window.stacklab && window.stacklab.offline && window.stacklab.nodes().length >= 9`)
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`performance.getEntriesByType('resource').length`)); err != nil || n != 0 {
		t.Errorf("the offline page made %d requests (%v); want none", n, err)
	}
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#token-input') === null || document.querySelector('#token-input').offsetParent === null`)); err != nil || !v {
		t.Errorf("the offline page asks for a token (%v)", err)
	}
	screenshot(t, ctx, "offline-graph")
}
