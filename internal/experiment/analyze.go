package experiment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/experiment/report"
	"github.com/stacklab/stacklab/internal/experiment/stats"
	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// analyze turns the blocks and what they caused into the report.
func analyze(plan *Plan, blocks []*block, spans [][]model.Span, invs []model.Invocation, failed map[int]string) *report.Report {
	s := plan.Spec
	d := s.Design
	rep := &report.Report{Name: s.Name, File: relative(s.File), Baseline: s.Baseline, Workload: describeWorkload(s),
		Design: report.Design{Rounds: d.Rounds, Order: d.Order, Confidence: d.Confidence, ColdStarts: d.ColdStarts, Seed: d.Seed, Correction: "holm", Resamples: d.Resamples}}
	ix := newTraceIndex(spans, invs)
	res := measure(plan, blocks, ix, durationOr(s.Workload.Timeout, 60*time.Second))
	a := &analysis{plan: plan, blocks: blocks, res: res, ix: ix, rng: rand.New(rand.NewPCG(d.Seed, 0xb007))}
	base := a.variantIndex(s.Baseline)
	for vi, tg := range plan.Targets {
		rep.Variants = append(rep.Variants, a.variant(vi, tg, failed[vi]))
		if failed[vi] != "" {
			rep.Failures = append(rep.Failures, failed[vi])
		}
	}
	rep.Rounds = a.rounds()
	rep.Functions = a.functions()
	for vi, tg := range plan.Targets {
		if vi != base {
			if src, ok := source(rep.Functions, s.Baseline, tg.Variant); ok {
				rep.Source = append(rep.Source, src)
			}
		}
	}
	rep.Clauses, rep.Warnings = a.clauses(base)
	if s.Strategy != "" {
		rep.Best = best(s.Strategy, rep.Variants)
	}
	return rep
}

type analysis struct {
	plan   *Plan
	blocks []*block
	res    map[*sent]*result
	ix     *traceIndex
	rng    *rand.Rand
}

func (a *analysis) variantIndex(name string) int {
	for i, t := range a.plan.Targets {
		if t.Variant == name {
			return i
		}
	}
	return 0
}

// keep applies the design's choice about cold starts to a request.
func (a *analysis) keep(r *result) bool {
	switch a.plan.Spec.Design.ColdStarts {
	case "warm":
		return !r.cold
	case "cold":
		return r.cold
	}
	return true
}

// perRound returns, for variant vi, the values of a metric in each round
// (index = round).
func (a *analysis) perRound(vi int, c Clause) [][]float64 {
	out := make([][]float64, a.plan.Spec.Design.Rounds)
	for _, b := range a.blocks {
		if b.variant != vi || b.round < 0 {
			continue
		}
		out[b.round] = append(out[b.round], a.values(b, c)...)
	}
	return out
}

// values are a metric's observations in one block.
func (a *analysis) values(b *block, c Clause) []float64 {
	var out []float64
	switch c.Metric {
	case "duration", "init", "coldstarts":
		if c.Metric == "coldstarts" && c.Function == "" {
			break
		}
		tg := a.plan.Targets[b.variant]
		for _, inv := range invocationsOf(b, a.res, a.ix) {
			if tg.Functions[inv.Function] != c.Function {
				continue
			}
			cold := inv.Cold
			if a.plan.Spec.Design.ColdStarts == "warm" && cold || a.plan.Spec.Design.ColdStarts == "cold" && !cold {
				if c.Metric != "coldstarts" {
					continue
				}
			}
			switch c.Metric {
			case "duration":
				out = append(out, ms(inv.Duration))
			case "init":
				if cold {
					out = append(out, ms(inv.InitDuration))
				}
			case "coldstarts":
				out = append(out, b2f(cold))
			}
		}
		return out
	case "throughput":
		done, last := 0, b.start
		first := b.start
		for _, x := range b.sent {
			r := a.res[x]
			if r.failed {
				continue
			}
			done++
			if e := x.due.Add(time.Duration(r.latency * float64(time.Millisecond))); e.After(last) {
				last = e
			}
		}
		if sec := last.Sub(first).Seconds(); done > 0 && sec > 0 {
			return []float64{float64(done) / sec}
		}
		return nil
	}
	for _, x := range b.sent {
		r := a.res[x]
		switch c.Metric {
		case "errors":
			out = append(out, b2f(r.failed))
			continue
		case "coldstarts":
			out = append(out, b2f(r.cold))
			continue
		}
		if r.failed || !a.keep(r) {
			continue
		}
		switch c.Metric {
		case "latency":
			out = append(out, r.latency)
		case "cost":
			if c.Function != "" {
				if u := r.fn[c.Function]; u != nil {
					out = append(out, u.cost)
				} else {
					out = append(out, 0)
				}
			} else {
				out = append(out, r.cost)
			}
		case "invocations":
			if c.Function != "" {
				if u := r.fn[c.Function]; u != nil {
					out = append(out, u.n)
				} else {
					out = append(out, 0)
				}
			} else {
				out = append(out, r.invocations)
			}
		case "attribute":
			out = append(out, r.attrs[attrKey(c)]...)
		}
	}
	return out
}

func statFunc(name string) func([]float64) float64 {
	switch name {
	case "mean":
		return stats.Mean
	case "p90":
		return func(x []float64) float64 { return stats.Quantile(x, 0.90) }
	case "p95":
		return func(x []float64) float64 { return stats.Quantile(x, 0.95) }
	case "p99":
		return func(x []float64) float64 { return stats.Quantile(x, 0.99) }
	}
	return stats.Median
}

// expand lists the clauses to decide: a clause without a variant is one per
// variant other than the baseline.
func (a *analysis) expand(base int) []Clause {
	var out []Clause
	for _, c := range a.plan.Spec.Hypothesis {
		if c.Variant != "" {
			out = append(out, c)
			continue
		}
		for vi, tg := range a.plan.Targets {
			if vi != base {
				c.Variant = tg.Variant
				out = append(out, c)
			}
		}
	}
	return out
}

func (a *analysis) clauses(base int) ([]report.Clause, []string) {
	s := a.plan.Spec
	cs := a.expand(base)
	alpha := 1 - s.Design.Confidence
	m := len(cs)
	// Bonferroni for the intervals (each at 1-alpha/m holds them all at
	// 1-alpha together), Holm for the p-values.
	level := 1 - alpha/float64(max(m, 1))
	var out []report.Clause
	var warnings []string
	ps := make([]float64, m)
	rounds := make([]int, m) // rounds with data on both sides
	for i, c := range cs {
		vi := a.variantIndex(c.Variant)
		rc := report.Clause{Text: clauseText(c, s.Baseline), Metric: c.Metric, Stat: c.Stat, Variant: c.Variant, Unit: unit(c.Metric), Bound: 1}
		stat := statFunc(c.Stat)
		av, bv := a.perRound(base, c), a.perRound(vi, c)
		var aRounds, bRounds []float64
		var aAll, bAll []float64
		for r := range av {
			if len(av[r]) > 0 && len(bv[r]) > 0 {
				aRounds = append(aRounds, stat(av[r]))
				bRounds = append(bRounds, stat(bv[r]))
			}
			aAll = append(aAll, av[r]...)
			bAll = append(bAll, bv[r]...)
		}
		rounds[i] = len(bRounds)
		rc.Baseline, rc.Value = finite(stat(aAll)), finite(stat(bAll))
		mw := stats.MannWhitneyU(bRounds, aRounds)
		rc.Effect = finite(mw.RankBiserial)
		switch c.Direction {
		case "lower":
			ps[i] = mw.PLess
		case "higher":
			ps[i] = mw.PGreater
		default:
			ps[i] = mw.P
		}
		if len(bRounds) < 2 {
			ps[i] = 1
		}
		rc.P = ps[i]
		iv, err := stats.BootstrapRatio(av, bv, stat, level, s.Design.Resamples, a.rng)
		if err != nil {
			rc.Verdict = report.Inconclusive
			rc.Reason = "cannot be evaluated: " + noData(err, c)
			rc.Ratio = report.Interval{Level: level}
			out = append(out, rc)
			continue
		}
		rc.Ratio = report.Interval{Estimate: iv.Estimate, Lo: iv.Lo, Hi: iv.Hi, Level: level}
		minP := stats.MinP(len(aRounds), len(bRounds))
		if c.Direction != "different" {
			minP /= 2 // one-sided
		}
		if minP > alpha/float64(max(m, 1)) {
			warnings = append(warnings, fmt.Sprintf("%s: %d rounds with data cannot reach significance at %.3g after the correction for %d clauses; run more rounds", rc.Text, len(bRounds), alpha/float64(m), m))
		}
		if cv := stats.CV(aRounds); cv > 0.3 {
			warnings = append(warnings, fmt.Sprintf("%s: the baseline's per-round %s varies by %.0f%% between rounds (noisy machine or too few requests per round); more requests per round or more rounds narrow the interval", rc.Text, c.Stat, cv*100))
		}
		if (c.Stat == "p95" || c.Stat == "p99") && len(aAll) > 0 && len(aAll)/max(len(aRounds), 1) < 20 {
			warnings = append(warnings, fmt.Sprintf("%s: fewer than 20 requests per round, so each round's %s is close to its maximum", rc.Text, c.Stat))
		}
		out = append(out, rc)
	}
	adj := stats.Holm(ps)
	for i := range out {
		if out[i].Verdict != "" {
			out[i].PAdjusted = 1
			continue
		}
		out[i].PAdjusted = adj[i]
		decide(&out[i], cs[i], alpha, rounds[i])
	}
	return out, warnings
}

// decide gives a clause its verdict from the ratio's interval and the
// adjusted p-value.
func decide(rc *report.Clause, c Clause, alpha float64, rounds int) {
	size := 0.0
	atMost := false
	if c.AtLeast != "" {
		size, _ = ParsePercent(c.AtLeast)
	}
	if c.AtMost != "" {
		size, _ = ParsePercent(c.AtMost)
		atMost = true
	}
	lo, hi := rc.Ratio.Lo, rc.Ratio.Hi
	sig := rc.PAdjusted < alpha
	level := fmt.Sprintf("%.1f%%", rc.Ratio.Level*100)
	switch c.Direction {
	case "different":
		if (lo > 1 || hi < 1) && sig {
			rc.Verdict, rc.Reason = report.Supported, fmt.Sprintf("the %s interval of the ratio, [%.3g, %.3g], excludes 1 and p=%.3g", level, lo, hi, rc.PAdjusted)
		} else {
			rc.Verdict, rc.Reason = report.NoDifference, fmt.Sprintf("no difference detected: the %s interval of the ratio is [%.3g, %.3g], p=%.3g", level, lo, hi, rc.PAdjusted)
		}
		return
	case "lower":
		rc.Bound = 1 - size
		if atMost { // "at most s lower": the ratio stays at or above 1-s
			switch {
			case lo >= rc.Bound:
				rc.Verdict = report.Supported
			case hi < rc.Bound:
				rc.Verdict = report.Rejected
			}
		} else {
			switch {
			case hi <= rc.Bound && hi < 1 && sig:
				rc.Verdict = report.Supported
			case lo > rc.Bound:
				rc.Verdict = report.Rejected
			}
		}
	case "higher":
		rc.Bound = 1 + size
		if atMost {
			switch {
			case hi <= rc.Bound:
				rc.Verdict = report.Supported
			case lo > rc.Bound:
				rc.Verdict = report.Rejected
			}
		} else {
			switch {
			case lo >= rc.Bound && lo > 1 && sig:
				rc.Verdict = report.Supported
			case hi < rc.Bound:
				rc.Verdict = report.Rejected
			}
		}
	}
	switch rc.Verdict {
	case report.Supported:
		rc.Reason = fmt.Sprintf("the %s interval of the ratio, [%.3g, %.3g], lies on the claimed side of %.3g", level, lo, hi, rc.Bound)
		if !atMost {
			rc.Reason += fmt.Sprintf(", and the rounds differ (Mann-Whitney p=%.3g after correction)", rc.PAdjusted)
		}
	case report.Rejected:
		rc.Reason = fmt.Sprintf("the %s interval of the ratio, [%.3g, %.3g], lies on the wrong side of %.3g", level, lo, hi, rc.Bound)
	default:
		rc.Verdict = report.Inconclusive
		rc.Reason = fmt.Sprintf("the %s interval of the ratio, [%.3g, %.3g], contains %.3g", level, lo, hi, rc.Bound)
		if !atMost && rc.PAdjusted >= alpha && (hi <= rc.Bound || lo >= rc.Bound) {
			rc.Reason = fmt.Sprintf("the interval [%.3g, %.3g] is on the claimed side but the rounds do not differ significantly (p=%.3g after correction)", lo, hi, rc.PAdjusted)
		}
		half := (hi - lo) / 2
		want := math.Abs(rc.Ratio.Estimate - rc.Bound)
		if want > 0 && half > 0 {
			rc.RoundsNeeded = min(stats.RoundsForWidth(rounds, half, want), 10000)
		}
	}
}

func (a *analysis) variant(vi int, tg *Target, failed string) report.Variant {
	v := report.Variant{Name: tg.Variant, Description: a.plan.Merged.Variants[vi].Description, Failed: failed}
	mem := -1
	for _, m := range tg.MemoryMB {
		if mem == -1 {
			mem = m
		} else if mem != m {
			mem = 0
		}
	}
	v.MemoryMB = max(mem, 0)
	var lat, tput []float64
	cost := 0.0
	for _, b := range a.blocks {
		if b.variant != vi || b.round < 0 {
			continue
		}
		for _, x := range b.sent {
			r := a.res[x]
			v.Requests++
			if r.failed {
				v.Errors++
			}
			if r.cold {
				v.Cold++
			}
			if !r.failed && a.keep(r) {
				lat = append(lat, r.latency)
				cost += r.cost
			}
		}
		tput = append(tput, a.values(b, Clause{Metric: "throughput"})...)
	}
	v.Latency = summary(lat)
	if len(lat) > 0 {
		v.CostPerRequest = cost / float64(len(lat))
	}
	v.Throughput = finite(stats.Median(tput))
	v.Samples = thin(lat, 2000)
	return v
}

func (a *analysis) rounds() []report.RoundRow {
	var out []report.RoundRow
	for _, b := range a.blocks {
		if b.round < 0 {
			continue
		}
		row := report.RoundRow{Round: b.round + 1, Slot: b.slot + 1, Variant: a.plan.Targets[b.variant].Variant, Requests: len(b.sent)}
		var lat []float64
		for _, x := range b.sent {
			r := a.res[x]
			if r.failed {
				row.Errors++
			} else if a.keep(r) {
				lat = append(lat, r.latency)
			}
		}
		row.Median, row.P95 = finite(stats.Median(lat)), finite(stats.Quantile(lat, 0.95))
		out = append(out, row)
	}
	return out
}

func (a *analysis) functions() []report.FunctionRow {
	var out []report.FunctionRow
	for vi, tg := range a.plan.Targets {
		var bases []string
		for _, base := range tg.Functions {
			bases = append(bases, base)
		}
		slices.Sort(bases)
		bases = slices.Compact(bases)
		requests := 0
		per := map[string]*fnUse{}
		durs := map[string][]float64{}
		cold := map[string]int{}
		for _, b := range a.blocks {
			if b.variant != vi || b.round < 0 {
				continue
			}
			for _, x := range b.sent {
				r := a.res[x]
				if !a.keep(r) {
					continue
				}
				requests++
				for base, u := range r.fn {
					if per[base] == nil {
						per[base] = &fnUse{}
					}
					per[base].ms += u.ms
					per[base].cost += u.cost
				}
			}
			for _, inv := range invocationsOf(b, a.res, a.ix) {
				base := tg.Functions[inv.Function]
				durs[base] = append(durs[base], ms(inv.Duration))
				if inv.Cold {
					cold[base]++
				}
			}
		}
		for _, base := range bases {
			row := report.FunctionRow{Function: base, Variant: tg.Variant, Invocations: len(durs[base]), MemoryMB: tg.MemoryMB[base]}
			row.P50, row.P95 = finite(stats.Median(durs[base])), finite(stats.Quantile(durs[base], 0.95))
			if u := per[base]; u != nil && requests > 0 {
				row.PerRequest = u.ms / float64(requests)
				row.CostPerRequest = u.cost / float64(requests)
			}
			if row.Invocations > 0 {
				row.ColdRate = float64(cold[base]) / float64(row.Invocations)
			}
			out = append(out, row)
		}
	}
	return out
}

// source names the function whose per-request time changed most between
// the baseline and a variant.
func source(rows []report.FunctionRow, baseline, variant string) (report.Source, bool) {
	basePer := map[string]float64{}
	varPer := map[string]float64{}
	for _, r := range rows {
		switch r.Variant {
		case baseline:
			basePer[r.Function] = r.PerRequest
		case variant:
			varPer[r.Function] = r.PerRequest
		}
	}
	total := 0.0
	best := report.Source{Variant: variant}
	for fn := range union(basePer, varPer) {
		d := varPer[fn] - basePer[fn]
		total += math.Abs(d)
		if math.Abs(d) > math.Abs(best.DeltaMs) || math.Abs(d) == math.Abs(best.DeltaMs) && fn < best.Function {
			best.Function, best.DeltaMs = fn, d
		}
	}
	if total == 0 || best.Function == "" {
		return best, false
	}
	best.Share = math.Abs(best.DeltaMs) / total
	return best, true
}

func union(a, b map[string]float64) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// best picks a variant by a power-tuning strategy: the cheapest per
// request, the fastest (median latency), or balanced (the smallest product
// of cost and latency, each relative to the best of the variants).
func best(strategy string, vs []report.Variant) *report.Best {
	ok := func(v report.Variant) bool { return v.Failed == "" && v.Latency.N > 0 }
	minCost, minLat := math.Inf(1), math.Inf(1)
	for _, v := range vs {
		if ok(v) {
			minCost, minLat = math.Min(minCost, v.CostPerRequest), math.Min(minLat, v.Latency.P50)
		}
	}
	score := func(v report.Variant) float64 {
		switch strategy {
		case "cost":
			return v.CostPerRequest
		case "speed":
			return v.Latency.P50
		}
		return (v.CostPerRequest / math.Max(minCost, 1e-15)) * (v.Latency.P50 / math.Max(minLat, 1e-9))
	}
	cands := slices.Clone(vs)
	sort.SliceStable(cands, func(i, j int) bool { return score(cands[i]) < score(cands[j]) })
	for _, v := range cands {
		if ok(v) {
			return &report.Best{Strategy: strategy, Variant: v.Name, Reason: fmt.Sprintf("%s: median latency %.1f ms, $%.3g per request", v.Name, v.Latency.P50, v.CostPerRequest)}
		}
	}
	return nil
}

func clauseText(c Clause, baseline string) string {
	what := c.Stat + " " + c.Metric
	if c.Function != "" {
		what += " of " + c.Function
	}
	if c.Metric == "attribute" {
		what = c.Stat + " of span attribute " + c.Attribute
		if c.Span != "" {
			what += " (" + c.Span + ")"
		}
	}
	switch {
	case c.Direction == "different":
		return fmt.Sprintf("%s of %s differs from %s", what, c.Variant, baseline)
	case c.AtLeast != "":
		return fmt.Sprintf("%s of %s is at least %s %s than %s", what, c.Variant, c.AtLeast, c.Direction, baseline)
	case c.AtMost != "":
		return fmt.Sprintf("%s of %s is at most %s %s than %s", what, c.Variant, c.AtMost, c.Direction, baseline)
	}
	return fmt.Sprintf("%s of %s is %s than %s", what, c.Variant, c.Direction, baseline)
}

func unit(metric string) string {
	switch metric {
	case "latency", "duration", "init":
		return "ms"
	case "cost":
		return "usd"
	case "throughput":
		return "req/s"
	case "coldstarts", "errors":
		return "share"
	}
	return ""
}

func describeWorkload(s *Spec) string {
	w := s.Workload
	var target string
	switch {
	case w.Route != "":
		target = "HTTP " + w.Route
	case w.Function != "":
		target = "invocations of " + w.Function
	case w.Queue != "":
		target = "messages to queue " + w.Queue
	case w.Bucket != "":
		target = "uploads to bucket " + w.Bucket
		if w.Generate != nil {
			target += " (generated, " + w.Generate.Size + " each)"
		}
	}
	rate := w.Rate
	if w.Ramp != nil {
		rate = "ramp " + w.Ramp.From + " to " + w.Ramp.To
	}
	size := fmt.Sprintf("%d requests", w.Requests)
	if w.Duration != "" {
		size = w.Duration
	}
	return fmt.Sprintf("%s at %s (open loop), %s per variant per round, %d warm-up requests per variant discarded", target, rate, size, w.Warmup)
}

func noData(err error, c Clause) string {
	msg := err.Error()
	if strings.Contains(msg, "too few") || strings.Contains(msg, "observations") {
		return fmt.Sprintf("no data for %s in at least two rounds of both variants (%v); check that the workload reaches what the metric measures", c.Metric, err)
	}
	return msg
}

func summary(xs []float64) report.Summary {
	if len(xs) == 0 {
		return report.Summary{}
	}
	return report.Summary{N: len(xs), Mean: stats.Mean(xs), P50: stats.Median(xs), P95: stats.Quantile(xs, 0.95), P99: stats.Quantile(xs, 0.99)}
}

// thin keeps at most n values, evenly spaced in sorted order.
func thin(xs []float64, n int) []float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) <= n {
		return s
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = s[i*(len(s)-1)/(n-1)]
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// relative is file relative to the working folder when it is below it.
func relative(file string) string {
	wd, err := os.Getwd()
	if err != nil {
		return file
	}
	if rel, err := filepath.Rel(wd, file); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return file
}
