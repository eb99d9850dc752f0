package stats

import (
	"math"
	"testing"
)

func TestHolm(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		p    []float64
		want []float64
	}{
		{
			// By hand, m = 4: sorted 0.005*4 = 0.02, 0.01*3 = 0.03,
			// 0.03*2 = 0.06, 0.04*1 = 0.04 raised to 0.06. R's
			// p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") gives the same.
			name: "hand", p: []float64{0.01, 0.04, 0.03, 0.005},
			want: []float64{0.03, 0.06, 0.06, 0.02},
		},
		{
			// 0.2*3 = 0.6, 0.4*2 = 0.8, 0.9*1 = 0.9.
			name: "none significant", p: []float64{0.9, 0.2, 0.4},
			want: []float64{0.9, 0.6, 0.8},
		},
		{
			name: "capped at 1", p: []float64{0.5, 0.6, 0.01},
			want: []float64{1, 1, 0.03},
		},
		{
			name: "ties", p: []float64{0.02, 0.02, 0.5},
			want: []float64{0.06, 0.06, 0.5},
		},
		{name: "one", p: []float64{0.03}, want: []float64{0.03}},
		{
			// NaN counts in m = 3 and sorts last: 0.01*3, 0.02*2.
			name: "NaN", p: []float64{0.02, nan, 0.01},
			want: []float64{0.04, nan, 0.03},
		},
		{name: "empty", p: nil, want: []float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Holm(tt.p)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if !approx(got[i], tt.want[i], 1e-12) {
					t.Errorf("got %v, want %v", got, tt.want)
					break
				}
			}
		})
	}
}
