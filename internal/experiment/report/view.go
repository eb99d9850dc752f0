package report

import (
	"fmt"
	"strconv"
	"strings"
)

// view is a Report with every value formatted, shared by Markdown and HTML
// so the two say the same thing. Strings are not escaped here; each renderer
// escapes for its own syntax.
type view struct {
	Title     string
	File      string
	Started   string
	Finished  string
	Duration  string
	Baseline  string
	Design    string
	Workload  string
	Clauses   []clauseView
	Variants  []variantView
	Sources   []sourceView
	Functions []functionView
	Rounds    []roundView
	Best      *Best
	Warnings  []string
	Failures  []string
}

type clauseView struct {
	Text, Variant, Baseline, Value, Ratio, PAdjusted, Effect string
	// Verdict is the verdict as given; Class is one of the three verdicts or
	// "unknown", safe for a CSS class.
	Verdict, Class, Reason string
}

type variantView struct {
	Name, Description, Memory, Requests, Errors, Cold string
	P50, P95, P99, Cost, Throughput, Failed           string
	Color                                             string
}

type sourceView struct {
	Variant, Text string
}

type functionView struct {
	Function, Variant, Invocations, P50, P95, PerRequest, Cost, ColdRate, Memory string
}

type roundView struct {
	Round, Slot, Variant, Requests, Errors, Median, P95 string
}

// newView formats r.
func newView(r *Report) *view {
	v := &view{
		Title:    orDash(r.Name),
		File:     r.File,
		Started:  fmtTime(r.Started),
		Finished: fmtTime(r.Finished),
		Duration: fmtDuration(r.Started, r.Finished),
		Baseline: r.Baseline,
		Design:   designLine(r.Design),
		Workload: r.Workload,
		Best:     r.Best,
		Warnings: r.Warnings,
		Failures: r.Failures,
	}
	for _, c := range r.Clauses {
		class := c.Verdict
		if class != Supported && class != Rejected && class != Inconclusive {
			class = "unknown"
		}
		reason := c.Reason
		if c.Verdict == Inconclusive && c.RoundsNeeded > 0 {
			if reason != "" {
				reason = strings.TrimRight(reason, ". ") + "; "
			}
			reason += fmt.Sprintf("about %d rounds would decide it", c.RoundsNeeded)
		}
		v.Clauses = append(v.Clauses, clauseView{
			Text:      c.Text,
			Variant:   c.Variant,
			Baseline:  fmtValue(c.Baseline, c.Unit),
			Value:     fmtValue(c.Value, c.Unit),
			Ratio:     fmtRatio(c.Ratio),
			PAdjusted: fmtP(c.PAdjusted),
			Effect:    fmtSigned(c.Effect),
			Verdict:   orDash(c.Verdict),
			Class:     class,
			Reason:    reason,
		})
	}
	colors := newPalette(r)
	for _, x := range r.Variants {
		mem := dash
		if x.MemoryMB > 0 {
			mem = strconv.Itoa(x.MemoryMB) + " MB"
		}
		vv := variantView{
			Name:        x.Name,
			Description: x.Description,
			Memory:      mem,
			Requests:    strconv.Itoa(x.Requests),
			Errors:      strconv.Itoa(x.Errors),
			Cold:        strconv.Itoa(x.Cold),
			P50:         dash,
			P95:         dash,
			P99:         dash,
			Cost:        fmtCost(x.CostPerRequest),
			Throughput:  fmtThroughput(x.Throughput),
			Failed:      x.Failed,
			Color:       colors.of(x.Name),
		}
		if x.Latency.N > 0 {
			vv.P50, vv.P95, vv.P99 = fmtMs(x.Latency.P50), fmtMs(x.Latency.P95), fmtMs(x.Latency.P99)
		}
		if x.Requests == 0 && x.Failed != "" {
			vv.Cost, vv.Throughput = dash, dash
		}
		v.Variants = append(v.Variants, vv)
	}
	for _, s := range r.Source {
		text := "nothing stands out"
		if s.Function != "" {
			text = fmt.Sprintf("%s: %s of the change (%s per request)", s.Function, fmtShare(s.Share), fmtDeltaMs(s.DeltaMs))
		}
		v.Sources = append(v.Sources, sourceView{Variant: s.Variant, Text: text})
	}
	for _, f := range r.Functions {
		mem := dash
		if f.MemoryMB > 0 {
			mem = strconv.Itoa(f.MemoryMB) + " MB"
		}
		v.Functions = append(v.Functions, functionView{
			Function:    f.Function,
			Variant:     f.Variant,
			Invocations: strconv.Itoa(f.Invocations),
			P50:         fmtMs(f.P50),
			P95:         fmtMs(f.P95),
			PerRequest:  fmtMs(f.PerRequest),
			Cost:        fmtCost(f.CostPerRequest),
			ColdRate:    fmtRate(f.ColdRate),
			Memory:      mem,
		})
	}
	for _, x := range r.Rounds {
		v.Rounds = append(v.Rounds, roundView{
			Round:    strconv.Itoa(x.Round),
			Slot:     strconv.Itoa(x.Slot),
			Variant:  x.Variant,
			Requests: strconv.Itoa(x.Requests),
			Errors:   strconv.Itoa(x.Errors),
			Median:   fmtMs(x.Median),
			P95:      fmtMs(x.P95),
		})
	}
	return v
}

// designLine says how the variants shared the machine in one line.
func designLine(d Design) string {
	var parts []string
	if d.Rounds > 0 {
		parts = append(parts, fmt.Sprintf("%d rounds", d.Rounds))
	}
	if d.Order != "" {
		parts = append(parts, d.Order+" order")
	}
	if l := fmtLevel(d.Confidence); l != dash {
		parts = append(parts, l+" confidence")
	}
	if d.ColdStarts != "" {
		parts = append(parts, "cold starts: "+d.ColdStarts)
	}
	if d.Correction != "" {
		parts = append(parts, d.Correction+" correction")
	}
	if d.Resamples > 0 {
		parts = append(parts, fmt.Sprintf("%d bootstrap resamples", d.Resamples))
	}
	parts = append(parts, fmt.Sprintf("seed %d", d.Seed))
	return strings.Join(parts, ", ")
}

// palette gives every variant a colour: those of Report.Variants in their
// order, then any other variant named in rows in order of appearance.
type palette struct {
	index map[string]int
	names []string
}

// colors is a colour-blind safe set (Okabe and Ito), then a few more.
var colors = []string{
	"#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
	"#7f7f7f", "#000000", "#b8a000", "#8c564b",
}

func newPalette(r *Report) *palette {
	p := &palette{index: map[string]int{}}
	for _, v := range r.Variants {
		p.add(v.Name)
	}
	for _, f := range r.Functions {
		p.add(f.Variant)
	}
	for _, x := range r.Rounds {
		p.add(x.Variant)
	}
	return p
}

func (p *palette) add(name string) {
	if _, ok := p.index[name]; !ok {
		p.index[name] = len(p.names)
		p.names = append(p.names, name)
	}
}

// of returns the colour of a variant.
func (p *palette) of(name string) string {
	i, ok := p.index[name]
	if !ok {
		return colors[len(colors)-1]
	}
	return colors[i%len(colors)]
}
