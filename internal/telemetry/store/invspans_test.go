package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// jsonRoundTrip gives spans as the store reads them back: attribute values
// as JSON decodes them, times in UTC.
func jsonRoundTrip(t *testing.T, spans []model.Span) []model.Span {
	t.Helper()
	out := make([]model.Span, len(spans))
	for i, sp := range spans {
		b, err := json.Marshal(sp.Attributes)
		if err != nil {
			t.Fatal(err)
		}
		sp.Attributes = nil
		if err := json.Unmarshal(b, &sp.Attributes); err != nil {
			t.Fatal(err)
		}
		b, _ = json.Marshal(sp.Events)
		sp.Events = nil
		_ = json.Unmarshal(b, &sp.Events)
		sp.Start, sp.End = sp.Start.UTC(), sp.End.UTC()
		out[i] = sp
	}
	return out
}

// utc normalises spans read from the store for comparing: times in UTC,
// no empty lists.
func utc(spans []model.Span) []model.Span {
	for i := range spans {
		spans[i].Start, spans[i].End = spans[i].Start.UTC(), spans[i].End.UTC()
		if len(spans[i].Links) == 0 {
			spans[i].Links = nil
		}
		if len(spans[i].Events) == 0 {
			spans[i].Events = nil
		}
		for j := range spans[i].Events {
			spans[i].Events[j].Time = spans[i].Events[j].Time.UTC()
		}
	}
	return spans
}

// invocationWithSpans is a record that is also its invocation and run
// spans, in trace n under the gateway span 0000000000000001.
func invocationWithSpans(n int, outcome model.Outcome) model.Invocation {
	inv := model.Invocation{
		Function: "Echo", Version: "$LATEST", Deployment: "3", RequestID: "req-" + traceID(n)[24:], TraceID: traceID(n),
		Trigger: "http", Start: t0.Add(ms(1)), Duration: ms(5), BilledDuration: ms(5), MemorySizeMB: 128, MaxMemoryMB: 20,
		Outcome: outcome, SpanID: "00000000000000a2", ParentID: "0000000000000001", RunID: "00000000000000a3",
		Resource: "EchoFunction", Instance: "i-1", End: t0.Add(ms(8)), RunStart: t0.Add(ms(2)), RunEnd: t0.Add(ms(7)),
	}
	if outcome != model.OutcomeOK {
		inv.StatusMessage = "Runtime.ExitError"
	}
	return inv
}

// TestInvocationSpans holds the all_spans view to model.Invocation.Spans:
// a record's spans read back from the store are the ones it stands for,
// in every shape of record.
func TestInvocationSpans(t *testing.T) {
	s := open(t, Options{})
	throttled := invocationWithSpans(2, model.OutcomeThrottled)
	throttled.RunID, throttled.Instance, throttled.RunStart, throttled.RunEnd = "", "", time.Time{}, time.Time{}
	retried := invocationWithSpans(3, model.OutcomeOK)
	retried.RequestID = "req-retried"
	retried.Retries, retried.Cold = 1, true
	retried.Attributes = map[string]any{"stacklab.async.attempt": int64(2)}
	retried.Events = []model.Event{{Name: "retry", Time: t0.Add(ms(1)), Attributes: map[string]any{"stacklab.async.attempt": int64(2)}}}
	cases := []struct {
		name string
		inv  model.Invocation
	}{
		{"ok", invocationWithSpans(0, model.OutcomeOK)},
		{"unhandled", invocationWithSpans(1, model.OutcomeUnhandled)},
		{"throttled", throttled},
		{"retried", retried},
	}
	gateway := func(n int) model.Span {
		return model.Span{TraceID: traceID(n), SpanID: "0000000000000001", Name: "POST /echo", Kind: model.KindServer,
			Resource: "Api", Start: t0, End: t0.Add(ms(9)), Status: model.StatusUnset, Attributes: map[string]any{"http.route": "/echo"}}
	}
	for n, c := range cases {
		s.AddSpan(gateway(n))
		s.AddInvocation(c.inv)
	}
	flush(t, s)
	for n, c := range cases {
		name, inv := c.name, c.inv
		got, err := s.Trace(context.Background(), traceID(n))
		if err != nil {
			t.Fatal(name, err)
		}
		want := jsonRoundTrip(t, append([]model.Span{gateway(n)}, inv.Spans()...))
		if !reflect.DeepEqual(utc(got), want) {
			gb, _ := json.MarshalIndent(got, "", " ")
			wb, _ := json.MarshalIndent(want, "", " ")
			t.Errorf("%s: stored spans\n%s\nwant\n%s", name, gb, wb)
		}
		list, err := s.ListTraces(context.Background(), TraceFilter{Function: "Echo", Limit: 10})
		if err != nil || len(list) != len(cases) {
			t.Errorf("%s: traces of Echo: %d, %v; want %d", name, len(list), err, len(cases))
		}
	}
	traces, err := s.ListTraces(context.Background(), TraceFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range traces {
		want := 3                     // the gateway's, the invocation's and the run's
		if tr.TraceID == traceID(2) { // throttled: no run
			want = 2
		}
		if tr.Spans != want || tr.RootResource != "Api" {
			t.Errorf("trace %s: %d spans, root %q; want %d under Api", tr.TraceID, tr.Spans, tr.RootResource, want)
		}
	}
	if st := s.Status(); st.WrittenSpans != 4+7 {
		t.Errorf("written spans %d, want 11 (4 gateway spans, 7 of invocation records)", st.WrittenSpans)
	}
}

// TestInvocationSpansInServiceMap: a span whose parent is a record's run
// span is an edge from the function, as it was when run spans were rows.
func TestInvocationSpansInServiceMap(t *testing.T) {
	s := open(t, Options{})
	inv := invocationWithSpans(0, model.OutcomeOK)
	s.AddSpan(model.Span{TraceID: traceID(0), SpanID: "0000000000000001", Name: "POST /echo", Kind: model.KindServer,
		Resource: "Api", Start: t0, End: t0.Add(ms(9)), Status: model.StatusUnset})
	s.AddInvocation(inv)
	s.AddSpan(model.Span{TraceID: traceID(0), SpanID: "00000000000000b1", ParentID: inv.RunID, Name: "Results send", Kind: model.KindProducer,
		Resource: "Results", Start: t0.Add(ms(3)), End: t0.Add(ms(4)), Status: model.StatusUnset})
	flush(t, s)
	m, err := s.ServiceMap(context.Background(), t0.Add(-time.Second), t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var edges []string
	for _, e := range m.Edges {
		edges = append(edges, e.From+"->"+e.To)
	}
	if want := []string{"Api->EchoFunction", "EchoFunction->Results"}; !reflect.DeepEqual(edges, want) {
		t.Errorf("edges %v, want %v", edges, want)
	}
	for _, n := range m.Nodes {
		if n.Calls != 1 {
			t.Errorf("node %s: %d calls, want 1", n.Resource, n.Calls)
		}
	}
	// A window that starts after the invocation still finds it as the
	// parent of the send.
	m, err = s.ServiceMap(context.Background(), t0.Add(ms(3)), t0.Add(time.Second))
	if err != nil || len(m.Edges) != 1 || m.Edges[0].From != "EchoFunction" {
		t.Errorf("later window: %+v, %v; want the edge EchoFunction->Results", m.Edges, err)
	}
}

// TestMigrateFromVersion1 opens (through every migration) a store written by a stacklab whose
// invocation records had no spans: its records stay, new ones get theirs.
func TestMigrateFromVersion1(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE invocations (function TEXT NOT NULL, version TEXT NOT NULL DEFAULT '', deployment TEXT NOT NULL DEFAULT '',
			request_id TEXT NOT NULL, trace_id TEXT NOT NULL DEFAULT '', trigger TEXT NOT NULL DEFAULT '', start_ns INTEGER NOT NULL,
			queue_wait_ns INTEGER NOT NULL DEFAULT 0, init_ns INTEGER NOT NULL DEFAULT 0, duration_ns INTEGER NOT NULL DEFAULT 0,
			billed_ns INTEGER NOT NULL DEFAULT 0, memory_mb INTEGER NOT NULL DEFAULT 0, max_memory_mb INTEGER NOT NULL DEFAULT 0,
			cold INTEGER NOT NULL DEFAULT 0, outcome TEXT NOT NULL, retries INTEGER NOT NULL DEFAULT 0,
			gb_seconds REAL NOT NULL DEFAULT 0, cost REAL NOT NULL DEFAULT 0, UNIQUE (request_id, retries))`,
		`INSERT INTO invocations (function, request_id, trace_id, start_ns, outcome) VALUES ('Old', 'r-old', '` + traceID(9) + `', 1, 'ok')`,
		`PRAGMA user_version = 1`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.AddInvocation(invocationWithSpans(0, model.OutcomeOK))
	flush(t, s)
	old, err := s.Invocations(context.Background(), InvocationFilter{RequestID: "r-old"})
	if err != nil || len(old) != 1 || old[0].SpanID != "" {
		t.Errorf("the old record: %+v, %v", old, err)
	}
	if _, err := s.Trace(context.Background(), traceID(9)); err == nil {
		t.Error("the old record, which has no spans, made a trace")
	}
	spans, err := s.Trace(context.Background(), traceID(0))
	if err != nil || len(spans) != 2 {
		t.Errorf("the new record's trace: %d spans, %v; want 2", len(spans), err)
	}
}

// spanSource hands the store a span as the telemetry package's spans do.
type spanSource struct{ sp model.Span }

func (s spanSource) Span() model.Span { return s.sp }

// TestInvocationWithEntry: a record stored with the span of the call it
// served (AddInvocationWithEntry) gives back that span too, counted in its
// trace and on the service map, in one row.
func TestInvocationWithEntry(t *testing.T) {
	s := open(t, Options{})
	inv := invocationWithSpans(0, model.OutcomeOK)
	entry := model.Span{TraceID: traceID(0), SpanID: inv.ParentID, ParentID: "00000000000000ff", Name: "POST /echo", Kind: model.KindServer,
		Resource: "Api", Start: t0, End: t0.Add(ms(9)), Status: model.StatusError, StatusMessage: "Bad Gateway",
		Attributes: map[string]any{"http.route": "/echo", "http.response.status_code": int64(502)}}
	if !s.AddInvocationWithEntry(&inv, spanSource{entry}) {
		t.Fatal("refused")
	}
	flush(t, s)
	got, err := s.Trace(context.Background(), traceID(0))
	if err != nil {
		t.Fatal(err)
	}
	want := jsonRoundTrip(t, append([]model.Span{entry}, inv.Spans()...))
	if !reflect.DeepEqual(utc(got), want) {
		gb, _ := json.MarshalIndent(got, "", " ")
		wb, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("stored spans\n%s\nwant\n%s", gb, wb)
	}
	list, err := s.ListTraces(context.Background(), TraceFilter{ErrorsOnly: true})
	if err != nil || len(list) != 1 || list[0].Spans != 3 || list[0].RootResource != "Api" || !list[0].Error {
		t.Errorf("traces %+v, %v; want one failed trace of 3 spans under Api", list, err)
	}
	if st := s.Status(); st.WrittenSpans != 3 || st.WrittenInvocations != 1 {
		t.Errorf("written %d spans, %d records; want 3 and 1", st.WrittenSpans, st.WrittenInvocations)
	}
	m, err := s.ServiceMap(context.Background(), t0.Add(-time.Second), t0.Add(time.Second))
	if err != nil || len(m.Edges) != 1 || m.Edges[0].From != "Api" || m.Edges[0].To != "EchoFunction" || len(m.Nodes) != 2 {
		t.Errorf("service map %+v, %v; want Api -> EchoFunction", m, err)
	}
	var rows int
	if err := s.db.QueryRow("SELECT (SELECT count(*) FROM spans) + (SELECT count(*) FROM invocations)").Scan(&rows); err != nil || rows != 1 {
		t.Errorf("%d rows (%v), want 1", rows, err)
	}
}

// TestRetentionTakesRecordSpans: a trace removed by retention takes the
// records that hold its spans, even one that started after the cutoff, so
// that no trace is left half-drawn.
func TestRetentionTakesRecordSpans(t *testing.T) {
	now := t0.Add(8 * 24 * time.Hour)
	s := open(t, Options{MaxAge: 7 * 24 * time.Hour, Now: func() time.Time { return now }})
	old := invocationWithSpans(0, model.OutcomeOK)
	old.Start = now.Add(-7*24*time.Hour + time.Millisecond) // within the age, its trace is not
	entry := model.Span{TraceID: traceID(0), SpanID: old.ParentID, Name: "POST /echo", Kind: model.KindServer,
		Resource: "Api", Start: now.Add(-7*24*time.Hour - time.Millisecond), End: now.Add(-7 * 24 * time.Hour), Status: model.StatusUnset}
	s.AddInvocationWithEntry(&old, spanSource{entry})
	kept := invocationWithSpans(1, model.OutcomeOK)
	kept.Start, kept.RunStart, kept.RunEnd, kept.End = now, now.Add(ms(1)), now.Add(ms(2)), now.Add(ms(3))
	s.AddInvocation(kept)
	flush(t, s)
	if err := s.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	if spans, err := s.Trace(context.Background(), traceID(0)); !errors.Is(err, ErrTraceNotFound) {
		t.Errorf("the expired trace still has %d spans (%v)", len(spans), err)
	}
	if spans, err := s.Trace(context.Background(), traceID(1)); err != nil || len(spans) != 2 {
		t.Errorf("the kept trace has %d spans (%v), want 2", len(spans), err)
	}
}
