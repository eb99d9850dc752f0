package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// simulateRounds draws rounds of perRound observations for one variant:
// lognormal noise around a level that moves with the round (shared, the
// effect every variant sees in that round) and with the variant's own run
// in that round (own), so observations within a round are correlated.
func simulateRounds(rng *rand.Rand, shared []float64, scale, ownSD, noiseSD float64, perRound int) [][]float64 {
	rounds := make([][]float64, len(shared))
	for i, s := range shared {
		own := ownSD * rng.NormFloat64()
		for range perRound {
			rounds[i] = append(rounds[i], scale*math.Exp(s+own+noiseSD*rng.NormFloat64()))
		}
	}
	return rounds
}

func sharedEffects(rng *rand.Rand, rounds int, sd float64) []float64 {
	s := make([]float64, rounds)
	for i := range s {
		s[i] = sd * rng.NormFloat64()
	}
	return s
}

func TestBootstrapRatioExactDouble(t *testing.T) {
	// B = 2A observation by observation: every resample has ratio exactly 2
	// (doubling is exact in floating point, and median and mean scale).
	rng := rand.New(rand.NewPCG(1, 2))
	a := simulateRounds(rng, sharedEffects(rng, 8, 0.3), 20, 0.2, 0.4, 6)
	b := make([][]float64, len(a))
	for i := range a {
		for _, v := range a[i] {
			b[i] = append(b[i], 2*v)
		}
	}
	for _, tt := range []struct {
		name string
		stat func([]float64) float64
	}{{"median", Median}, {"mean", Mean}, {"p90", func(xs []float64) float64 { return Quantile(xs, 0.9) }}} {
		got, err := BootstrapRatio(a, b, tt.stat, 0.95, 500, rand.New(rand.NewPCG(3, 4)))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got.Estimate != 2 || math.Abs(got.Lo-2) > 1e-12 || math.Abs(got.Hi-2) > 1e-12 {
			t.Errorf("%s: got %v [%v, %v], want 2 [2, 2]", tt.name, got.Estimate, got.Lo, got.Hi)
		}
		if got.Level != 0.95 || got.Resamples != 500 {
			t.Errorf("%s: got level %v resamples %d, want 0.95 500", tt.name, got.Level, got.Resamples)
		}
	}
}

func TestBootstrapRatioCoverage(t *testing.T) {
	// A/A calibration: A and B from the same distribution, so the true ratio
	// of medians is 1 and a 95% interval should cover it in about 95% of
	// experiments; with 10 rounds the bootstrap is known to run a little
	// narrow, so ask for 88%.
	const experiments = 200
	rng := rand.New(rand.NewPCG(5, 6))
	covered := 0
	for range experiments {
		shared := sharedEffects(rng, 10, 0.3)
		a := simulateRounds(rng, shared, 40, 0.15, 0.4, 5)
		b := simulateRounds(rng, shared, 40, 0.15, 0.4, 5)
		iv, err := BootstrapRatio(a, b, Median, 0.95, 400, rng)
		if err != nil {
			t.Fatal(err)
		}
		if iv.Lo > iv.Hi || iv.Estimate <= 0 {
			t.Fatalf("got interval %+v, want Lo <= Hi and a positive estimate", iv)
		}
		if iv.Lo <= 1 && 1 <= iv.Hi {
			covered++
		}
	}
	if got := float64(covered) / experiments; got < 0.88 {
		t.Errorf("got coverage %v of %d A/A experiments, want at least 0.88", got, experiments)
	} else {
		t.Logf("coverage %v", got)
	}
}

func TestBootstrapRatioShift(t *testing.T) {
	// B 30% slower than A with noise: the interval should hold 1.3 and
	// exclude 1.
	rng := rand.New(rand.NewPCG(7, 8))
	shared := sharedEffects(rng, 20, 0.2)
	a := simulateRounds(rng, shared, 100, 0.05, 0.2, 8)
	b := simulateRounds(rng, shared, 130, 0.05, 0.2, 8)
	iv, err := BootstrapRatio(a, b, Median, 0.95, 1000, rand.New(rand.NewPCG(9, 10)))
	if err != nil {
		t.Fatal(err)
	}
	if !(iv.Lo <= 1.3 && 1.3 <= iv.Hi) || iv.Lo <= 1 {
		t.Errorf("got %v [%v, %v], want an interval holding 1.3 and above 1", iv.Estimate, iv.Lo, iv.Hi)
	}
	if !(iv.Lo <= iv.Estimate && iv.Estimate <= iv.Hi) {
		t.Errorf("got %v outside [%v, %v], want inside", iv.Estimate, iv.Lo, iv.Hi)
	}
	// Same seed, same interval.
	again, _ := BootstrapRatio(a, b, Median, 0.95, 1000, rand.New(rand.NewPCG(9, 10)))
	if again != iv {
		t.Errorf("got %+v on a second run with the same seed, want %+v", again, iv)
	}
}

func TestBootstrapRatioDropsEmptyRounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	shared := sharedEffects(rng, 6, 0.2)
	a := simulateRounds(rng, shared, 10, 0.1, 0.3, 4)
	b := simulateRounds(rng, shared, 12, 0.1, 0.3, 4)
	want, err := BootstrapRatio(a, b, Mean, 0.9, 300, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	// A round where B failed to record and one where A did: both dropped.
	a2 := append([][]float64{{1000}, nil}, a...)
	b2 := append([][]float64{nil, {1000}}, b...)
	got, err := BootstrapRatio(a2, b2, Mean, 0.9, 300, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("got %+v, want %+v as without the half-empty rounds", got, want)
	}
}

func TestBootstrapRatioErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	two := [][]float64{{1, 2}, {3}}
	tests := []struct {
		name      string
		a, b      [][]float64
		stat      func([]float64) float64
		level     float64
		resamples int
		rng       *rand.Rand
		want      error
	}{
		{"nil stat", two, two, nil, 0.95, 10, rng, ErrInvalidArgument},
		{"nil rng", two, two, Mean, 0.95, 10, nil, ErrInvalidArgument},
		{"level 1", two, two, Mean, 1, 10, rng, ErrInvalidArgument},
		{"level 0", two, two, Mean, 0, 10, rng, ErrInvalidArgument},
		{"no resamples", two, two, Mean, 0.95, 0, rng, ErrInvalidArgument},
		{"unpaired", two, two[:1], Mean, 0.95, 10, rng, ErrInvalidArgument},
		{"one round", two[:1], two[:1], Mean, 0.95, 10, rng, ErrTooFewObservations},
		{"one full round", [][]float64{{1}, {}}, [][]float64{{1}, {2}}, Mean, 0.95, 10, rng, ErrTooFewObservations},
		{"A zero", [][]float64{{0}, {0}}, two, Mean, 0.95, 10, rng, ErrUndefinedRatio},
	}
	for _, tt := range tests {
		_, err := BootstrapRatio(tt.a, tt.b, tt.stat, tt.level, tt.resamples, tt.rng)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: got error %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestBootstrapRatioSkipsUndefinedResamples(t *testing.T) {
	// A is zero in one of three rounds: resamples drawing only that round
	// have no ratio and are left out.
	a := [][]float64{{0}, {2}, {4}}
	b := [][]float64{{1}, {2}, {3}}
	iv, err := BootstrapRatio(a, b, Mean, 0.9, 2000, rand.New(rand.NewPCG(2, 3)))
	if err != nil {
		t.Fatal(err)
	}
	// P(all three draws are round 0) = 1/27: about 74 of 2000 left out.
	if iv.Resamples >= 2000 || iv.Resamples < 1800 {
		t.Errorf("got %d resamples, want about 2000*26/27", iv.Resamples)
	}
	if iv.Estimate != 1 {
		t.Errorf("got estimate %v, want (6/3)/(6/3) = 1", iv.Estimate)
	}
}
