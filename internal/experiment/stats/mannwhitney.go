package stats

import (
	"cmp"
	"math"
	"slices"
)

// exactMax is the largest sample size, on either side, for which
// MannWhitneyU computes the exact null distribution (when there are no
// ties). The distribution for 50 and 50 takes about a megabyte and a few
// million additions.
const exactMax = 50

// MannWhitney is the Mann-Whitney U (Wilcoxon rank-sum) test of x against y.
type MannWhitney struct {
	// N1 and N2 are the numbers of values of x and y that were compared
	// (NaN values are left out).
	N1, N2 int
	// U of x: the number of pairs (x_i, y_j) with x_i > y_j, plus half the
	// ties.
	U float64
	// P is the two-sided p-value, min(1, 2*min(PLess, PGreater)).
	P float64
	// PLess is the one-sided p-value for the alternative "x tends to be
	// smaller than y".
	PLess float64
	// PGreater is the one-sided p-value for "x tends to be larger than y".
	PGreater float64
	// Exact reports that the p-values come from the exact null distribution
	// (no ties and both samples of at most 50 values); otherwise they come
	// from the normal approximation with tie correction and continuity
	// correction.
	Exact bool
	// RankBiserial is the effect size r = 2U/(N1*N2) - 1 in [-1, 1]: positive
	// when x tends to be larger. NaN when either sample is empty.
	RankBiserial float64
	// CommonLanguage is P(X > Y) + P(X = Y)/2, the probability that a random
	// x exceeds a random y. NaN when either sample is empty.
	CommonLanguage float64
}

// MannWhitneyU runs the Mann-Whitney U test of x against y. NaN values are
// left out. When either sample is empty there is nothing to test: U is 0,
// the p-values are 1 and the effect sizes NaN.
func MannWhitneyU(x, y []float64) MannWhitney {
	return mannWhitney(x, y, nil)
}

// nullCache keeps exact null distributions by sample sizes, for callers
// that run many tests of the same sizes.
type nullCache map[[2]int][]float64

// mannWhitney is MannWhitneyU with an optional cache of null distributions.
func mannWhitney(x, y []float64, cache nullCache) MannWhitney {
	type obs struct {
		v   float64
		inX bool
	}
	all := make([]obs, 0, len(x)+len(y))
	for _, v := range x {
		if !math.IsNaN(v) {
			all = append(all, obs{v, true})
		}
	}
	n1 := len(all)
	for _, v := range y {
		if !math.IsNaN(v) {
			all = append(all, obs{v, false})
		}
	}
	n2 := len(all) - n1
	r := MannWhitney{N1: n1, N2: n2}
	if n1 == 0 || n2 == 0 {
		r.P, r.PLess, r.PGreater = 1, 1, 1
		r.RankBiserial, r.CommonLanguage = math.NaN(), math.NaN()
		return r
	}
	slices.SortFunc(all, func(a, b obs) int { return cmp.Compare(a.v, b.v) })

	// Walk the groups of equal values: each x counts the y below it and
	// half the y tied with it. tieSum is sum(t^3 - t) over the groups.
	var u, tieSum float64
	yBelow := 0
	for i := 0; i < len(all); {
		j := i
		gx, gy := 0, 0
		for ; j < len(all) && all[j].v == all[i].v; j++ {
			if all[j].inX {
				gx++
			} else {
				gy++
			}
		}
		u += float64(gx) * (float64(yBelow) + float64(gy)/2)
		if t := float64(j - i); t > 1 {
			tieSum += t*t*t - t
		}
		yBelow += gy
		i = j
	}
	r.U = u
	nn := float64(n1) * float64(n2)
	r.CommonLanguage = u / nn
	r.RankBiserial = 2*u/nn - 1

	if tieSum == 0 && n1 <= exactMax && n2 <= exactMax {
		r.Exact = true
		cdf := nullCDF(n1, n2, cache)
		ui := int(u)
		r.PLess = cdf[ui]
		r.PGreater = cdf[n1*n2-ui] // the distribution is symmetric about n1*n2/2
	} else {
		r.PLess, r.PGreater = normalTails(u, n1, n2, tieSum)
	}
	r.P = math.Min(1, 2*math.Min(r.PLess, r.PGreater))
	return r
}

// normalTails returns the one-sided p-values P(U <= u) and P(U >= u) from
// the normal approximation: mean n1*n2/2, variance with the tie correction
// n1*n2/12 * ((n+1) - tieSum/(n(n-1))) and continuity correction 0.5. With
// every value tied the variance is zero and both are 1.
func normalTails(u float64, n1, n2 int, tieSum float64) (less, greater float64) {
	nn := float64(n1) * float64(n2)
	n := float64(n1 + n2)
	variance := nn / 12 * ((n + 1) - tieSum/(n*(n-1)))
	if !(variance > 0) {
		return 1, 1
	}
	sd := math.Sqrt(variance)
	mu := nn / 2
	return math.Min(1, normCDF((u-mu+0.5)/sd)), math.Min(1, normCDF((mu-u+0.5)/sd))
}

// nullCDF returns P(U <= u) for u = 0..n1*n2 under the null hypothesis
// without ties, from cache when it has it.
func nullCDF(n1, n2 int, cache nullCache) []float64 {
	if n1 > n2 {
		n1, n2 = n2, n1 // the distribution of U is the same either way
	}
	key := [2]int{n1, n2}
	if cdf, ok := cache[key]; ok {
		return cdf
	}
	cdf := exactNullCDF(n1, n2)
	if cache != nil {
		cache[key] = cdf
	}
	return cdf
}

// exactNullCDF counts the arrangements of n1 x and n2 y by their U with the
// recurrence f(i, j, u) = f(i-1, j, u-j) + f(i, j-1, u): the largest of i+j
// values is either an x, above all j y, or a y. Only additions of
// non-negative counts, so float64 keeps every count to full relative
// precision (C(100, 50) is about 1e29, far below the float64 range).
func exactNullCDF(n1, n2 int) []float64 {
	width := n1*n2 + 1
	f := make([]float64, (n1+1)*width) // row i holds f(i, j, ·) for the current j
	for i := 0; i <= n1; i++ {
		f[i*width] = 1 // j = 0: one arrangement, U = 0
	}
	for j := 1; j <= n2; j++ {
		for i := 1; i <= n1; i++ {
			row, prev := f[i*width:(i+1)*width], f[(i-1)*width:i*width]
			for u := j; u <= i*j; u++ {
				row[u] += prev[u-j]
			}
		}
	}
	counts := f[n1*width:]
	var total float64
	for _, c := range counts {
		total += c
	}
	cdf := make([]float64, width)
	var acc float64
	for u, c := range counts {
		acc += c
		cdf[u] = math.Min(1, acc/total)
	}
	return cdf
}

// MinP is the smallest two-sided p-value the exact test can reach with n1
// and n2 observations (2 / C(n1+n2, n1), capped at 1): when it exceeds
// alpha no difference can ever be significant. It is 1 when either size is
// below 1.
func MinP(n1, n2 int) float64 {
	if n1 < 1 || n2 < 1 {
		return 1
	}
	k := min(n1, n2)
	n := n1 + n2
	c := 1.0
	for i := 1; i <= k; i++ {
		c = c * float64(n-k+i) / float64(i)
	}
	return math.Min(1, 2/c)
}
