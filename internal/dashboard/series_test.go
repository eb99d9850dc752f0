package dashboard

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// rec is a record that started at offset from t0 and ran for dur.
func rec(offset, dur time.Duration, outcome model.Outcome, cold bool) model.Invocation {
	return model.Invocation{Function: "f", Start: t0.Add(offset), Duration: dur, Outcome: outcome, Cold: cold, Cost: 0.5}
}

func f(v float64) *float64 { return &v }

func TestDefaultStep(t *testing.T) {
	for _, c := range []struct {
		window time.Duration
		want   time.Duration
	}{
		{time.Minute, time.Second},
		{2 * time.Minute, time.Second},
		{2*time.Minute + time.Second, 2 * time.Second},
		{15 * time.Minute, 10 * time.Second},
		{time.Hour, 30 * time.Second},
		{24 * time.Hour, 15 * time.Minute},
		{30 * 24 * time.Hour, 12 * time.Hour},
		{400 * 24 * time.Hour, 4 * 24 * time.Hour},
	} {
		got := DefaultStep(t0.Add(-c.window), t0)
		if got != c.want {
			t.Errorf("DefaultStep over %s = %s, want %s", c.window, got, c.want)
		}
		if n, _ := bucketCount(t0.Add(-c.window), t0, got); n > DefaultBuckets {
			t.Errorf("DefaultStep over %s makes %d buckets, want at most %d", c.window, n, DefaultBuckets)
		}
	}
}

func TestCheckStep(t *testing.T) {
	for _, c := range []struct {
		window, step time.Duration
		err          string
	}{
		{time.Hour, 10 * time.Second, ""},
		{time.Hour, 500 * time.Millisecond, "a second or more"},
		{30 * 24 * time.Hour, time.Second, "give a longer step"},
	} {
		err := CheckStep(t0.Add(-c.window), t0, c.step)
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("CheckStep(%s, %s) = %v, want %q", c.window, c.step, err, c.err)
		}
	}
}

func TestBuckets(t *testing.T) {
	sec := time.Second
	ms := time.Millisecond
	for _, c := range []struct {
		name         string
		records      []model.Invocation
		since, until time.Time
		step         time.Duration
		want         Series
	}{
		{
			name: "empty window", since: t0, until: t0, step: sec,
			want: Series{Resource: "f", Step: 1, T: []int64{}, Rate: []float64{}, Errors: []int{}, P50: []*float64{}, P95: []*float64{},
				P99: []*float64{}, Cold: []int{}, Throttles: []int{}, Concurrency: []int{}, Cost: []float64{}},
		},
		{
			name: "no records: counts 0, latencies null", since: t0, until: t0.Add(2 * sec), step: sec,
			want: Series{Resource: "f", Step: 1, T: []int64{t0.Unix(), t0.Unix() + 1}, Rate: []float64{0, 0}, Errors: []int{0, 0},
				P50: []*float64{nil, nil}, P95: []*float64{nil, nil}, P99: []*float64{nil, nil}, Cold: []int{0, 0},
				Throttles: []int{0, 0}, Concurrency: []int{0, 0}, Cost: []float64{0, 0}},
		},
		{
			name: "counts, percentiles, throttles and overlap per bucket",
			records: []model.Invocation{
				rec(0, 100*ms, model.OutcomeOK, true),
				rec(50*ms, 200*ms, model.OutcomeHandledError, false),
				rec(100*ms, 300*ms, model.OutcomeOK, false), // starts as the first ends: 2 at once, not 3
				rec(500*ms, 0, model.OutcomeThrottled, false),
				rec(10*sec+100*ms, 40*ms, model.OutcomeTimeout, false),
				rec(-sec, 5*sec, model.OutcomeOK, false), // before the window: busy over both buckets, not counted
				rec(20*sec, ms, model.OutcomeOK, false),  // after it
			},
			since: t0, until: t0.Add(20 * sec), step: 10 * sec,
			want: Series{Resource: "f", Step: 10, T: []int64{t0.Unix(), t0.Unix() + 10}, Rate: []float64{0.4, 0.1}, Errors: []int{1, 1},
				P50: []*float64{f(200), f(40)}, P95: []*float64{f(300), f(40)}, P99: []*float64{f(300), f(40)},
				Cold: []int{1, 0}, Throttles: []int{1, 0}, Concurrency: []int{3, 1}, Cost: []float64{2, 0.5}},
		},
		{
			name: "since aligned down to the step",
			records: []model.Invocation{
				rec(-500*ms, 10*ms, model.OutcomeOK, false), // before since, in the aligned bucket: not counted
				rec(1500*ms, 10*ms, model.OutcomeOK, false),
			},
			since: t0.Add(-300 * ms), until: t0.Add(1700 * ms), step: sec,
			want: Series{Resource: "f", Step: 1, T: []int64{t0.Unix() - 1, t0.Unix(), t0.Unix() + 1}, Rate: []float64{0, 0, 1},
				Errors: []int{0, 0, 0}, P50: []*float64{nil, nil, f(10)}, P95: []*float64{nil, nil, f(10)}, P99: []*float64{nil, nil, f(10)},
				Cold: []int{0, 0, 0}, Throttles: []int{0, 0, 0}, Concurrency: []int{1, 0, 1}, Cost: []float64{0, 0, 0.5}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Buckets("f", c.records, c.since, c.until, c.step)
			if !reflect.DeepEqual(got, c.want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(c.want)
				t.Errorf("got  %s\nwant %s", g, w)
			}
		})
	}
}

// The 99th percentile of 100 values is the 99th; the median the 50th.
func TestBucketsPercentiles(t *testing.T) {
	var recs []model.Invocation
	for i := 100; i >= 1; i-- {
		recs = append(recs, rec(time.Duration(i)*time.Millisecond, time.Duration(i)*time.Millisecond, model.OutcomeOK, false))
	}
	s := Buckets("f", recs, t0, t0.Add(time.Minute), time.Minute)
	if *s.P50[0] != 50 || *s.P95[0] != 95 || *s.P99[0] != 99 {
		t.Errorf("p50 %v p95 %v p99 %v, want 50, 95, 99", *s.P50[0], *s.P95[0], *s.P99[0])
	}
}

func TestBusy(t *testing.T) {
	r := model.Invocation{Start: t0, QueueWait: time.Second, InitDuration: 2 * time.Second, Duration: 3 * time.Second, Outcome: model.OutcomeOK}
	from, to, ok := Busy(r)
	if !ok || !from.Equal(t0.Add(time.Second)) || !to.Equal(t0.Add(6*time.Second)) {
		t.Errorf("Busy = %v, %v, %v; want 1s to 6s after the start", from, to, ok)
	}
	r.Outcome = model.OutcomeThrottled
	if _, _, ok := Busy(r); ok {
		t.Errorf("a throttled invocation is busy")
	}
}

// Windows as long as time allows neither overflow nor panic.
func TestBucketsHugeWindow(t *testing.T) {
	since := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	until := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := CheckStep(since, until, time.Second); err == nil {
		t.Errorf("CheckStep over 9998 years by the second: no error")
	}
	step := DefaultStep(since, until)
	if err := CheckStep(since, until, step); err != nil {
		t.Fatalf("DefaultStep %s over 9998 years: %v", step, err)
	}
	if s := Buckets("f", nil, since, until, step); len(s.T) == 0 || len(s.T) > MaxBuckets {
		t.Errorf("%d buckets", len(s.T))
	}
}
