package experiment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/experiment/report"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/template"
)

func TestDecide(t *testing.T) {
	const alpha = 0.05
	tests := []struct {
		name             string
		c                Clause
		est, lo, hi, p   float64
		want             string
		wantBound        float64
		wantRoundsNeeded bool
		reason           string
	}{
		{"lower atLeast, below the bound", Clause{Direction: "lower", AtLeast: "30%"}, 0.55, 0.5, 0.6, 0.001, report.Supported, 0.7, false, "claimed side"},
		{"lower atLeast, above the bound", Clause{Direction: "lower", AtLeast: "30%"}, 0.85, 0.8, 0.9, 0.001, report.Rejected, 0.7, false, "wrong side"},
		{"lower atLeast, across the bound", Clause{Direction: "lower", AtLeast: "30%"}, 0.65, 0.6, 0.8, 0.001, report.Inconclusive, 0.7, true, "contains 0.7"},
		{"lower atLeast, not significant", Clause{Direction: "lower", AtLeast: "30%"}, 0.55, 0.5, 0.6, 0.2, report.Inconclusive, 0.7, true, "do not differ significantly"},
		{"lower, no size", Clause{Direction: "lower"}, 0.9, 0.85, 0.95, 0.01, report.Supported, 1, false, ""},
		{"lower, no size, above 1", Clause{Direction: "lower"}, 1.1, 1.05, 1.15, 0.01, report.Rejected, 1, false, ""},
		{"lower atMost, within", Clause{Direction: "lower", AtMost: "10%"}, 0.97, 0.95, 1.02, 0.5, report.Supported, 0.9, false, ""},
		{"lower atMost, beyond", Clause{Direction: "lower", AtMost: "10%"}, 0.8, 0.75, 0.85, 0.001, report.Rejected, 0.9, false, ""},
		{"higher atMost, within", Clause{Direction: "higher", AtMost: "10%"}, 1, 0.95, 1.05, 0.5, report.Supported, 1.1, false, "claimed side"},
		{"higher atMost, beyond", Clause{Direction: "higher", AtMost: "10%"}, 1.25, 1.2, 1.3, 0.001, report.Rejected, 1.1, false, "wrong side"},
		{"higher atMost, across", Clause{Direction: "higher", AtMost: "10%"}, 1.05, 1.0, 1.2, 0.3, report.Inconclusive, 1.1, true, ""},
		{"higher atLeast, above", Clause{Direction: "higher", AtLeast: "20%"}, 1.4, 1.3, 1.5, 0.001, report.Supported, 1.2, false, ""},
		{"higher atLeast, below", Clause{Direction: "higher", AtLeast: "20%"}, 1.05, 1.0, 1.1, 0.001, report.Rejected, 1.2, false, ""},
		{"higher atLeast, not significant", Clause{Direction: "higher", AtLeast: "20%"}, 1.4, 1.3, 1.5, 0.06, report.Inconclusive, 1.2, true, ""},
		{"different, excludes 1", Clause{Direction: "different"}, 1.3, 1.2, 1.4, 0.001, report.Supported, 1, false, "excludes 1"},
		{"different, excludes 1 below", Clause{Direction: "different"}, 0.7, 0.6, 0.8, 0.001, report.Supported, 1, false, ""},
		{"different, contains 1", Clause{Direction: "different"}, 1.05, 0.9, 1.2, 0.001, report.NoDifference, 1, false, "no difference"},
		{"different, not significant", Clause{Direction: "different"}, 1.3, 1.2, 1.4, 0.2, report.NoDifference, 1, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := report.Clause{Bound: 1, PAdjusted: tt.p, Ratio: report.Interval{Estimate: tt.est, Lo: tt.lo, Hi: tt.hi, Level: 0.95}}
			decide(&rc, tt.c, alpha, 10)
			if rc.Verdict != tt.want {
				t.Errorf("verdict %q (%s), want %q", rc.Verdict, rc.Reason, tt.want)
			}
			if math.Abs(rc.Bound-tt.wantBound) > 1e-12 {
				t.Errorf("bound %v, want %v", rc.Bound, tt.wantBound)
			}
			if got := rc.RoundsNeeded > 0; got != tt.wantRoundsNeeded {
				t.Errorf("rounds needed %d, want > 0: %v", rc.RoundsNeeded, tt.wantRoundsNeeded)
			}
			if rc.RoundsNeeded > 0 && rc.RoundsNeeded < 10 {
				t.Errorf("rounds needed %d, fewer than the 10 run", rc.RoundsNeeded)
			}
			if !strings.Contains(rc.Reason, tt.reason) {
				t.Errorf("reason %q, want it to say %q", rc.Reason, tt.reason)
			}
		})
	}
}

// synth makes up what a run of an experiment would have sent and caused.
type synth struct {
	plan   *Plan
	rng    *rand.Rand
	blocks []*block
	spans  [][]model.Span
	invs   []model.Invocation
	n      int
	base   time.Time
}

// latency model: a request's latency is lognormal around median ms times
// the variant's factor and the round's random effect.
type latencyModel struct {
	median      float64    // ms
	sigma       float64    // of a request's log latency
	roundSigma  float64    // of a round's log effect, shared by its variants
	factor      [2]float64 // per variant
	workerShare [2]float64 // of the latency spent in Worker, per variant
}

func newSynth(plan *Plan, seed uint64) *synth {
	return &synth{plan: plan, rng: rand.New(rand.NewPCG(seed, 0xa11)), base: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (g *synth) traceID() string {
	g.n++
	return fmt.Sprintf("%032x", g.n)
}

// physical returns the physical name of a base function of variant vi.
func (g *synth) physical(vi int, base string) string {
	for name, b := range g.plan.Targets[vi].Functions {
		if b == base {
			return name
		}
	}
	panic("no function " + base)
}

// run makes the rounds of the design, perBlock requests a block.
func (g *synth) run(m latencyModel, perBlock int) {
	s := g.plan.Spec
	for round := 0; round < s.Design.Rounds; round++ {
		eff := math.Exp(m.roundSigma * g.rng.NormFloat64())
		order := roundOrder("random", 2, round, g.rng)
		for slot, vi := range order {
			start := g.base.Add(time.Duration(round*2+slot) * 10 * time.Second)
			b := &block{round: round, slot: slot, variant: vi, start: start, end: start.Add(10 * time.Second)}
			for seq := 0; seq < perBlock; seq++ {
				due := start.Add(time.Duration(seq) * 100 * time.Millisecond)
				ms := m.median * m.factor[vi] * eff * math.Exp(m.sigma*g.rng.NormFloat64())
				g.request(b, vi, seq, due, ms, m.workerShare[vi])
			}
			g.blocks = append(g.blocks, b)
		}
	}
}

// request adds a request of block b that took ms, share of it in Worker.
func (g *synth) request(b *block, vi, seq int, due time.Time, ms, workerShare float64) (*sent, []model.Span) {
	d := time.Duration(ms * float64(time.Millisecond))
	x := &sent{variant: vi, round: b.round, slot: b.slot, seq: seq, trace: g.traceID(), due: due, done: due.Add(d), status: 200}
	b.sent = append(b.sent, x)
	fn, worker := g.physical(vi, "Fn"), g.physical(vi, "Worker")
	wd := time.Duration(float64(d) * workerShare)
	spans := []model.Span{
		{TraceID: x.trace, SpanID: "0000000000000001", Name: "invoke " + fn, Function: fn, Start: due, End: due.Add(d - wd)},
		{TraceID: x.trace, SpanID: "0000000000000002", ParentID: "0000000000000001", Name: "invoke " + worker, Function: worker, Start: due.Add(d - wd), End: due.Add(d)},
	}
	g.spans = append(g.spans, spans)
	g.invs = append(g.invs,
		model.Invocation{Function: fn, TraceID: x.trace, Start: due, Duration: d - wd, Outcome: model.OutcomeOK, Cost: 1e-6},
		model.Invocation{Function: worker, TraceID: x.trace, Start: due.Add(d - wd), Duration: wd, Outcome: model.OutcomeOK, Cost: 1e-6})
	return x, spans
}

func (g *synth) analyze() *report.Report {
	return analyze(g.plan, g.blocks, g.spans, g.invs, map[int]string{})
}

func abPlan(t *testing.T, hypothesis ...Clause) *Plan {
	t.Helper()
	s := loadSpec(t, "testdata/ab/experiment.yaml")
	s.Hypothesis = hypothesis
	p, err := Prepare(s, template.Options{})
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return p
}

// The model of the calibration tests: a median of 100 ms, a request's log
// latency spread 0.25, a round's 0.05.
var calibration = latencyModel{median: 100, sigma: 0.25, roundSigma: 0.05, factor: [2]float64{1, 1}, workerShare: [2]float64{0.3, 0.3}}

const calibrationRuns = 200

// verdictRate runs calibrationRuns synthetic experiments of plan under m
// (seeds from seed on) and returns the share whose one clause got want.
func verdictRate(t *testing.T, plan *Plan, m latencyModel, seed uint64, want string) float64 {
	t.Helper()
	got := 0
	for i := 0; i < calibrationRuns; i++ {
		plan.Spec.Design.Seed = uint64(i)
		g := newSynth(plan, seed+uint64(i))
		g.run(m, 10)
		rep := g.analyze()
		if len(rep.Clauses) != 1 {
			t.Fatalf("%d clauses, want 1", len(rep.Clauses))
		}
		if rep.Clauses[0].Verdict == want {
			got++
		}
	}
	return float64(got) / calibrationRuns
}

func TestAnalyzeAA(t *testing.T) {
	plan := abPlan(t, Clause{Metric: "latency", Stat: "p50", Direction: "different"})
	rate := verdictRate(t, plan, calibration, 0, report.NoDifference)
	t.Logf("A/A: no difference in %.1f%% of %d experiments", rate*100, calibrationRuns)
	if rate < 0.90 {
		t.Errorf("A/A: no difference in %.1f%% of the experiments, want at least 90%%", rate*100)
	}
}

func TestAnalyzeAB(t *testing.T) {
	plan := abPlan(t, Clause{Metric: "latency", Stat: "p50", Direction: "higher"})
	m := calibration
	m.factor = [2]float64{1, 1.2}
	rate := verdictRate(t, plan, m, 1000, report.Supported)
	t.Logf("A/B (20%% higher): supported in %.1f%% of %d experiments", rate*100, calibrationRuns)
	if rate < 0.90 {
		t.Errorf("A/B: supported in %.1f%% of the experiments, want at least 90%%", rate*100)
	}
}

func TestAnalyzeSource(t *testing.T) {
	plan := abPlan(t,
		Clause{Metric: "latency", Stat: "p50", Direction: "higher"},
		Clause{Metric: "duration", Function: "Worker", Stat: "p50", Direction: "higher"},
		Clause{Metric: "duration", Function: "Fn", Stat: "p50", Direction: "different"})
	// b spends twice as long in Worker and as long in Fn: 70+30 ms against
	// 70+60 ms.
	m := latencyModel{median: 100, sigma: 0.1, roundSigma: 0.02, factor: [2]float64{1, 1.3}, workerShare: [2]float64{0.3, 0.6 / 1.3}}
	g := newSynth(plan, 42)
	g.run(m, 10)
	rep := g.analyze()
	if len(rep.Source) != 1 || rep.Source[0].Function != "Worker" || rep.Source[0].Variant != "b" {
		t.Fatalf("source %+v, want Worker of b", rep.Source)
	}
	if d := rep.Source[0].DeltaMs; d < 20 || d > 40 {
		t.Errorf("Worker's change %.1f ms a request, want about 30", d)
	}
	rows := map[string]report.FunctionRow{}
	for _, r := range rep.Functions {
		rows[r.Variant+"/"+r.Function] = r
	}
	if len(rows) != 4 {
		t.Fatalf("function rows %+v, want Fn and Worker of a and b", rep.Functions)
	}
	for key, want := range map[string]float64{"a/Fn": 70, "b/Fn": 70, "a/Worker": 30, "b/Worker": 60} {
		r := rows[key]
		if r.Invocations != 100 {
			t.Errorf("%s: %d invocations, want 100", key, r.Invocations)
		}
		if math.Abs(r.P50-want) > want*0.15 || math.Abs(r.PerRequest-want) > want*0.15 {
			t.Errorf("%s: p50 %.1f ms, %.1f ms a request; want about %v", key, r.P50, r.PerRequest, want)
		}
	}
	verdicts := []string{report.Supported, report.Supported, report.NoDifference}
	for i, c := range rep.Clauses {
		if c.Verdict != verdicts[i] {
			t.Errorf("clause %q: %s (%s), want %s", c.Text, c.Verdict, c.Reason, verdicts[i])
		}
	}
	if v := rep.Variants[1]; v.Requests != 100 || v.Errors != 0 || v.MemoryMB != 256 {
		t.Errorf("variant b: %d requests, %d errors, %d MB; want 100, 0, 256", v.Requests, v.Errors, v.MemoryMB)
	}
	if len(rep.Rounds) != 20 {
		t.Errorf("%d round rows, want 20", len(rep.Rounds))
	}
}

func TestAnalyzeErrorSpan(t *testing.T) {
	plan := abPlan(t, Clause{Metric: "errors", Stat: "mean", Direction: "higher"})
	g := newSynth(plan, 3)
	g.run(calibration, 10)
	// One request of b gets an error span in its trace.
	var bad *sent
	for _, b := range g.blocks {
		if b.variant == 1 && b.round == 4 {
			bad = b.sent[3]
		}
	}
	for i, tr := range g.spans {
		if tr[0].TraceID == bad.trace {
			g.spans[i][1].Status, g.spans[i][1].StatusMessage = model.StatusError, "boom"
		}
	}
	rep := g.analyze()
	if got := rep.Variants[1].Errors; got != 1 {
		t.Errorf("b: %d errors, want 1", got)
	}
	if got := rep.Variants[0].Errors; got != 0 {
		t.Errorf("a: %d errors, want 0", got)
	}
	for _, r := range rep.Rounds {
		want := 0
		if r.Round == 5 && r.Variant == "b" {
			want = 1
		}
		if r.Errors != want {
			t.Errorf("round %d %s: %d errors, want %d", r.Round, r.Variant, r.Errors, want)
		}
	}
	if got := rep.Variants[1].Latency.N; got != 99 {
		t.Errorf("b: latency of %d requests, want 99 (the failed one left out)", got)
	}
}

func TestAnalyzeFailedInvocation(t *testing.T) {
	plan := abPlan(t, Clause{Metric: "errors", Stat: "mean", Direction: "higher"})
	g := newSynth(plan, 4)
	g.run(calibration, 10)
	bad := g.blocks[0].sent[0]
	for i := range g.invs {
		if g.invs[i].TraceID == bad.trace {
			g.invs[i].Outcome = model.OutcomeUnhandled
		}
	}
	rep := g.analyze()
	if got := rep.Variants[g.blocks[0].variant].Errors; got != 1 {
		t.Errorf("%d errors, want 1 (an unhandled invocation)", got)
	}
}

func TestMeasureLinks(t *testing.T) {
	plan := abPlan(t, Clause{Metric: "latency", Stat: "p50", Direction: "different"})
	g := newSynth(plan, 5)
	b := &block{round: 0, variant: 1, start: g.base}
	x, spans := g.request(b, 1, 0, g.base, 50, 0.5)
	// An SQS batch: its own trace T2, with a link to the request's trace.
	t2 := g.traceID()
	worker := g.physical(1, "Worker")
	g.spans = append(g.spans, []model.Span{{TraceID: t2, SpanID: "0000000000000003", Name: "batch", Function: worker,
		Start: g.base.Add(100 * time.Millisecond), End: g.base.Add(500 * time.Millisecond),
		Links: []model.Link{{TraceID: x.trace, SpanID: spans[1].SpanID}}}})
	// The batch's invocation record carries its trace id in X-Ray form.
	g.invs = append(g.invs, model.Invocation{Function: worker, TraceID: "1-" + t2[:8] + "-" + t2[8:], Duration: 400 * time.Millisecond, Outcome: model.OutcomeOK, Cost: 2e-6})
	// A third trace links to the second: the closure is transitive.
	t3 := g.traceID()
	g.spans = append(g.spans, []model.Span{{TraceID: t3, SpanID: "0000000000000004", Name: "later",
		Start: g.base.Add(500 * time.Millisecond), End: g.base.Add(700 * time.Millisecond),
		Links: []model.Link{{TraceID: t2, SpanID: "0000000000000003"}}}})
	ix := newTraceIndex(g.spans, g.invs)
	res := measure(plan, []*block{b}, ix, time.Minute)
	r := res[x]
	if r.failed {
		t.Fatalf("the request failed: %s", r.reason)
	}
	if len(r.traces) != 3 {
		t.Errorf("closure %v, want the request's trace and the two linked ones", r.traces)
	}
	if math.Abs(r.latency-700) > 1e-6 {
		t.Errorf("latency %.3f ms, want 700 (to the end of the last linked span)", r.latency)
	}
	if r.invocations != 3 {
		t.Errorf("%v invocations, want 3 (Fn, Worker and the batch's)", r.invocations)
	}
	if u := r.fn["Worker"]; u == nil || math.Abs(u.ms-425) > 1e-6 {
		t.Errorf("Worker time %+v, want 425 ms (25 in the request's trace, 400 in the batch)", u)
	}
}

func TestMeasureSharedBatch(t *testing.T) {
	// One batch invocation serves two requests: each gets half its cost.
	plan := abPlan(t, Clause{Metric: "latency", Stat: "p50", Direction: "different"})
	g := newSynth(plan, 6)
	b := &block{round: 0, variant: 0, start: g.base}
	x1, s1 := g.request(b, 0, 0, g.base, 10, 0)
	x2, s2 := g.request(b, 0, 1, g.base.Add(time.Millisecond), 10, 0)
	t2 := g.traceID()
	g.spans = append(g.spans, []model.Span{{TraceID: t2, SpanID: "0000000000000005", Start: g.base, End: g.base.Add(200 * time.Millisecond),
		Links: []model.Link{{TraceID: x1.trace, SpanID: s1[0].SpanID}, {TraceID: x2.trace, SpanID: s2[0].SpanID}}}})
	g.invs = append(g.invs, model.Invocation{Function: g.physical(0, "Worker"), TraceID: t2, Duration: 100 * time.Millisecond, Outcome: model.OutcomeOK, Cost: 4e-6})
	res := measure(plan, []*block{b}, newTraceIndex(g.spans, g.invs), time.Minute)
	for _, x := range []*sent{x1, x2} {
		r := res[x]
		if want := 2e-6 + 4e-6/2; math.Abs(r.cost-want) > 1e-12 {
			t.Errorf("request %d: cost %g, want %g", x.seq, r.cost, want)
		}
		if math.Abs(r.invocations-2.5) > 1e-12 {
			t.Errorf("request %d: %v invocations, want 2.5", x.seq, r.invocations)
		}
	}
}

func TestMeasureNoTrace(t *testing.T) {
	plan := abPlan(t, Clause{Metric: "latency", Stat: "p50", Direction: "different"})
	b := &block{round: 0, variant: 0}
	due := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lost := &sent{trace: "00000000000000000000000000000abc", due: due, done: due.Add(time.Millisecond), status: 200}
	slow := &sent{trace: "00000000000000000000000000000abd", due: due, done: due.Add(2 * time.Minute), status: 200}
	httpErr := &sent{trace: "00000000000000000000000000000abe", due: due, done: due.Add(time.Millisecond), status: 500, err: "HTTP 500: oops"}
	b.sent = []*sent{lost, slow, httpErr}
	spans := [][]model.Span{{{TraceID: slow.trace, Start: due, End: due.Add(time.Second)}}, {{TraceID: httpErr.trace, Start: due, End: due.Add(time.Second)}}}
	res := measure(plan, []*block{b}, newTraceIndex(spans, nil), time.Minute)
	for _, c := range []struct {
		x    *sent
		want string
	}{{lost, "no trace"}, {slow, "timeout"}, {httpErr, "HTTP 500"}} {
		if r := res[c.x]; !r.failed || !strings.Contains(r.reason, c.want) {
			t.Errorf("request %s: failed %v (%s), want a failure for %q", c.x.trace, r.failed, r.reason, c.want)
		}
	}
}

func TestAnalyzeAttribute(t *testing.T) {
	plan := abPlan(t, Clause{Metric: "attribute", Span: "query", Attribute: "rows", Stat: "mean", Direction: "higher"})
	g := newSynth(plan, 7)
	g.run(calibration, 5)
	for _, tr := range g.spans {
		v := 10.0
		for _, b := range g.blocks {
			for _, x := range b.sent {
				if x.trace == tr[0].TraceID && b.variant == 1 {
					v = 20
				}
			}
		}
		tr[0].Name, tr[0].Attributes = "query", map[string]any{"rows": v}
		tr[1].Attributes = map[string]any{"rows": 1000.0} // another span's
	}
	rep := g.analyze()
	c := rep.Clauses[0]
	if c.Baseline != 10 || c.Value != 20 {
		t.Errorf("attribute: baseline %v, b %v; want 10 and 20", c.Baseline, c.Value)
	}
}

// TestAnalyzeTwoAttributes: each attribute clause reads its own attribute.
func TestAnalyzeTwoAttributes(t *testing.T) {
	plan := abPlan(t, Clause{Metric: "attribute", Attribute: "x", Stat: "mean", Direction: "higher"},
		Clause{Metric: "attribute", Attribute: "y", Stat: "mean", Direction: "higher"})
	g := newSynth(plan, 8)
	g.run(calibration, 5)
	for _, tr := range g.spans {
		tr[0].Attributes = map[string]any{"x": 1.0, "y": 100.0}
	}
	rep := g.analyze()
	if len(rep.Clauses) != 2 || rep.Clauses[0].Baseline != 1 || rep.Clauses[1].Baseline != 100 {
		t.Errorf("clauses %+v: want x's baseline 1 and y's 100", rep.Clauses)
	}
}
