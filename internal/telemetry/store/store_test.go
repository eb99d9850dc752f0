package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/syncbuf"
	"github.com/stacklab/stacklab/internal/telemetry/model"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func open(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func flush(t *testing.T, s *Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// traceID makes a valid 32-hex trace id from n.
func traceID(n int) string { return fmt.Sprintf("%032x", n+1) }

func span(trace int, id, parent, resource, function string, start, dur int, status model.StatusCode) model.Span {
	return model.Span{
		TraceID: traceID(trace), SpanID: id, ParentID: parent, Name: resource + " " + id,
		Kind: model.KindServer, Resource: resource, Function: function,
		Start: t0.Add(ms(start)), End: t0.Add(ms(start + dur)), Status: status,
	}
}

// pipeline records two traces: trace 0 (Api -> Fn -> Table, 100ms, ok) and
// trace 1 (Api -> Fn failing, 500ms, 10s later).
func pipeline(t *testing.T, s *Store) {
	t.Helper()
	fn := span(0, "0000000000000002", "0000000000000001", "Fn", "Fn", 10, 80, model.StatusOK)
	fn.Attributes = map[string]any{"faas.coldstart": true, "faas.invocation_id": "req-1"}
	fn.Events = []model.Event{{Name: "retry", Time: t0.Add(ms(20)), Attributes: map[string]any{"attempt": 1.0}}}
	for _, sp := range []model.Span{
		span(0, "0000000000000001", "", "Api", "", 0, 100, model.StatusOK),
		fn,
		span(0, "0000000000000003", "0000000000000002", "Table", "", 30, 20, model.StatusOK),
		span(1, "0000000000000001", "", "Api", "", 10000, 500, model.StatusError),
		span(1, "0000000000000002", "0000000000000001", "Fn", "Fn", 10010, 480, model.StatusError),
	} {
		if !s.AddSpan(sp) {
			t.Fatalf("AddSpan(%s) dropped", sp.SpanID)
		}
	}
	flush(t, s)
}

func TestListTracesAndTrace(t *testing.T) {
	s := open(t, Options{})
	pipeline(t, s)

	tests := []struct {
		name string
		f    TraceFilter
		want []string // trace ids, newest first
	}{
		{"all", TraceFilter{}, []string{traceID(1), traceID(0)}},
		{"by function", TraceFilter{Function: "Fn"}, []string{traceID(1), traceID(0)}},
		{"unknown function", TraceFilter{Function: "Nope"}, nil},
		{"slow", TraceFilter{MinDuration: ms(200)}, []string{traceID(1)}},
		{"errors", TraceFilter{ErrorsOnly: true}, []string{traceID(1)}},
		{"since", TraceFilter{Since: t0.Add(time.Second)}, []string{traceID(1)}},
		{"until", TraceFilter{Until: t0.Add(time.Second)}, []string{traceID(0)}},
		{"limit", TraceFilter{Limit: 1}, []string{traceID(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListTraces(context.Background(), tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, g := range got {
				ids = append(ids, g.TraceID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
				t.Errorf("traces = %v, want %v", ids, tt.want)
			}
		})
	}

	got, err := s.ListTraces(context.Background(), TraceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	first := got[1]
	if first.RootName != "Api 0000000000000001" || first.RootResource != "Api" || first.Spans != 3 || first.Duration != ms(100) || first.Error || !first.Start.Equal(t0) {
		t.Errorf("summary = %+v, want root Api, 3 spans, 100ms, no error, at t0", first)
	}
	if !got[0].Error {
		t.Errorf("trace 1 should be marked as an error: %+v", got[0])
	}

	spans, err := s.Trace(context.Background(), "1-00000000-000000000000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 3 || spans[0].ParentID != "" || spans[1].SpanID != "0000000000000002" {
		t.Fatalf("trace 0 spans = %+v", spans)
	}
	fn := spans[1]
	if fn.Attributes["faas.coldstart"] != true || fn.Attributes["faas.invocation_id"] != "req-1" {
		t.Errorf("attributes = %v", fn.Attributes)
	}
	if len(fn.Events) != 1 || fn.Events[0].Name != "retry" || !fn.Events[0].Time.Equal(t0.Add(ms(20))) {
		t.Errorf("events = %+v", fn.Events)
	}
	if fn.Kind != model.KindServer || fn.Status != model.StatusOK || fn.Function != "Fn" || fn.Duration() != ms(80) {
		t.Errorf("span = %+v", fn)
	}

	if _, err := s.Trace(context.Background(), traceID(99)); !errors.Is(err, ErrTraceNotFound) {
		t.Errorf("unknown trace: err = %v, want ErrTraceNotFound", err)
	}
	if _, err := s.Trace(context.Background(), "zzz"); !errors.Is(err, ErrBadTraceID) {
		t.Errorf("bad id: err = %v, want ErrBadTraceID", err)
	}
	all, err := s.Spans(context.Background(), TraceFilter{})
	if err != nil || len(all) != 2 || len(all[0])+len(all[1]) != 5 {
		t.Errorf("Spans = %d traces, err %v; want 2 traces with 5 spans", len(all), err)
	}
}

func TestStats(t *testing.T) {
	s := open(t, Options{})
	add := func(fn, version string, start, dur, init int, outcome model.Outcome) {
		inv := model.Invocation{
			Function: fn, Version: version, RequestID: fmt.Sprintf("%s-%d", fn, start), Trigger: "http",
			Start: t0.Add(ms(start)), Duration: ms(dur), InitDuration: ms(init), Cold: init > 0,
			MemorySizeMB: 1024, Outcome: outcome,
		}
		model.DefaultPrices.Bill(&inv)
		if !s.AddInvocation(inv) {
			t.Fatal("AddInvocation dropped")
		}
	}
	for i := 1; i <= 100; i++ {
		init := 0
		if i <= 10 {
			init = 200
		}
		version := "1"
		if i > 50 {
			version = "2"
		}
		outcome := model.OutcomeOK
		switch {
		case i%25 == 0:
			outcome = model.OutcomeTimeout
		case i%20 == 0:
			outcome = model.OutcomeHandledError
		}
		add("Scorer", version, i, i, init, outcome)
	}
	add("Scorer", "2", 500, 0, 0, model.OutcomeThrottled)
	add("Other", "1", 600, 5, 0, model.OutcomeOK)
	add("Other", "1", -100000, 5, 0, model.OutcomeOK) // before the window below
	flush(t, s)

	got, err := s.Stats(context.Background(), StatsFilter{Since: t0})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Function != "Other" || got[1].Function != "Scorer" {
		t.Fatalf("stats = %+v, want Other then Scorer", got)
	}
	sc := got[1]
	if sc.Invocations != 101 || sc.Throttles != 1 || sc.ColdStarts != 10 {
		t.Errorf("invocations %d throttles %d cold %d, want 101 1 10", sc.Invocations, sc.Throttles, sc.ColdStarts)
	}
	// Errors: multiples of 25 (4) and of 20 that are not of 25 (20,40,60,80: 4).
	if sc.Errors != 8 || sc.Outcomes[model.OutcomeTimeout] != 4 || sc.Outcomes[model.OutcomeHandledError] != 4 {
		t.Errorf("errors %d outcomes %v, want 8 (4 timeouts, 4 handled)", sc.Errors, sc.Outcomes)
	}
	if sc.ColdStartRate != 0.1 || sc.ErrorRate != 0.08 {
		t.Errorf("cold rate %v error rate %v, want 0.1 and 0.08", sc.ColdStartRate, sc.ErrorRate)
	}
	if sc.Duration != (Latency{P50: ms(50), P95: ms(95), P99: ms(99), Max: ms(100)}) {
		t.Errorf("duration = %+v, want p50 50ms p95 95ms p99 99ms max 100ms", sc.Duration)
	}
	if sc.Init.P50 != ms(200) {
		t.Errorf("init p50 = %v, want 200ms", sc.Init.P50)
	}
	// Billed: sum of durations 1..100 ms plus 10 inits of 200ms = 5050 + 2000 ms at 1 GB.
	wantGBs := 7.05
	if math.Abs(sc.GBSeconds-wantGBs) > 1e-9 {
		t.Errorf("GB-seconds = %v, want %v", sc.GBSeconds, wantGBs)
	}
	wantCost := wantGBs*model.DefaultPrices.PerGBSecond + 100*model.DefaultPrices.PerRequest
	if math.Abs(sc.Cost-wantCost) > 1e-12 {
		t.Errorf("cost = %v, want %v", sc.Cost, wantCost)
	}

	byVersion, err := s.Stats(context.Background(), StatsFilter{Function: "Scorer", ByVersion: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(byVersion) != 2 || byVersion[0].Version != "1" || byVersion[0].Invocations != 50 || byVersion[1].Invocations != 51 {
		t.Errorf("by version = %+v, want versions 1 (50) and 2 (51)", byVersion)
	}

	double := model.DefaultPrices
	double.PerGBSecond *= 2
	double.PerRequest = 0
	repriced, err := s.Stats(context.Background(), StatsFilter{Function: "Scorer", Prices: &double})
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * wantGBs * model.DefaultPrices.PerGBSecond; math.Abs(repriced[0].Cost-want) > 1e-12 {
		t.Errorf("repriced cost = %v, want %v", repriced[0].Cost, want)
	}
	if _, err := s.Stats(context.Background(), StatsFilter{Prices: &model.Prices{}}); err == nil {
		t.Error("Stats with zero granularity prices should fail")
	}
}

func TestServiceMap(t *testing.T) {
	s := open(t, Options{})
	// Api -> Splitter -> Queue (send); Scorer consumes a batch linked to the send.
	send := span(0, "0000000000000003", "0000000000000002", "Chunks", "", 20, 5, model.StatusOK)
	send.Kind = model.KindProducer
	consume := span(1, "0000000000000001", "", "Scorer", "Scorer", 100, 50, model.StatusError)
	consume.Kind = model.KindConsumer
	consume.Links = []model.Link{{TraceID: traceID(0), SpanID: "0000000000000003"}}
	for _, sp := range []model.Span{
		span(0, "0000000000000001", "", "Api", "", 0, 60, model.StatusOK),
		span(0, "0000000000000002", "0000000000000001", "Splitter", "Splitter", 5, 50, model.StatusOK),
		span(0, "0000000000000004", "0000000000000002", "Splitter", "", 30, 5, model.StatusOK), // internal: no edge
		send,
		consume,
	} {
		s.AddSpan(sp)
	}
	flush(t, s)
	m, err := s.ServiceMap(context.Background(), t0, t0.Add(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var edges []string
	for _, e := range m.Edges {
		edges = append(edges, fmt.Sprintf("%s->%s calls=%d links=%d errors=%d p50=%v", e.From, e.To, e.Calls, e.Links, e.Errors, e.Latency.P50))
	}
	want := []string{
		"Api->Splitter calls=1 links=0 errors=0 p50=50ms",
		"Chunks->Scorer calls=1 links=1 errors=1 p50=50ms",
		"Splitter->Chunks calls=1 links=0 errors=0 p50=5ms",
	}
	if strings.Join(edges, "\n") != strings.Join(want, "\n") {
		t.Errorf("edges:\n%s\nwant:\n%s", strings.Join(edges, "\n"), strings.Join(want, "\n"))
	}
	var nodes []string
	for _, n := range m.Nodes {
		nodes = append(nodes, fmt.Sprintf("%s calls=%d err=%.1f", n.Resource, n.Calls, n.ErrorRate))
	}
	if got := strings.Join(nodes, ","); got != "Api calls=1 err=0.0,Chunks calls=1 err=0.0,Scorer calls=1 err=1.0,Splitter calls=1 err=0.0" {
		t.Errorf("nodes = %s", got)
	}
	if m.Nodes[0].Rate != 0.1 {
		t.Errorf("Api rate = %v/s, want 0.1 (1 call in 10s)", m.Nodes[0].Rate)
	}
}

func TestRetentionByAge(t *testing.T) {
	now := t0.Add(8 * 24 * time.Hour)
	s := open(t, Options{MaxAge: 7 * 24 * time.Hour, Now: func() time.Time { return now }})
	s.AddSpan(span(0, "0000000000000001", "", "Api", "", 0, 10, model.StatusOK))
	s.AddSpan(span(1, "0000000000000001", "", "Api", "", int((2 * 24 * time.Hour).Milliseconds()), 10, model.StatusOK))
	s.AddInvocation(model.Invocation{Function: "Fn", RequestID: "old", Start: t0, Outcome: model.OutcomeOK})
	s.AddInvocation(model.Invocation{Function: "Fn", RequestID: "new", Start: now, Outcome: model.OutcomeOK})
	flush(t, s)
	if err := s.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Trace(context.Background(), traceID(0)); !errors.Is(err, ErrTraceNotFound) {
		t.Errorf("8-day-old trace still there: err = %v", err)
	}
	if _, err := s.Trace(context.Background(), traceID(1)); err != nil {
		t.Errorf("6-day-old trace removed: %v", err)
	}
	st, err := s.Stats(context.Background(), StatsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].Invocations != 1 {
		t.Errorf("stats after retention = %+v, want 1 invocation", st)
	}
}

func TestRetentionBySize(t *testing.T) {
	const limit = 256 << 10
	s := open(t, Options{MaxBytes: limit})
	pad := strings.Repeat("x", 1000)
	for i := 0; i < 2000; i++ {
		sp := span(i, "0000000000000001", "", "Api", "", i, 1, model.StatusOK)
		sp.Attributes = map[string]any{"pad": pad}
		if !s.AddSpan(sp) {
			flush(t, s)
			s.AddSpan(sp)
		}
	}
	flush(t, s)
	if err := s.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	if used := s.Status().UsedBytes; used > limit || used == 0 {
		t.Errorf("used bytes after retention = %d, want 1..%d", used, limit)
	}
	if _, err := s.Trace(context.Background(), traceID(1999)); err != nil {
		t.Errorf("newest trace removed: %v", err)
	}
	if _, err := s.Trace(context.Background(), traceID(0)); !errors.Is(err, ErrTraceNotFound) {
		t.Errorf("oldest trace kept: err = %v", err)
	}
}

func TestFullDatabaseDropsAndCounts(t *testing.T) {
	s := open(t, Options{HardLimitBytes: 128 << 10, BatchSize: 50})
	pad := strings.Repeat("y", 4000)
	for i := 0; i < 500; i++ {
		sp := span(i, "0000000000000001", "", "Api", "", i, 1, model.StatusOK)
		sp.Attributes = map[string]any{"pad": pad}
		s.AddSpan(sp)
		if i%50 == 49 {
			flush(t, s)
		}
	}
	flush(t, s)
	st := s.Status()
	if !st.Dropping || st.DroppedSpans == 0 || st.LastError == "" {
		t.Fatalf("status = %+v, want dropping with a count and an error", st)
	}
	if st.WrittenSpans+st.DroppedSpans != 500 {
		t.Errorf("written %d + dropped %d != 500", st.WrittenSpans, st.DroppedSpans)
	}
	// Reads keep working on a full database.
	if _, err := s.ListTraces(context.Background(), TraceFilter{Limit: 5}); err != nil {
		t.Errorf("list traces on a full database: %v", err)
	}
}

func TestBufferFullDropsWithoutBlocking(t *testing.T) {
	s := open(t, Options{Buffer: 1})
	dropped := false
	for i := 0; i < 1_000_000 && !dropped; i++ {
		dropped = !s.AddSpan(span(i, "0000000000000001", "", "Api", "", i, 1, model.StatusOK))
	}
	if !dropped {
		t.Fatal("a one-record buffer never overflowed")
	}
	if st := s.Status(); st.DroppedSpans == 0 || st.Capacity != 1 {
		t.Errorf("status = %+v, want drops counted and capacity 1", st)
	}
}

func TestCloseReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.AddSpan(span(0, "0000000000000001", "", "Api", "", 0, 10, model.StatusOK))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.AddSpan(span(1, "0000000000000001", "", "Api", "", 0, 10, model.StatusOK)) || s.Status().DroppedSpans != 1 {
		t.Error("AddSpan after Close should drop and count")
	}
	if err := s.Flush(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close: err = %v, want ErrClosed", err)
	}
	s2, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.Trace(context.Background(), traceID(0)); err != nil {
		t.Errorf("span written before Close is gone after reopening: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(context.Background(), "", Options{}); err == nil {
		t.Error("Open with no directory should fail")
	}
}

func FuzzNormalizeTraceID(f *testing.F) {
	for _, s := range []string{"5759e988bd862e3fe1be46a994272793", "1-5759e988-bd862e3fe1be46a994272793", "", "1-", strings.Repeat("0", 32)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := NormalizeTraceID(s)
		if err != nil {
			return
		}
		again, err := NormalizeTraceID(id)
		if err != nil || again != id || len(id) != 32 {
			t.Fatalf("NormalizeTraceID(%q) = %q, not a fixed point: %q %v", s, id, again, err)
		}
	})
}

func TestTraceSummaryOutOfOrderAndDuplicates(t *testing.T) {
	s := open(t, Options{})
	child := span(0, "0000000000000002", "0000000000000001", "Fn", "Fn", 10, 50, model.StatusError)
	root := span(0, "0000000000000001", "", "Api", "", 5, 100, model.StatusOK)
	s.AddSpan(child) // the child ends first and arrives first
	flush(t, s)
	got, err := s.ListTraces(context.Background(), TraceFilter{})
	if err != nil || len(got) != 1 || got[0].RootName != "Fn 0000000000000002" {
		t.Fatalf("before the root arrives: %+v, %v; want the child as provisional root", got, err)
	}
	s.AddSpan(root)
	s.AddSpan(child) // delivered twice
	flush(t, s)
	got, err = s.ListTraces(context.Background(), TraceFilter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("ListTraces = %+v, %v", got, err)
	}
	want := TraceSummary{TraceID: traceID(0), RootName: "Api 0000000000000001", RootResource: "Api", Spans: 2, Error: true, Duration: ms(100)}
	g := got[0]
	g.Start = time.Time{}
	if g != want {
		t.Errorf("summary = %+v\nwant      %+v", g, want)
	}
	if !got[0].Start.Equal(t0.Add(ms(5))) {
		t.Errorf("start = %v, want t0+5ms", got[0].Start)
	}
}

// TestBatchesOfManyRows writes batches larger than a statement's rows, with
// spans delivered twice in the batch and from an earlier one, and
// invocation records written again: every trace counts each span once and
// the last copy of a record wins.
func TestBatchesOfManyRows(t *testing.T) {
	s := open(t, Options{})
	const traces, perTrace = 40, 5
	add := func(from, to int) {
		for i := from; i < to; i++ {
			for j := range perTrace {
				parent := ""
				if j > 0 {
					parent = fmt.Sprintf("%016x", 1)
				}
				s.AddSpan(span(i, fmt.Sprintf("%016x", j+1), parent, "Fn", "Fn", i*10+j, 5, model.StatusOK))
			}
			s.AddInvocation(model.Invocation{Function: "Fn", RequestID: fmt.Sprint("req-", i), Start: t0.Add(ms(i * 10)), Outcome: model.OutcomeOK, MemorySizeMB: i})
		}
	}
	add(0, traces/2)
	flush(t, s)
	add(traces/4, traces) // a quarter of the traces again
	s.AddSpan(span(traces-1, fmt.Sprintf("%016x", 1), "", "Fn", "Fn", 0, 5, model.StatusOK))
	flush(t, s)
	got, err := s.ListTraces(context.Background(), TraceFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != traces {
		t.Fatalf("got %d traces, want %d", len(got), traces)
	}
	for _, tr := range got {
		if tr.Spans != perTrace {
			t.Errorf("trace %s: got %d spans, want %d", tr.TraceID, tr.Spans, perTrace)
		}
		spans, err := s.Trace(context.Background(), tr.TraceID)
		if err != nil || len(spans) != perTrace {
			t.Errorf("trace %s: got %d spans (%v), want %d", tr.TraceID, len(spans), err, perTrace)
		}
	}
	invs, err := s.Invocations(context.Background(), InvocationFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(invs) != traces {
		t.Errorf("got %d invocation records, want %d", len(invs), traces)
	}
}

// TestFullDatabaseRecovers: a store that ran out of room says what to do,
// and once retention has made room and a write succeeds it is no longer
// dropping and says so; the drop counts stay.
func TestFullDatabaseRecovers(t *testing.T) {
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, Options{HardLimitBytes: 128 << 10, MaxBytes: 32 << 10, BatchSize: 50, Logger: log,
		Smaller: "lower --trace-max-size"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fix := "free disk space under " + dir + ", or lower --trace-max-size"
	pad := strings.Repeat("y", 4000)
	for i := 0; i < 200 && !s.Status().Dropping; i++ {
		sp := span(i, "0000000000000001", "", "Api", "", i, 1, model.StatusOK)
		sp.Attributes = map[string]any{"pad": pad}
		s.AddSpan(sp)
		if i%50 == 49 {
			flush(t, s)
		}
	}
	flush(t, s)
	st := s.Status()
	if !st.Dropping || st.DroppedSpans == 0 || st.Fix != fix {
		t.Fatalf("status = %+v, want dropping, with the fix", st)
	}
	if out := logs.String(); !strings.Contains(out, "span store is dropping records") || !strings.Contains(out, fmt.Sprintf("fix=%q", fix)) {
		t.Errorf("log = %s, want the dropping warning with its fix", out)
	}
	dropped := st.DroppedSpans
	if err := s.Prune(context.Background()); err != nil {
		t.Fatalf("retention on a full database: %v", err)
	}
	s.AddSpan(span(1000, "0000000000000001", "", "Api", "", 1000, 1, model.StatusOK))
	flush(t, s)
	st = s.Status()
	if st.Dropping || st.DroppedSpans != dropped {
		t.Errorf("after room was made: status = %+v, want not dropping, %d dropped", st, dropped)
	}
	if out := logs.String(); !strings.Contains(out, "span store writing again") {
		t.Errorf("log = %s, want the store to say it writes again", out)
	}
	if _, err := s.Trace(context.Background(), traceID(1000)); err != nil {
		t.Errorf("the span written after the store recovered: %v", err)
	}
}

// TestBufferFullWarns: the first record a full buffer drops is
// logged; the next, until a write succeeds, are only counted.
func TestBufferFullWarns(t *testing.T) {
	var logs syncbuf.Buffer
	s := open(t, Options{Buffer: 1, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	drops := 0
	for i := 0; i < 1_000_000 && drops < 3; i++ {
		if !s.AddSpan(span(i, "0000000000000001", "", "Api", "", i, 1, model.StatusOK)) {
			drops++
		}
	}
	if drops < 3 {
		t.Fatal("a one-record buffer never overflowed")
	}
	if n := strings.Count(logs.String(), "its buffer is full"); n < 1 {
		t.Errorf("log = %s, want a warning that the buffer is full", logs.String())
	}
}

// A store opened while a platform writes to the same file (a reader, as
// the genome-search trace test is) opens without waiting for the writer
// and without SQLITE_BUSY: a store of this schema version is not written.
func TestOpenWhileAnotherWrites(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	w, err := Open(ctx, dir, Options{FlushInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// A platform under load: a record every 100 µs, written in
			// batches every 5 ms.
			w.AddInvocation(model.Invocation{Function: "Fn", RequestID: fmt.Sprint(i), Start: t0.Add(time.Duration(i)), Outcome: model.OutcomeOK})
			time.Sleep(100 * time.Microsecond)
		}
	}()
	defer func() { close(stop); <-done }()
	for i := range 20 {
		r, err := Open(ctx, dir, Options{RetentionInterval: time.Hour})
		if err != nil {
			t.Fatalf("open %d while another store writes: %v", i, err)
		}
		if _, err := r.Stats(ctx, StatsFilter{}); err != nil {
			t.Fatalf("stats: %v", err)
		}
		r.Close()
	}
}
