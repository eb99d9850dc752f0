package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// RoundsNeeded estimates by simulation the number of rounds per variant
// needed for the two-sided Mann-Whitney test on per-round values, at
// significance alpha (a test rejects when P <= alpha), to detect a
// multiplicative change ratio (e.g. 0.8 for 20% lower, 1.2 for 20% higher)
// with probability >= power.
//
// pilot holds per-round values of one variant from a short pilot run (at
// least 3, all positive and finite). It simulates by resampling the pilot's
// values (on the log scale, centred, so its spread is kept) for A, and the
// same times ratio for B; tries n = 3, 4, ... up to max; sims simulations
// per n. Sizes whose MinP exceeds alpha cannot reject and are given power 0
// without simulating. It returns the smallest n reaching power and the
// power reached, or max and the power at max if never reached.
func RoundsNeeded(pilot []float64, ratio, alpha, power float64, max, sims int, rng *rand.Rand) (n int, achieved float64, err error) {
	switch {
	case rng == nil:
		return 0, 0, fmt.Errorf("rounds needed: %w: nil random source", ErrInvalidArgument)
	case len(pilot) < 3:
		return 0, 0, fmt.Errorf("rounds needed: %w: %d pilot values, want at least 3", ErrTooFewObservations, len(pilot))
	case !(ratio > 0) || math.IsInf(ratio, 0):
		return 0, 0, fmt.Errorf("rounds needed: %w: ratio %v not positive and finite", ErrInvalidArgument, ratio)
	case !(alpha > 0 && alpha < 1):
		return 0, 0, fmt.Errorf("rounds needed: %w: alpha %v not in (0, 1)", ErrInvalidArgument, alpha)
	case !(power > 0 && power <= 1):
		return 0, 0, fmt.Errorf("rounds needed: %w: power %v not in (0, 1]", ErrInvalidArgument, power)
	case max < 3:
		return 0, 0, fmt.Errorf("rounds needed: %w: max %d rounds, want at least 3", ErrInvalidArgument, max)
	case sims < 1:
		return 0, 0, fmt.Errorf("rounds needed: %w: %d simulations", ErrInvalidArgument, sims)
	}
	logs := make([]float64, len(pilot))
	for i, v := range pilot {
		if !(v > 0) || math.IsInf(v, 0) {
			return 0, 0, fmt.Errorf("rounds needed: %w: pilot value %d is %v, want positive and finite", ErrInvalidArgument, i, v)
		}
		logs[i] = math.Log(v)
	}
	centre := Mean(logs)
	for i := range logs {
		logs[i] -= centre
	}
	// The test is on ranks, so multiplying B by ratio is adding its log.
	shift := math.Log(ratio)

	cache := nullCache{}
	x, y := make([]float64, max), make([]float64, max)
	for n = 3; n <= max; n++ {
		achieved = 0
		if MinP(n, n) > alpha {
			continue
		}
		hits := 0
		for range sims {
			for i := range n {
				x[i] = logs[rng.IntN(len(logs))]
				y[i] = logs[rng.IntN(len(logs))] + shift
			}
			if mannWhitney(x[:n], y[:n], cache).P <= alpha {
				hits++
			}
		}
		achieved = float64(hits) / float64(sims)
		if achieved >= power {
			return n, achieved, nil
		}
	}
	return max, achieved, nil
}

// RoundsForWidth returns the rounds needed to bring the half-width h of an
// interval measured with n rounds down to want, taking the half-width to
// shrink about as 1/sqrt(n): ceil(n*(h/want)^2), at least n. It returns 0,
// meaning no number of rounds is known to do it, when n < 1, want is not
// positive or h or want is not finite; it is capped at math.MaxInt.
func RoundsForWidth(n int, h, want float64) int {
	if n < 1 || !(want > 0) || !isFinite(want) || !isFinite(h) {
		return 0
	}
	r := h / want
	// The factor keeps rounding error from adding a round when h/want is
	// exactly a square root of a ratio of integers.
	need := math.Ceil(float64(n) * r * r * (1 - 1e-12))
	switch {
	case need >= math.MaxInt:
		return math.MaxInt
	case need <= float64(n):
		return n
	}
	return int(need)
}
