package critpath

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// sp makes a span from millisecond offsets.
func sp(id, parent, resource string, start, end int) model.Span {
	return model.Span{
		TraceID: "t", SpanID: id, ParentID: parent, Name: id, Resource: resource,
		Start: t0.Add(time.Duration(start) * time.Millisecond),
		End:   t0.Add(time.Duration(end) * time.Millisecond),
	}
}

// describe renders segments as "id[start,end]" in milliseconds.
func describe(segs []Segment) string {
	parts := make([]string, len(segs))
	for i, s := range segs {
		parts[i] = fmt.Sprintf("%s[%d,%d]", s.SpanID, s.Start.Sub(t0).Milliseconds(), s.End.Sub(t0).Milliseconds())
	}
	return strings.Join(parts, " ")
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name      string
		spans     []model.Span
		want      string
		wantTotal time.Duration
	}{
		{
			name:      "one span",
			spans:     []model.Span{sp("r", "", "Api", 0, 100)},
			want:      "r[0,100]",
			wantTotal: 100 * time.Millisecond,
		},
		{
			name:      "sequential children",
			spans:     []model.Span{sp("r", "", "Api", 0, 100), sp("a", "r", "Fn", 10, 40), sp("b", "r", "Table", 50, 90)},
			want:      "r[0,10] a[10,40] r[40,50] b[50,90] r[90,100]",
			wantTotal: 100 * time.Millisecond,
		},
		{
			name:      "parallel children: the one that ends last",
			spans:     []model.Span{sp("r", "", "Api", 0, 100), sp("a", "r", "Fn", 10, 60), sp("b", "r", "Fn", 10, 90)},
			want:      "r[0,10] b[10,90] r[90,100]",
			wantTotal: 100 * time.Millisecond,
		},
		{
			name:      "overlapping children are clamped to the cursor",
			spans:     []model.Span{sp("r", "", "Api", 0, 100), sp("a", "r", "Fn", 0, 70), sp("b", "r", "Fn", 50, 90)},
			want:      "a[0,50] b[50,90] r[90,100]",
			wantTotal: 100 * time.Millisecond,
		},
		{
			name:      "async child after the parent ended extends the trace",
			spans:     []model.Span{sp("put", "", "Bucket", 0, 10), sp("event", "put", "Fn", 20, 100)},
			want:      "put[0,20] event[20,100]",
			wantTotal: 100 * time.Millisecond,
		},
		{
			name: "nested grandchildren",
			spans: []model.Span{
				sp("r", "", "Api", 0, 100), sp("inv", "r", "Fn", 5, 95),
				sp("init", "inv", "Fn", 5, 30), sp("run", "inv", "Fn", 30, 90), sp("get", "run", "Table", 40, 80),
			},
			want:      "r[0,5] init[5,30] run[30,40] get[40,80] run[80,90] inv[90,95] r[95,100]",
			wantTotal: 100 * time.Millisecond,
		},
		{
			name:      "several roots run under a virtual root",
			spans:     []model.Span{sp("a", "", "Fn", 0, 30), sp("b", "missing", "Fn", 50, 80)},
			want:      "a[0,30] [30,50] b[50,80]",
			wantTotal: 80 * time.Millisecond,
		},
		{
			name:      "a self-parented span is a root",
			spans:     []model.Span{sp("a", "a", "Fn", 0, 30)},
			want:      "a[0,30]",
			wantTotal: 30 * time.Millisecond,
		},
		{
			name:      "a parent cycle is broken",
			spans:     []model.Span{sp("a", "b", "Fn", 0, 30), sp("b", "a", "Fn", 10, 20)},
			want:      "a[0,30]",
			wantTotal: 30 * time.Millisecond,
		},
		{
			name:      "end before start is treated as zero length",
			spans:     []model.Span{sp("r", "", "Api", 0, 10), sp("x", "r", "Fn", 8, 2)},
			want:      "r[0,10]",
			wantTotal: 10 * time.Millisecond,
		},
		{
			name:      "duplicate span ids keep the first",
			spans:     []model.Span{sp("r", "", "Api", 0, 10), sp("r", "", "Api", 0, 500)},
			want:      "r[0,10]",
			wantTotal: 10 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Compute(tt.spans)
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(p.Segments); got != tt.want {
				t.Errorf("segments = %s\nwant       %s", got, tt.want)
			}
			if p.Total() != tt.wantTotal {
				t.Errorf("total = %v, want %v", p.Total(), tt.wantTotal)
			}
			var self time.Duration
			for _, s := range p.Steps {
				self += s.Self
			}
			if self != p.Total() {
				t.Errorf("self times add to %v, want the total %v", self, p.Total())
			}
		})
	}
}

func TestComputeEmpty(t *testing.T) {
	if _, err := Compute(nil); !errors.Is(err, ErrNoSpans) {
		t.Errorf("err = %v, want ErrNoSpans", err)
	}
}

func TestPathHelpers(t *testing.T) {
	p, err := Compute([]model.Span{sp("r", "", "Api", 0, 100), sp("a", "r", "Fn", 10, 60), sp("b", "r", "Fn", 10, 90)})
	if err != nil {
		t.Fatal(err)
	}
	if !p.OnPath("b") || p.OnPath("a") {
		t.Errorf("OnPath: b=%v a=%v, want true false", p.OnPath("b"), p.OnPath("a"))
	}
	by := p.ByResource()
	if by["Fn"] != 80*time.Millisecond || by["Api"] != 20*time.Millisecond {
		t.Errorf("ByResource = %v, want Fn 80ms Api 20ms", by)
	}
}

func TestBottleneck(t *testing.T) {
	slow, _ := Compute([]model.Span{sp("r", "", "Api", 0, 100), sp("s", "r", "SlowScorer", 10, 90)})
	fast, _ := Compute([]model.Span{sp("r", "", "Api", 0, 50), sp("q", "r", "Queue", 0, 10), sp("f", "r", "FastScorer", 10, 40)})
	got := Bottleneck([]Path{slow, fast})
	want := []Share{
		{Resource: "SlowScorer", Time: 80 * time.Millisecond, Share: 80.0 / 150, Traces: 1},
		{Resource: "Api", Time: 30 * time.Millisecond, Share: 30.0 / 150, Traces: 2},
		{Resource: "FastScorer", Time: 30 * time.Millisecond, Share: 30.0 / 150, Traces: 1},
		{Resource: "Queue", Time: 10 * time.Millisecond, Share: 10.0 / 150, Traces: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d shares %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("share %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if Bottleneck(nil) != nil {
		t.Error("Bottleneck(nil) should be nil")
	}
}

// A caller that sends two requests with the same traceparent makes a trace of
// two roots; the time between them belongs to no resource of the platform and
// must not be named the bottleneck (it was "(no resource), 98%").
func TestBottleneckIgnoresGapsBetweenRoots(t *testing.T) {
	p, err := Compute([]model.Span{
		sp("a", "caller", "Api", 0, 10), sp("fa", "a", "Fn", 2, 8),
		sp("b", "caller", "Api", 5000, 5010), sp("fb", "b", "Fn", 5002, 5008),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := Bottleneck([]Path{p})
	want := []Share{
		{Resource: "Fn", Time: 12 * time.Millisecond, Share: 12.0 / 20, Traces: 1},
		{Resource: "Api", Time: 8 * time.Millisecond, Share: 8.0 / 20, Traces: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d shares %+v, want %+v", len(got), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("share %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if only := Bottleneck([]Path{{Steps: []Step{{SpanID: "", Resource: "", Self: time.Second}}}}); only != nil {
		t.Errorf("a path of gaps only: %+v, want nil", only)
	}
}
