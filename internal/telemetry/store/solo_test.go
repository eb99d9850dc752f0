package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// summaryOf is a trace's summary as ListTraces must give it, made from its
// spans: the earliest start, the latest end, the number of spans, whether
// one failed, and the root: the earliest span without a parent, else the
// earliest span.
func summaryOf(spans []model.Span) TraceSummary {
	root := -1
	ts := TraceSummary{TraceID: spans[0].TraceID, Spans: len(spans)}
	start, end := spans[0].Start, spans[0].End
	for i, sp := range spans {
		if sp.Start.Before(start) {
			start = sp.Start
		}
		if sp.End.After(end) {
			end = sp.End
		}
		ts.Error = ts.Error || sp.Status == model.StatusError
		if sp.ParentID == "" && (root < 0 || sp.Start.Before(spans[root].Start)) {
			root = i
		}
	}
	if root < 0 {
		root = 0
		for i, sp := range spans {
			if sp.Start.Before(spans[root].Start) {
				root = i
			}
		}
	}
	ts.Start, ts.Duration = start.UTC(), end.Sub(start)
	ts.RootName, ts.RootResource = spans[root].Name, spans[root].Resource
	return ts
}

// checkSummaries holds every listed trace to the summary of its stored
// spans, and the list to want's trace ids; it returns how many of them have
// a traces row.
func checkSummaries(t *testing.T, s *Store, want ...string) (rows int) {
	t.Helper()
	ctx := context.Background()
	list, err := s.ListTraces(ctx, TraceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, got := range list {
		ids = append(ids, got.TraceID)
		spans, err := s.Trace(ctx, got.TraceID)
		if err != nil {
			t.Fatal(err)
		}
		got.Start = got.Start.UTC()
		if w := summaryOf(spans); got != w {
			t.Errorf("trace %s listed as\n%+v\nits spans say\n%+v", got.TraceID, got, w)
		}
	}
	slices.Sort(ids)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("listed traces %v, want %v (each once)", ids, want)
	}
	if err := s.db.QueryRow("SELECT count(*) FROM traces").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

// A trace that is one record is listed from the record's row, summed as
// its spans say, in every shape of record, and has no traces row.
func TestSoloRecords(t *testing.T) {
	s := open(t, Options{})
	plain := invocationWithSpans(0, model.OutcomeOK)
	plain.ParentID = "" // an Invoke API call: the invocation is the root
	failed := invocationWithSpans(1, model.OutcomeUnhandled)
	throttled := invocationWithSpans(2, model.OutcomeThrottled)
	throttled.RunID, throttled.Instance, throttled.RunStart, throttled.RunEnd = "", "", time.Time{}, time.Time{}
	s.AddInvocation(plain)
	s.AddInvocation(failed)
	s.AddInvocation(throttled)
	// With the gateway's span: a root, one under a caller's span (not
	// stored), one that failed while the function did not.
	for n, e := range []struct {
		parent string
		status model.StatusCode
	}{{"", model.StatusUnset}, {"00000000000000ff", model.StatusUnset}, {"", model.StatusError}} {
		inv := invocationWithSpans(3+n, model.OutcomeOK)
		entry := model.Span{TraceID: inv.TraceID, SpanID: inv.ParentID, ParentID: e.parent, Name: "POST /echo", Kind: model.KindServer,
			Resource: "Api", Start: t0, End: t0.Add(ms(9 + n)), Status: e.status}
		s.AddInvocationWithEntry(&inv, spanSource{entry})
	}
	flush(t, s)
	if rows := checkSummaries(t, s, traceID(0), traceID(1), traceID(2), traceID(3), traceID(4), traceID(5)); rows != 0 {
		t.Errorf("%d traces rows, want none: every trace is one record", rows)
	}

	ctx := context.Background()
	for _, tt := range []struct {
		name string
		f    TraceFilter
		want []string
	}{
		{"errors", TraceFilter{ErrorsOnly: true}, []string{traceID(1), traceID(2), traceID(5)}},
		{"function of the entry", TraceFilter{Function: "Echo"}, []string{traceID(0), traceID(1), traceID(2), traceID(3), traceID(4), traceID(5)}},
		{"other function", TraceFilter{Function: "Other"}, nil},
		{"slow", TraceFilter{MinDuration: ms(10)}, []string{traceID(4), traceID(5)}},
		{"since the entries", TraceFilter{Since: t0.Add(ms(1) / 2)}, []string{traceID(0), traceID(1), traceID(2)}},
		{"until", TraceFilter{Until: t0.Add(ms(1) / 2)}, []string{traceID(3), traceID(4), traceID(5)}},
		{"limit", TraceFilter{Limit: 2}, []string{traceID(0), traceID(1)}},
	} {
		list, err := s.ListTraces(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, ts := range list {
			ids = append(ids, ts.TraceID)
		}
		if tt.name == "limit" {
			if len(ids) != 2 {
				t.Errorf("%s: %v, want 2 traces", tt.name, ids)
			}
			continue
		}
		slices.Sort(ids)
		if !slices.Equal(ids, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, ids, tt.want)
		}
	}
}

// A trace that grows after its first record was written solo (a later
// span, a second record, in the same batch or a later one) gets a traces
// row that counts the first record too, and is listed once.
func TestSoloRecordFolded(t *testing.T) {
	s := open(t, Options{})
	// Trace 0: a record, then a span of a downstream hop in a later batch.
	first := invocationWithSpans(0, model.OutcomeOK)
	entry := model.Span{TraceID: first.TraceID, SpanID: first.ParentID, Name: "POST /split", Kind: model.KindServer,
		Resource: "Api", Start: t0, End: t0.Add(ms(9)), Status: model.StatusUnset}
	s.AddInvocationWithEntry(&first, spanSource{entry})
	// Trace 1: a nested call's record, then its caller's in a later batch.
	inner := invocationWithSpans(1, model.OutcomeUnhandled)
	inner.ParentID = "00000000000000b1"
	// Trace 2: a record written twice (the second copy replaces the first).
	again := invocationWithSpans(2, model.OutcomeOK)
	s.AddInvocation(inner)
	s.AddInvocation(again)
	flush(t, s)
	if rows := checkSummaries(t, s, traceID(0), traceID(1), traceID(2)); rows != 0 {
		t.Fatalf("%d traces rows after the first batch, want none", rows)
	}

	s.AddSpan(model.Span{TraceID: first.TraceID, SpanID: "00000000000000c1", ParentID: first.RunID, Name: "send", Kind: model.KindProducer,
		Resource: "Chunks", Start: t0.Add(ms(3)), End: t0.Add(ms(20)), Status: model.StatusOK})
	outer := invocationWithSpans(1, model.OutcomeOK)
	outer.RequestID, outer.SpanID, outer.RunID = "req-outer", "00000000000000b0", "00000000000000b2"
	outer.Start, outer.End = t0, t0.Add(ms(30))
	outer.ParentID = ""
	s.AddInvocation(outer)
	s.AddInvocation(again)
	flush(t, s)
	if rows := checkSummaries(t, s, traceID(0), traceID(1), traceID(2)); rows != 3 {
		t.Errorf("%d traces rows, want 3: each trace grew", rows)
	}
	if spans, err := s.Trace(context.Background(), traceID(2)); err != nil || len(spans) != 2 {
		t.Errorf("the record written twice: %d spans (%v), want 2", len(spans), err)
	}

	// A record of a trace that has a traces row is summed into it.
	third := invocationWithSpans(0, model.OutcomeUnhandled)
	third.RequestID, third.SpanID, third.RunID, third.ParentID = "req-third", "00000000000000d0", "00000000000000d1", "00000000000000c1"
	third.Start, third.End = t0.Add(ms(25)), t0.Add(ms(40))
	s.AddInvocation(third)
	flush(t, s)
	checkSummaries(t, s, traceID(0), traceID(1), traceID(2))
}
