package stats

import (
	"math"
	"slices"
	"testing"
)

func TestQuantile(t *testing.T) {
	oneToTen := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	// Type 7: h = (n-1)q, x[floor h] + frac(h) * (x[floor h + 1] - x[floor h]),
	// worked by hand; numpy.quantile(range(1, 11), q) gives the same.
	tests := []struct {
		name string
		xs   []float64
		q    float64
		want float64
	}{
		{"1..10 q=0.95", oneToTen, 0.95, 9.55}, // h = 8.55: 9 + 0.55*(10-9)
		{"1..10 q=0.25", oneToTen, 0.25, 3.25}, // h = 2.25
		{"1..10 q=0.5", oneToTen, 0.5, 5.5},    // h = 4.5
		{"1..10 q=0", oneToTen, 0, 1},
		{"1..10 q=1", oneToTen, 1, 10},
		{"unsorted", []float64{10, 1, 4, 2}, 0.5, 3},         // sorted 1 2 4 10, h = 1.5
		{"unsorted q=0.9", []float64{10, 1, 4, 2}, 0.9, 8.2}, // h = 2.7: 4 + 0.7*6
		{"one value", []float64{7}, 0.3, 7},
		{"infinite", []float64{1, math.Inf(1), math.Inf(1)}, 0.9, math.Inf(1)},
		{"empty", nil, 0.5, math.NaN()},
		{"q below 0", oneToTen, -0.1, math.NaN()},
		{"q above 1", oneToTen, 1.1, math.NaN()},
		{"q NaN", oneToTen, math.NaN(), math.NaN()},
		{"NaN value", []float64{1, math.NaN(), 3}, 0.5, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.xs)
			got := Quantile(in, tt.q)
			if !approx(got, tt.want, 1e-12) {
				t.Errorf("Quantile(%v, %v): got %v, want %v", tt.xs, tt.q, got, tt.want)
			}
			if !slices.EqualFunc(in, tt.xs, func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }) {
				t.Errorf("Quantile modified its input: got %v, want %v", in, tt.xs)
			}
		})
	}
}

func TestMedianMeanCV(t *testing.T) {
	// By hand: 2 4 4 4 5 5 7 9 has mean 5, sum of squares 32, sample
	// variance 32/7.
	xs := []float64{2, 4, 4, 4, 5, 5, 7, 9}
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"median", Median(xs), 4.5},
		{"median odd", Median([]float64{3, 1, 2}), 2},
		{"median empty", Median(nil), math.NaN()},
		{"mean", Mean(xs), 5},
		{"mean empty", Mean(nil), math.NaN()},
		{"cv", CV(xs), math.Sqrt(32.0/7) / 5},
		{"cv one value", CV([]float64{3}), math.NaN()},
		{"cv zero mean", CV([]float64{-1, 1}), math.NaN()},
		{"cv constant", CV([]float64{4, 4, 4}), 0},
	}
	for _, tt := range tests {
		if !approx(tt.got, tt.want, 1e-12) {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

// approx reports whether got is within tol of want, relative to want's size
// when that exceeds 1; two NaN are close.
func approx(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}
