package stats

import (
	"cmp"
	"math"
	"slices"
)

// Holm returns Holm-Bonferroni adjusted p-values for the family p (same
// order), each capped at 1 and monotone as the method requires: the i-th
// smallest p (from 0) is multiplied by len(p)-i and raised to the largest
// adjusted value before it. A NaN in p counts in the size of the family and
// gives NaN in its place.
func Holm(p []float64) []float64 {
	m := len(p)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		a, b := p[i], p[j]
		switch {
		case math.IsNaN(a) && math.IsNaN(b):
			return 0
		case math.IsNaN(a):
			return 1
		case math.IsNaN(b):
			return -1
		}
		return cmp.Compare(a, b)
	})
	adj := make([]float64, m)
	var running float64
	for rank, i := range order {
		if math.IsNaN(p[i]) {
			adj[i] = math.NaN()
			continue
		}
		running = math.Max(running, math.Min(1, float64(m-rank)*p[i]))
		adj[i] = running
	}
	return adj
}
