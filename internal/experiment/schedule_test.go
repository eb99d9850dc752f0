package experiment

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestScheduleConstant(t *testing.T) {
	s := &Spec{Workload: Workload{Rate: "10/s", Requests: 5}}
	got := schedule(s, 0)
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond, 400 * time.Millisecond}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if d := got[i] - want[i]; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("request %d due at %v, want %v", i, got[i], want[i])
		}
	}
}

func TestScheduleCount(t *testing.T) {
	// A count given to schedule (warm-up) wins over the workload's.
	s := &Spec{Workload: Workload{Rate: "30/m", Requests: 5}}
	got := schedule(s, 3)
	want := []time.Duration{0, 2 * time.Second, 4 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestScheduleDuration(t *testing.T) {
	s := &Spec{Workload: Workload{Rate: "4/s", Duration: "1s"}}
	got := schedule(s, 0)
	if len(got) != 4 {
		t.Fatalf("got %d requests %v, want 4", len(got), got)
	}
	for _, at := range got {
		if at >= time.Second {
			t.Errorf("request due at %v, after the block's second", at)
		}
	}
}

func TestScheduleRamp(t *testing.T) {
	for _, w := range []Workload{
		{Ramp: &Ramp{From: "1/s", To: "10/s"}, Requests: 20},
		{Ramp: &Ramp{From: "1/s", To: "10/s"}, Duration: "5s"},
	} {
		got := schedule(&Spec{Workload: w}, 0)
		if len(got) < 5 {
			t.Fatalf("%+v: only %d requests", w, len(got))
		}
		if got[0] != 0 || got[1] != time.Second {
			t.Errorf("%+v: first gap %v, want 1s (the starting rate)", w, got[1]-got[0])
		}
		for i := 2; i < len(got); i++ {
			prev, gap := got[i-1]-got[i-2], got[i]-got[i-1]
			if gap > prev {
				t.Errorf("%+v: gap %d is %v, longer than the one before, %v: the rate must rise", w, i, gap, prev)
			}
		}
		last := got[len(got)-1] - got[len(got)-2]
		if last >= got[1]/2 {
			t.Errorf("%+v: last gap %v, want well under the first, %v", w, last, got[1])
		}
	}
	// Falling: the gaps grow.
	got := schedule(&Spec{Workload: Workload{Ramp: &Ramp{From: "10/s", To: "1/s"}, Requests: 20}}, 0)
	for i := 2; i < len(got); i++ {
		if got[i]-got[i-1] < got[i-1]-got[i-2] {
			t.Errorf("falling ramp: gap %d shorter than the one before (%v)", i, got)
			break
		}
	}
}

func TestRoundOrderABBA(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round, want := range [][]int{{0, 1, 2}, {2, 1, 0}, {0, 1, 2}, {2, 1, 0}} {
		if got := roundOrder("abba", 3, round, rng); !slices.Equal(got, want) {
			t.Errorf("round %d: got %v, want %v", round, got, want)
		}
	}
}

func TestRoundOrderRandom(t *testing.T) {
	orders := func(seed uint64) [][]int {
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		var out [][]int
		for round := 0; round < 20; round++ {
			out = append(out, roundOrder("random", 4, round, rng))
		}
		return out
	}
	a, b := orders(7), orders(7)
	firsts := map[int]bool{}
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Errorf("round %d: %v and %v from the same seed", i, a[i], b[i])
		}
		sorted := slices.Sorted(slices.Values(a[i]))
		if !slices.Equal(sorted, []int{0, 1, 2, 3}) {
			t.Errorf("round %d: %v is not a permutation of 0..3", i, a[i])
		}
		firsts[a[i][0]] = true
	}
	if len(firsts) < 2 {
		t.Errorf("the same variant goes first in all 20 rounds: %v", a)
	}
	c := orders(8)
	same := true
	for i := range a {
		same = same && slices.Equal(a[i], c[i])
	}
	if same {
		t.Errorf("seeds 7 and 8 give the same orders")
	}
}
