package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Interval is a point estimate with a confidence interval.
type Interval struct {
	// Estimate is the statistic on all the data; Lo and Hi bound the
	// interval.
	Estimate, Lo, Hi float64
	// Level is the confidence level, e.g. 0.95.
	Level float64
	// Resamples is the number of bootstrap resamples the interval rests on:
	// those asked for less any whose ratio was not a finite number.
	Resamples int
}

// BootstrapRatio estimates stat(B)/stat(A) where a[i] and b[i] are the
// observations of variants A and B in round i (a round runs every variant
// once, in random order, so rounds are paired). It resamples round indices
// with replacement (the same indices for A and B: a paired cluster
// bootstrap, because requests within one round are not independent), pools
// the observations of the chosen rounds per variant, and computes the ratio.
//
// The interval is BCa (bias-corrected and accelerated, acceleration from the
// jackknife over rounds); it falls back to the percentile interval when BCa
// is undefined (all resamples equal, the estimate outside the resamples, a
// jackknife ratio that is not finite). Rounds where either side is empty are
// dropped. rng makes it reproducible.
//
// stat receives a pooled slice that it may reorder but must not keep. a and
// b must have the same length; at least two rounds must remain; level must
// be in (0, 1) and resamples positive. Resamples whose ratio is not finite
// (stat of A zero) are left out of the interval.
func BootstrapRatio(a, b [][]float64, stat func([]float64) float64, level float64, resamples int, rng *rand.Rand) (Interval, error) {
	switch {
	case stat == nil:
		return Interval{}, fmt.Errorf("bootstrap ratio: %w: nil statistic", ErrInvalidArgument)
	case rng == nil:
		return Interval{}, fmt.Errorf("bootstrap ratio: %w: nil random source", ErrInvalidArgument)
	case !(level > 0 && level < 1):
		return Interval{}, fmt.Errorf("bootstrap ratio: %w: level %v not in (0, 1)", ErrInvalidArgument, level)
	case resamples < 1:
		return Interval{}, fmt.Errorf("bootstrap ratio: %w: %d resamples", ErrInvalidArgument, resamples)
	case len(a) != len(b):
		return Interval{}, fmt.Errorf("bootstrap ratio: %w: %d rounds of A and %d of B", ErrInvalidArgument, len(a), len(b))
	}
	var ra, rb [][]float64
	for i := range a {
		if len(a[i]) > 0 && len(b[i]) > 0 {
			ra, rb = append(ra, a[i]), append(rb, b[i])
		}
	}
	k := len(ra)
	if k < 2 {
		return Interval{}, fmt.Errorf("bootstrap ratio: %w: %d rounds with observations of both variants, want at least 2", ErrTooFewObservations, k)
	}

	r := ratioOfRounds{a: ra, b: rb, stat: stat}
	idx := make([]int, k)
	for i := range idx {
		idx[i] = i
	}
	est := r.ratio(idx)
	if !isFinite(est) {
		return Interval{}, fmt.Errorf("bootstrap ratio: %w: statistic of B / statistic of A is %v", ErrUndefinedRatio, est)
	}

	reps := make([]float64, 0, resamples)
	for range resamples {
		for i := range idx {
			idx[i] = rng.IntN(k)
		}
		if v := r.ratio(idx); isFinite(v) {
			reps = append(reps, v)
		}
	}
	if len(reps) == 0 {
		return Interval{}, fmt.Errorf("bootstrap ratio: %w: no resample out of %d gave a finite ratio", ErrUndefinedRatio, resamples)
	}
	slices.Sort(reps)

	alpha := (1 - level) / 2
	qLo, qHi := alpha, 1-alpha
	if lo, hi, ok := bcaLevels(reps, est, r.jackknife(), alpha); ok {
		qLo, qHi = lo, hi
	}
	return Interval{
		Estimate:  est,
		Lo:        quantileSorted(reps, qLo),
		Hi:        quantileSorted(reps, qHi),
		Level:     level,
		Resamples: len(reps),
	}, nil
}

// bcaLevels returns the quantile levels of the sorted replicates reps that
// bound the BCa interval with tail probability alpha on each side, or false
// when BCa is undefined. jack holds the jackknife estimates (nil when one
// was not finite).
func bcaLevels(reps []float64, est float64, jack []float64, alpha float64) (lo, hi float64, ok bool) {
	if reps[0] == reps[len(reps)-1] || jack == nil {
		return 0, 0, false
	}
	// Bias correction: how far the estimate sits from the replicates' median.
	var below, equal int
	for _, v := range reps {
		if v < est {
			below++
		} else if v == est {
			equal++
		}
	}
	p0 := (float64(below) + float64(equal)/2) / float64(len(reps))
	if p0 <= 0 || p0 >= 1 {
		return 0, 0, false
	}
	z0 := normQuantile(p0)

	// Acceleration: the skewness of the jackknife estimates.
	jm := Mean(jack)
	var num, den float64
	for _, v := range jack {
		d := jm - v
		num += d * d * d
		den += d * d
	}
	var acc float64
	if den > 0 {
		acc = num / (6 * math.Pow(den, 1.5))
	}

	level := func(z float64) (float64, bool) {
		s := z0 + z
		d := 1 - acc*s
		if d <= 0 {
			return 0, false
		}
		q := normCDF(z0 + s/d)
		return q, q >= 0 && q <= 1
	}
	lo, okLo := level(normQuantile(alpha))
	hi, okHi := level(normQuantile(1 - alpha))
	if !okLo || !okHi || lo > hi {
		return 0, 0, false
	}
	return lo, hi, true
}

// ratioOfRounds computes stat(B)/stat(A) over a multiset of rounds.
type ratioOfRounds struct {
	a, b         [][]float64
	stat         func([]float64) float64
	poolA, poolB []float64
}

// ratio pools the rounds idx of each variant and returns the ratio of the
// statistics.
func (r *ratioOfRounds) ratio(idx []int) float64 {
	r.poolA, r.poolB = r.poolA[:0], r.poolB[:0]
	for _, i := range idx {
		r.poolA = append(r.poolA, r.a[i]...)
		r.poolB = append(r.poolB, r.b[i]...)
	}
	return r.stat(r.poolB) / r.stat(r.poolA)
}

// jackknife returns the ratios with each round left out in turn, or nil
// when one of them is not finite.
func (r *ratioOfRounds) jackknife() []float64 {
	k := len(r.a)
	out := make([]float64, k)
	idx := make([]int, 0, k-1)
	for leave := range k {
		idx = idx[:0]
		for i := range k {
			if i != leave {
				idx = append(idx, i)
			}
		}
		v := r.ratio(idx)
		if !isFinite(v) {
			return nil
		}
		out[leave] = v
	}
	return out
}

func isFinite(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}
