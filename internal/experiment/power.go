package experiment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/stacklab/stacklab/internal/experiment/stats"
)

// PowerRow is the estimate for one hypothesis clause.
type PowerRow struct {
	Clause string `json:"clause"`
	Stat   string `json:"stat"`
	// PilotRounds and RequestsPerRound describe the pilot; CV is how much
	// the baseline's per-round statistic varied between its rounds.
	PilotRounds      int     `json:"pilotRounds"`
	RequestsPerRound int     `json:"requestsPerRound"`
	CV               float64 `json:"cv"`
	// Ratio is the change to detect (0.8 for 20% lower).
	Ratio float64 `json:"ratio"`
	// Rounds is the estimate; Power what it reaches (below the power asked
	// for when even MaxRounds do not).
	Rounds int     `json:"rounds"`
	Power  float64 `json:"power"`
	Error  string  `json:"error,omitempty"`
}

// MaxRounds is the most rounds Power considers.
const MaxRounds = 200

// Power runs the plan as a pilot (its design's rounds, usually a few) and
// estimates, per clause, the rounds needed for the Mann-Whitney test of
// per-round values to detect a change of ratio with the given power at the
// design's confidence (corrected for the number of clauses).
func Power(ctx context.Context, plan *Plan, p Platform, opts Options, ratio, power float64) ([]PowerRow, error) {
	r, err := execute(ctx, plan, p, opts)
	if err != nil {
		return nil, err
	}
	s, blocks := plan.Spec, r.blocks
	ix := newTraceIndex(r.spans, r.invs)
	a := &analysis{plan: plan, blocks: blocks, ix: ix, rng: rand.New(rand.NewPCG(s.Design.Seed, 0x90e))}
	a.res = measure(plan, blocks, ix, durationOr(s.Workload.Timeout, 60*time.Second))
	base := a.variantIndex(s.Baseline)
	cs := a.expand(base)
	alpha := (1 - s.Design.Confidence) / float64(max(len(cs), 1))
	var out []PowerRow
	seen := map[string]bool{}
	for _, c := range cs {
		key := c.Metric + "/" + c.Stat + "/" + c.Function + "/" + c.Attribute
		if seen[key] {
			continue
		}
		seen[key] = true
		row := PowerRow{Clause: clauseText(c, s.Baseline), Stat: c.Stat, Ratio: ratio, RequestsPerRound: requestsPerBlock(blocks)}
		stat := statFunc(c.Stat)
		var pilot []float64
		for _, vals := range a.perRound(base, c) {
			if len(vals) > 0 {
				pilot = append(pilot, stat(vals))
			}
		}
		row.PilotRounds = len(pilot)
		row.CV = finite(stats.CV(pilot))
		n, got, err := stats.RoundsNeeded(pilot, ratio, alpha, power, MaxRounds, 400, a.rng)
		if err != nil {
			row.Error = fmt.Sprintf("%v (the pilot gave %d usable rounds of %s)", err, len(pilot), c.Metric)
		}
		row.Rounds, row.Power = n, got
		out = append(out, row)
	}
	return out, nil
}

func requestsPerBlock(blocks []*block) int {
	for _, b := range blocks {
		if b.round >= 0 {
			return len(b.sent)
		}
	}
	return 0
}
