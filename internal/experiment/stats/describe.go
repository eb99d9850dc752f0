package stats

import (
	"math"
	"slices"
)

// Quantile returns the q-quantile (0 <= q <= 1) of xs with linear
// interpolation between order statistics (Hyndman-Fan type 7, the R and
// NumPy default). xs is not modified. It returns NaN for an empty slice, for
// q outside [0, 1] and when xs holds a NaN.
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 || !(q >= 0 && q <= 1) {
		return math.NaN()
	}
	if slices.ContainsFunc(xs, math.IsNaN) {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return quantileSorted(s, q)
}

// quantileSorted is Quantile for sorted s without NaN, 0 <= q <= 1.
func quantileSorted(s []float64, q float64) float64 {
	h := float64(len(s)-1) * q
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	frac := h - float64(lo)
	if frac == 0 || s[lo] == s[lo+1] { // equal: no Inf-Inf = NaN
		return s[lo]
	}
	return s[lo] + frac*(s[lo+1]-s[lo])
}

// Median returns the median of xs, Quantile(xs, 0.5); NaN for an empty
// slice.
func Median(xs []float64) float64 {
	return Quantile(xs, 0.5)
}

// Mean returns the arithmetic mean of xs; NaN for an empty slice.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// CV is the coefficient of variation (sample standard deviation / mean) of
// xs; NaN for fewer than 2 values or a zero mean. It is negative when the
// mean is.
func CV(xs []float64) float64 {
	if len(xs) < 2 {
		return math.NaN()
	}
	m := Mean(xs)
	if m == 0 {
		return math.NaN()
	}
	var ss float64
	for _, x := range xs {
		d := x - m
		ss += d * d
	}
	return math.Sqrt(ss/float64(len(xs)-1)) / m
}

// normCDF is the standard normal distribution function.
func normCDF(z float64) float64 {
	return 0.5 * math.Erfc(-z/math.Sqrt2)
}

// normQuantile is the inverse of normCDF.
func normQuantile(p float64) float64 {
	return -math.Sqrt2 * math.Erfcinv(2*p)
}
