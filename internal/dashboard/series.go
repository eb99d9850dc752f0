package dashboard

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// Series is one function's metrics over time (GET /v1/series): one value
// per bucket of Step seconds; bucket i covers [T[i], T[i]+Step). Counts are
// per bucket and 0 in a bucket without invocations; the latency percentiles
// (ms, over the invocations that ran) are null in a bucket where none ran.
type Series struct {
	Resource string `json:"resource"`
	// Step is the width of a bucket in seconds.
	Step float64 `json:"step"`
	// T is each bucket's start, in Unix seconds.
	T []int64 `json:"t"`
	// Rate is invocations per second (throttled ones included).
	Rate   []float64  `json:"rate"`
	Errors []int      `json:"errors"`
	P50    []*float64 `json:"p50"`
	P95    []*float64 `json:"p95"`
	P99    []*float64 `json:"p99"`
	Cold   []int      `json:"cold"`
	// Throttles are the invocations refused for lack of concurrency.
	Throttles []int `json:"throttles"`
	// Concurrency is the most invocations running at one time in the
	// bucket (see Busy).
	Concurrency []int `json:"concurrency"`
	// Cost is in USD.
	Cost []float64 `json:"cost"`
}

// MaxBuckets bounds the buckets of one series (a step given by the
// client); DefaultBuckets is the most DefaultStep chooses.
const (
	MaxBuckets     = 10000
	DefaultBuckets = 120
)

// steps are the bucket widths DefaultStep chooses from.
var steps = []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// DefaultStep is the smallest round step (1s, 2s, 5s, 10s, ..., 1h, ... 1d)
// that splits [since, until) into at most DefaultBuckets buckets, counting
// the partial bucket that Buckets' alignment adds.
func DefaultStep(since, until time.Time) time.Duration {
	for _, s := range steps {
		if n, _ := bucketCount(since, until, s); n <= DefaultBuckets {
			return s
		}
	}
	span := until.Sub(since)
	return (span/DefaultBuckets + 24*time.Hour).Truncate(24 * time.Hour)
}

// CheckStep returns an error naming the fix when step cannot bucket
// [since, until): shorter than a second, or too many buckets.
func CheckStep(since, until time.Time, step time.Duration) error {
	if step < time.Second {
		return fmt.Errorf("step=%s: give a step of a second or more (10s, 1m)", step)
	}
	if n, _ := bucketCount(since, until, step); n > MaxBuckets {
		return fmt.Errorf("step=%s makes %d buckets of [since, until): give a longer step or a shorter window (at most %d buckets)", step, n, MaxBuckets)
	}
	return nil
}

// bucketCount is how many buckets of step cover [since, until) once since
// is aligned down to a multiple of step (so that buckets stay put as the
// window slides), and the aligned start.
func bucketCount(since, until time.Time, step time.Duration) (int, time.Time) {
	start := since.Truncate(step)
	if !until.After(start) {
		return 0, start
	}
	// Sub saturates for spans past ~292 years; rounding up must not
	// overflow it.
	span := until.Sub(start)
	n := span / step
	if span%step != 0 {
		n++
	}
	return int(n), start
}

// Busy is when an invocation occupied its instance: from when it got one
// (Start plus QueueWait) for its init (when cold) and its duration.
// Throttled invocations never ran and are never busy.
func Busy(inv model.Invocation) (from, to time.Time, ok bool) {
	if inv.Outcome == model.OutcomeThrottled {
		return time.Time{}, time.Time{}, false
	}
	from = inv.Start.Add(inv.QueueWait)
	return from, from.Add(inv.InitDuration + inv.Duration), true
}

// Buckets splits the invocation records of one function over [since,
// until) into buckets of step, since aligned down to a multiple of step.
// Records are counted in the bucket they started in; records that started
// before the window still count towards its concurrency while busy. step
// must pass CheckStep.
func Buckets(resource string, records []model.Invocation, since, until time.Time, step time.Duration) Series {
	n, start := bucketCount(since, until, step)
	s := Series{Resource: resource, Step: step.Seconds(), T: make([]int64, n), Rate: make([]float64, n), Errors: make([]int, n),
		P50: make([]*float64, n), P95: make([]*float64, n), P99: make([]*float64, n), Cold: make([]int, n),
		Throttles: make([]int, n), Concurrency: make([]int, n), Cost: make([]float64, n)}
	if n == 0 {
		return s
	}
	end := start.Add(time.Duration(n) * step)
	index := func(t time.Time) int { return int(t.Sub(start) / step) }
	durs := make([][]time.Duration, n)
	for i := range n {
		s.T[i] = start.Add(time.Duration(i) * step).Unix()
	}
	for _, r := range records {
		if r.Start.Before(since) || !r.Start.Before(until) {
			continue
		}
		i := index(r.Start)
		s.Rate[i]++
		s.Cost[i] += r.Cost
		switch {
		case r.Outcome == model.OutcomeThrottled:
			s.Throttles[i]++
			continue
		case r.Outcome.IsError():
			s.Errors[i]++
		}
		if r.Cold {
			s.Cold[i]++
		}
		durs[i] = append(durs[i], r.Duration)
	}
	for i := range n {
		s.Rate[i] /= step.Seconds()
		if len(durs[i]) > 0 {
			s.P50[i], s.P95[i], s.P99[i] = ms(rank(durs[i], 0.50)), ms(rank(durs[i], 0.95)), ms(rank(durs[i], 0.99))
		}
	}
	concurrency(s.Concurrency, records, start, end, step)
	return s
}

// concurrency sets peak[i] to the most records busy at one time in bucket
// i of [start, end): a sweep over the records' busy intervals, where an
// interval ending when another starts does not overlap it.
func concurrency(peak []int, records []model.Invocation, start, end time.Time, step time.Duration) {
	type event struct {
		at    time.Time
		delta int
	}
	var evs []event
	for _, r := range records {
		from, to, ok := Busy(r)
		if !ok || !to.After(start) || !from.Before(end) {
			continue
		}
		if !to.After(from) {
			to = from.Add(time.Nanosecond) // an instant still ran
		}
		evs = append(evs, event{from, 1}, event{to, -1})
	}
	slices.SortFunc(evs, func(a, b event) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.delta, b.delta)) })
	busy := 0
	for k, e := range evs {
		busy += e.delta
		if busy == 0 || k+1 == len(evs) {
			continue
		}
		// busy holds over [e.at, next); raise every bucket it touches.
		lo, hi := e.at, evs[k+1].at
		if !hi.After(lo) {
			continue
		}
		if lo.Before(start) {
			lo = start
		}
		if hi.After(end) {
			hi = end
		}
		if !hi.After(lo) {
			continue
		}
		for i := int(lo.Sub(start) / step); i < len(peak) && start.Add(time.Duration(i)*step).Before(hi); i++ {
			if busy > peak[i] {
				peak[i] = busy
			}
		}
	}
}

// rank is the nearest-rank q-quantile of ds (as the store's stats); it
// sorts ds.
func rank(ds []time.Duration, q float64) time.Duration {
	slices.Sort(ds)
	i := int(math.Ceil(q*float64(len(ds)))) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

func ms(d time.Duration) *float64 {
	v := float64(d) / float64(time.Millisecond)
	return &v
}
