package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestRoundsNeededTinySpread(t *testing.T) {
	// Spread about 1%, a halving: every simulated experiment separates the
	// variants completely, which 3 rounds cannot make significant (MinP 0.1)
	// but 4 can (exact 0.029; with the ties of a resampled 4-value pilot the
	// normal approximation gives less).
	pilot := []float64{100, 101, 99, 100.5}
	n, power, err := RoundsNeeded(pilot, 0.5, 0.05, 0.8, 30, 200, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if n > 5 || power < 0.8 {
		t.Errorf("got %d rounds at power %v, want at most 5 at power >= 0.8", n, power)
	}
}

func TestRoundsNeededNoisy(t *testing.T) {
	// A pilot with a coefficient of variation of about 30%: smaller changes
	// need more rounds.
	rng := rand.New(rand.NewPCG(3, 4))
	pilot := make([]float64, 12)
	for i := range pilot {
		pilot[i] = 50 * math.Exp(0.3*rng.NormFloat64())
	}
	const max = 60
	prev := 0
	var got []int
	for _, ratio := range []float64{0.5, 0.7, 0.8, 0.9, 0.95} {
		n, power, err := RoundsNeeded(pilot, ratio, 0.05, 0.8, max, 200, rand.New(rand.NewPCG(5, 6)))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
		if n < prev {
			t.Errorf("ratio %v: got %d rounds, want at least %d (rounds for the larger change)", ratio, n, prev)
		}
		if n < max && power < 0.8 {
			t.Errorf("ratio %v: got %d rounds at power %v, want power >= 0.8 below max", ratio, n, power)
		}
		prev = n
	}
	if got[4] <= got[1] {
		t.Errorf("got %d rounds for ratio 0.95, want more than %d for 0.7", got[4], got[1])
	}
	// An increase is as hard to see as the matching decrease on the log
	// scale: 1/0.7 needs about as many rounds as 0.7.
	n, _, err := RoundsNeeded(pilot, 1/0.7, 0.05, 0.8, max, 200, rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		t.Fatal(err)
	}
	if d := n - got[1]; d < -2 || d > 2 {
		t.Errorf("ratio 1/0.7: got %d rounds, want %d ± 2 as for 0.7", n, got[1])
	}
	t.Logf("rounds for 0.5 0.7 0.8 0.9 0.95: %v", got)
}

func TestRoundsNeededNeverReached(t *testing.T) {
	// No change at all: power stays near alpha and the search ends at max.
	pilot := []float64{10, 12, 9, 14, 11, 8}
	n, power, err := RoundsNeeded(pilot, 1, 0.05, 0.8, 10, 100, rand.New(rand.NewPCG(7, 8)))
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 || power > 0.2 {
		t.Errorf("got %d rounds at power %v, want 10 at a power near 0.05", n, power)
	}
}

func TestRoundsNeededErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	pilot := []float64{1, 2, 3}
	tests := []struct {
		name         string
		pilot        []float64
		ratio, alpha float64
		power        float64
		max, sims    int
		rng          *rand.Rand
		want         error
	}{
		{"short pilot", []float64{1, 2}, 0.8, 0.05, 0.8, 10, 10, rng, ErrTooFewObservations},
		{"zero in pilot", []float64{1, 0, 3}, 0.8, 0.05, 0.8, 10, 10, rng, ErrInvalidArgument},
		{"NaN in pilot", []float64{1, math.NaN(), 3}, 0.8, 0.05, 0.8, 10, 10, rng, ErrInvalidArgument},
		{"ratio zero", pilot, 0, 0.05, 0.8, 10, 10, rng, ErrInvalidArgument},
		{"alpha one", pilot, 0.8, 1, 0.8, 10, 10, rng, ErrInvalidArgument},
		{"power zero", pilot, 0.8, 0.05, 0, 10, 10, rng, ErrInvalidArgument},
		{"max two", pilot, 0.8, 0.05, 0.8, 2, 10, rng, ErrInvalidArgument},
		{"no sims", pilot, 0.8, 0.05, 0.8, 10, 0, rng, ErrInvalidArgument},
		{"nil rng", pilot, 0.8, 0.05, 0.8, 10, 10, nil, ErrInvalidArgument},
	}
	for _, tt := range tests {
		_, _, err := RoundsNeeded(tt.pilot, tt.ratio, tt.alpha, tt.power, tt.max, tt.sims, tt.rng)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: got error %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestRoundsForWidth(t *testing.T) {
	tests := []struct {
		n       int
		h, want float64
		rounds  int
	}{
		{10, 2, 1, 40},     // 10 * 2^2
		{10, 0.3, 0.1, 90}, // 10 * 3^2, despite 0.3/0.1 = 2.9999999999999996
		{10, 1.5, 1, 23},   // ceil(22.5)
		{10, 0.5, 1, 10},   // already narrow enough: at least n
		{10, 0, 1, 10},     //
		{7, 1, 1, 7},       //
		{10, 1, 0, 0},      // want not positive
		{10, math.NaN(), 1, 0},
		{0, 1, 1, 0},
		{10, 1e300, 1e-300, math.MaxInt},
	}
	for _, tt := range tests {
		if got := RoundsForWidth(tt.n, tt.h, tt.want); got != tt.rounds {
			t.Errorf("RoundsForWidth(%d, %v, %v): got %d, want %d", tt.n, tt.h, tt.want, got, tt.rounds)
		}
	}
}
