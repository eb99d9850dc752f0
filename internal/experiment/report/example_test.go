package report_test

import (
	"os"

	"github.com/stacklab/stacklab/internal/experiment/report"
)

func ExampleMarkdown() {
	r := &report.Report{
		Name:     "cache",
		Baseline: "base",
		Design:   report.Design{Rounds: 10, Order: "abba", Confidence: 0.95, ColdStarts: "warm", Correction: "holm", Seed: 7},
		Clauses: []report.Clause{{
			Text: "p95 of latency of fast is at least 50% lower than baseline", Unit: "ms",
			Baseline: 900, Value: 380, Ratio: report.Interval{Estimate: 0.42, Lo: 0.38, Hi: 0.47, Level: 0.95},
			PAdjusted: 0.0004, Effect: -0.9, Verdict: report.Supported, Reason: "the whole interval is below 0.5",
		}},
	}
	if err := report.Markdown(os.Stdout, r); err != nil {
		panic(err)
	}
	// Output:
	// # Experiment: cache
	//
	// - Started: –, finished: – (–)
	// - Design: 10 rounds, abba order, 95% confidence, cold starts: warm, holm correction, seed 7
	// - Baseline: **base**
	//
	// ## Verdict
	//
	// | Clause | Baseline | Variant | Ratio | Adjusted p | Effect | Verdict | Reason |
	// | --- | --- | --- | --- | --- | --- | --- | --- |
	// | p95 of latency of fast is at least 50% lower than baseline | 900 ms | 380 ms | 0.42 [0.38, 0.47] (95% CI) | <0.001 | -0.90 | **supported** | the whole interval is below 0.5 |
}
