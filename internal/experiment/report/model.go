package report

import "time"

// Report is the outcome of one experiment run: what was compared, how, the
// verdict on every hypothesis clause and the numbers behind it.
type Report struct {
	Name string `json:"name"`
	// File is the experiment file it ran from.
	File     string    `json:"file"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Baseline names the variant the others are compared with.
	Baseline string    `json:"baseline"`
	Variants []Variant `json:"variants"`
	Design   Design    `json:"design"`
	// Workload says in words what was sent at each variant in each round.
	Workload string   `json:"workload"`
	Clauses  []Clause `json:"clauses"`
	// Functions is the per-function breakdown: for every function of the
	// base template and every variant, where the time and cost go.
	Functions []FunctionRow `json:"functions"`
	// Rounds holds one row per round and variant, in the order they ran.
	Rounds []RoundRow `json:"rounds"`
	// Source names the function that explains most of the difference
	// between the baseline and each variant ("" when nothing stands out).
	Source []Source `json:"source,omitempty"`
	// Best is the variant a power-tuning strategy picks, when one was asked.
	Best     *Best    `json:"best,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// Failures are the variants that failed (to deploy or mid-run) and why;
	// the others finished.
	Failures []string `json:"failures,omitempty"`
}

// Design is how the variants shared the machine.
type Design struct {
	Rounds     int     `json:"rounds"`
	Order      string  `json:"order"` // "random" or "abba"
	Confidence float64 `json:"confidence"`
	// ColdStarts is "mixed", "warm" (requests that met a cold start left
	// out) or "cold" (only those).
	ColdStarts string `json:"coldStarts"`
	Seed       uint64 `json:"seed"`
	// Correction is the multiple-clause correction applied ("holm").
	Correction string `json:"correction"`
	Resamples  int    `json:"resamples"`
}

// Variant is one deployed variant and its totals over every measured round.
type Variant struct {
	Name string `json:"name"`
	// Description says how it differs from the base template.
	Description string `json:"description"`
	// MemoryMB is the memory size of its functions when they all share one.
	MemoryMB int `json:"memoryMB,omitempty"`
	Requests int `json:"requests"`
	Errors   int `json:"errors"`
	// Cold is how many requests met at least one cold start.
	Cold    int     `json:"cold"`
	Latency Summary `json:"latencyMs"`
	// CostPerRequest is the mean cost of the invocations one request caused,
	// in US dollars at the configured prices.
	CostPerRequest float64 `json:"costPerRequest"`
	// Throughput is completed requests per second, the median over rounds.
	Throughput float64 `json:"throughput"`
	// Samples are end-to-end latencies in milliseconds (at most a few
	// thousand, evenly thinned) for the distribution plot.
	Samples []float64 `json:"samplesMs,omitempty"`
	// Failed says why the variant stopped, "" when it finished.
	Failed string `json:"failed,omitempty"`
}

// Summary is a distribution in a few numbers.
type Summary struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
}

// Verdicts of a clause.
const (
	Supported    = "supported"
	Rejected     = "rejected"
	Inconclusive = "inconclusive"
	// NoDifference is the verdict of a "different" clause when no
	// difference is detected.
	NoDifference = "no difference"
)

// Clause is one hypothesis clause and its verdict.
type Clause struct {
	// Text is the clause in words: "p95 of latency of fast is at least 50%
	// lower than baseline".
	Text    string `json:"text"`
	Metric  string `json:"metric"`
	Stat    string `json:"stat"`
	Variant string `json:"variant"`
	Unit    string `json:"unit"`
	// Baseline and Value are the statistic over all rounds of the baseline
	// and of the variant.
	Baseline float64 `json:"baseline"`
	Value    float64 `json:"value"`
	// Ratio is Value/Baseline with its bootstrap confidence interval
	// (resampling rounds) at Level, which is corrected for the number of
	// clauses.
	Ratio Interval `json:"ratio"`
	// Bound is the ratio the clause claims to beat (0.5 for "at least 50%
	// lower"), 1 when it claims only a direction.
	Bound float64 `json:"bound"`
	// P is the Mann-Whitney U p-value over per-round values for the clause's
	// direction; PAdjusted after the multiple-clause correction.
	P         float64 `json:"p"`
	PAdjusted float64 `json:"pAdjusted"`
	// Effect is the rank-biserial correlation of the per-round values
	// (variant against baseline, -1..1).
	Effect  float64 `json:"effect"`
	Verdict string  `json:"verdict"`
	// Reason explains the verdict in one sentence.
	Reason string `json:"reason"`
	// RoundsNeeded, for an inconclusive verdict, estimates the rounds that
	// would decide it.
	RoundsNeeded int `json:"roundsNeeded,omitempty"`
}

// Interval is an estimate with its confidence interval.
type Interval struct {
	Estimate float64 `json:"estimate"`
	Lo       float64 `json:"lo"`
	Hi       float64 `json:"hi"`
	Level    float64 `json:"level"`
}

// FunctionRow is one function of one variant.
type FunctionRow struct {
	// Function is the logical id in the base template.
	Function    string  `json:"function"`
	Variant     string  `json:"variant"`
	Invocations int     `json:"invocations"`
	P50         float64 `json:"p50Ms"`
	P95         float64 `json:"p95Ms"`
	// PerRequest is the mean time spent in the function per request, in ms.
	PerRequest float64 `json:"perRequestMs"`
	// CostPerRequest is the mean cost of the function per request.
	CostPerRequest float64 `json:"costPerRequest"`
	ColdRate       float64 `json:"coldRate"`
	MemoryMB       int     `json:"memoryMB"`
}

// RoundRow is one variant's block in one round.
type RoundRow struct {
	Round    int     `json:"round"`
	Slot     int     `json:"slot"` // position of the block within the round
	Variant  string  `json:"variant"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Median   float64 `json:"medianMs"`
	P95      float64 `json:"p95Ms"`
}

// Source names where a variant's difference from the baseline comes from.
type Source struct {
	Variant  string `json:"variant"`
	Function string `json:"function"`
	// Share is the function's part of the change in per-request function
	// time (0..1).
	Share float64 `json:"share"`
	// DeltaMs is the change of the function's per-request time.
	DeltaMs float64 `json:"deltaMs"`
}

// Best is the pick of a power-tuning strategy.
type Best struct {
	Strategy string `json:"strategy"` // cost, speed or balanced
	Variant  string `json:"variant"`
	Reason   string `json:"reason"`
}
