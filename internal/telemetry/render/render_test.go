package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/critpath"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s:\n%s\nwant:\n%s", name, path, got, want)
	}
}

func sp(id, parent, name, resource string, start, end int) model.Span {
	return model.Span{TraceID: "5759e988bd862e3fe1be46a994272793", SpanID: id, ParentID: parent, Name: name, Resource: resource,
		Start: t0.Add(ms(start)), End: t0.Add(ms(end)), Status: model.StatusOK}
}

func pipeline() []model.Span {
	split := sp("3", "2", "Splitter", "Splitter", 25, 45)
	split.Attributes = map[string]any{"faas.coldstart": true}
	score := sp("5", "4", "Scorer", "Scorer", 50, 3050)
	score.Status, score.StatusMessage = model.StatusError, "timeout"
	return []model.Span{
		sp("1", "", "PUT /upload", "Api", 0, 20),
		sp("2", "1", "PutObject", "Uploads", 5, 15),
		split,
		sp("4", "3", "Chunks send", "Chunks", 30, 32),
		score,
		sp("6", "5", "GetItem", "Results", 100, 104),
	}
}

func TestWaterfall(t *testing.T) {
	spans := pipeline()
	path, err := critpath.Compute(spans)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts WaterfallOptions
	}{{"waterfall", WaterfallOptions{Width: 40}}, {"waterfall-color", WaterfallOptions{Width: 40, Color: true}}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Waterfall(&buf, spans, path, tc.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, buf.Bytes())
		})
	}
	var buf bytes.Buffer
	if err := Waterfall(&buf, nil, critpath.Path{}, WaterfallOptions{}); err != nil || buf.String() != "(no spans)\n" {
		t.Errorf("empty waterfall = %q, %v", buf.String(), err)
	}
}

func TestWaterfallSurvivesCycles(t *testing.T) {
	spans := []model.Span{sp("a", "b", "A", "Fn", 0, 10), sp("b", "a", "B", "Fn", 2, 5)}
	path, _ := critpath.Compute(spans)
	var buf bytes.Buffer
	if err := Waterfall(&buf, spans, path, WaterfallOptions{Width: 10}); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != 3 {
		t.Errorf("got %d lines, want a header and both spans:\n%s", n, buf.String())
	}
}

func TestTables(t *testing.T) {
	var buf bytes.Buffer
	err := Traces(&buf, []store.TraceSummary{
		{TraceID: "5759e988bd862e3fe1be46a994272793", RootName: "PUT /upload", RootResource: "Api", Start: t0, Duration: ms(3050), Spans: 6, Error: true},
		{TraceID: "5759e988bd862e3fe1be46a994272794", RootName: "Tick", RootResource: "Tick", Start: t0.Add(-time.Minute), Duration: 412 * time.Microsecond, Spans: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "traces", buf.Bytes())

	buf.Reset()
	m := store.Map{
		Nodes: []store.Node{
			{Resource: "Api", Calls: 10, Rate: 0.5, Latency: store.Latency{P50: ms(20), P95: ms(25), P99: ms(30)}},
			{Resource: "Scorer", Calls: 40, Errors: 4, Rate: 2, ErrorRate: 0.1, Latency: store.Latency{P50: ms(2500), P95: ms(3000), P99: ms(3050)}},
		},
		Edges: []store.Edge{{From: "Chunks", To: "Scorer", Calls: 40, Links: 40, Errors: 4, ErrorRate: 0.1, Latency: store.Latency{P50: ms(2500), P95: ms(3000), P99: ms(3050)}}},
	}
	if err := Map(&buf, m, []critpath.Share{{Resource: "Scorer", Time: 100 * time.Second, Share: 0.93, Traces: 10}}, 10); err != nil {
		t.Fatal(err)
	}
	golden(t, "map", buf.Bytes())

	buf.Reset()
	before := store.FunctionStats{Function: "Scorer", Version: "1", Invocations: 100, ColdStarts: 5, ColdStartRate: 0.05, Errors: 2, ErrorRate: 0.02,
		Duration: store.Latency{P50: ms(200), P95: ms(400), P99: ms(900)}, GBSeconds: 20, Cost: 20*0.0000166667 + 100*0.0000002}
	after := store.FunctionStats{Function: "Scorer", Version: "2", Invocations: 100, Throttles: 3,
		Duration: store.Latency{P50: ms(50), P95: ms(80), P99: ms(120)}, GBSeconds: 5, Cost: 5*0.0000166667 + 100*0.0000002}
	if err := Stats(&buf, []store.FunctionStats{before, after}); err != nil {
		t.Fatal(err)
	}
	golden(t, "stats", buf.Bytes())

	buf.Reset()
	changes := store.CompareVersions([]store.FunctionStats{before, after})
	changes[0].Over = 15 * time.Minute
	if err := VersionChanges(&buf, changes); err != nil {
		t.Fatal(err)
	}
	golden(t, "versions", buf.Bytes())
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0", 412 * time.Microsecond: "412µs", 1250 * time.Microsecond: "1.2ms", ms(12): "12ms",
		ms(1240): "1.24s", 185 * time.Second: "3m05s",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}
