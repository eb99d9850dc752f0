package store

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// Rows of many shapes (values that are defaults, words or bound, changing
// from row to row, more shapes than the writer admits) are stored as they
// were given: the records' columns, their spans, their entries' and the
// plain spans, in one batch and in later ones.
func TestRowShapes(t *testing.T) {
	s := open(t, Options{})
	outcomes := []model.Outcome{model.OutcomeOK, model.OutcomeUnhandled, model.OutcomeTimeout, model.OutcomeThrottled}
	statuses := []model.StatusCode{model.StatusUnset, model.StatusOK, model.StatusError, ""}
	const n = 3*maxShapes + 5
	invs := make([]model.Invocation, n)
	entries := make([]model.Span, n)
	plain := make([]model.Span, n)
	for i := range n {
		inv := invocationWithSpans(200+i, outcomes[i%len(outcomes)])
		inv.RequestID = fmt.Sprintf("req-shape-%d", i)
		inv.Cold = i%2 == 1
		inv.Retries = i % 3 % 2
		inv.QueueWait = time.Duration(i%5) * time.Millisecond
		inv.MaxMemoryMB = (i % 7) * 10
		inv.GBSeconds = float64(i%2) * 0.25
		inv.Version = []string{"$LATEST", "7", ""}[i%3]
		inv.Deployment = []string{"", "3"}[i%2]
		inv.Trigger = []string{"http", "pubsub", "other", "timer", ""}[i%5]
		if i%4 == 0 {
			inv.Attributes = map[string]any{"stacklab.async.attempt": int64(i)}
		}
		entries[i] = model.Span{TraceID: inv.TraceID, SpanID: inv.ParentID, ParentID: []string{"", "00000000000000ee"}[i%2],
			Name: "POST /shape", Kind: []model.Kind{model.KindServer, model.KindConsumer, model.KindInternal}[i%3],
			Resource: []string{"Api", ""}[i%2], Function: []string{"", "Fn"}[i%3%2], Start: t0, End: t0.Add(ms(9 + i)),
			Status: statuses[i%4], StatusMessage: []string{"", "bad gateway"}[i%2]}
		if i%3 == 0 {
			entries[i].Attributes = map[string]any{"http.route": "/shape", "n": int64(i)}
		}
		plain[i] = model.Span{TraceID: inv.TraceID, SpanID: "00000000000000c1", ParentID: []string{inv.RunID, ""}[i%2], Name: "send",
			Kind: model.KindProducer, Resource: "Chunks", Start: t0.Add(ms(3)), End: t0.Add(ms(4 + i%3)), Status: statuses[(i+1)%4],
			StatusMessage: []string{"", "x"}[i%2]}
		if i%5 == 0 {
			plain[i].Events = []model.Event{{Name: "retry", Time: t0.Add(ms(3))}}
		}
		invs[i] = inv
	}
	// The first two thirds in one batch, interleaved; the rest later.
	cut := 2 * n / 3
	for i := range n {
		if i == cut {
			flush(t, s)
		}
		s.AddInvocationWithEntry(&invs[i], spanSource{entries[i]})
		s.AddSpan(plain[i])
	}
	flush(t, s)

	ctx := context.Background()
	for i, inv := range invs {
		got, err := s.Invocations(ctx, InvocationFilter{RequestID: inv.RequestID})
		if err != nil || len(got) != 1 {
			t.Fatalf("record %d: %d records, %v", i, len(got), err)
		}
		g, w := got[0], inv
		w.SpanID, w.ParentID, w.RunID, w.Resource, w.Instance, w.StatusMessage = "", "", "", "", "", ""
		w.End, w.RunStart, w.RunEnd, w.Attributes, w.Events = time.Time{}, time.Time{}, time.Time{}, nil, nil
		g.Start, w.Start = g.Start.UTC(), w.Start.UTC()
		if !reflect.DeepEqual(g, w) {
			t.Errorf("record %d read back as\n%+v\nwant\n%+v", i, g, w)
		}
		spans, err := s.Trace(ctx, inv.TraceID)
		if err != nil {
			t.Fatal(err)
		}
		want := jsonRoundTrip(t, append([]model.Span{entries[i], plain[i]}, inv.Spans()...))
		for j := range want {
			// What the store makes of the spans it was given.
			if want[j].Status == "" {
				want[j].Status = model.StatusUnset
			}
			if want[j].Attributes == nil {
				want[j].Attributes = map[string]any{}
			}
		}
		if !reflect.DeepEqual(sorted(utc(spans)), sorted(utc(want))) {
			for j, sp := range sorted(utc(spans)) {
				if j < len(want) && !reflect.DeepEqual(sp, sorted(utc(want))[j]) {
					gb, _ := json.Marshal(sp)
					wb, _ := json.Marshal(sorted(utc(want))[j])
					t.Errorf("trace %d: stored span\n%s\nwant\n%s", i, gb, wb)
				}
			}
			if len(spans) != len(want) {
				t.Errorf("trace %d: %d spans stored, want %d", i, len(spans), len(want))
			}
		}
	}
	if s.w.nshapes[&insertInvocation] != maxShapes {
		t.Errorf("%d shapes of records admitted, want %d (more were written)", s.w.nshapes[&insertInvocation], maxShapes)
	}
}

// sorted orders spans by id.
func sorted(spans []model.Span) []model.Span {
	out := append([]model.Span(nil), spans...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].SpanID < out[i].SpanID {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// A record written twice in one batch is replaced in order, even when its
// copies are of different shapes and the later one's shape came first.
func TestRecordTwiceInABatch(t *testing.T) {
	s := open(t, Options{})
	other := invocationWithSpans(300, model.OutcomeOK)
	first := invocationWithSpans(301, model.OutcomeUnhandled) // another shape: a status message
	second := invocationWithSpans(301, model.OutcomeOK)       // the shape of other
	second.Duration = ms(77)
	s.AddInvocation(other)
	// A span of other's trace, so that other is not solo either: the
	// shape of second.
	s.AddSpan(model.Span{TraceID: other.TraceID, SpanID: "00000000000000c1", ParentID: other.RunID, Name: "send",
		Kind: model.KindProducer, Resource: "Chunks", Start: t0.Add(ms(3)), End: t0.Add(ms(4)), Status: model.StatusOK})
	s.AddInvocation(first)
	s.AddInvocation(second)
	flush(t, s)
	got, err := s.Invocations(context.Background(), InvocationFilter{RequestID: first.RequestID})
	if err != nil || len(got) != 1 {
		t.Fatalf("records: %d, %v", len(got), err)
	}
	if got[0].Outcome != model.OutcomeOK || got[0].Duration != ms(77) {
		t.Errorf("record written twice: outcome %s, duration %s; want the second copy's (ok, 77ms)", got[0].Outcome, got[0].Duration)
	}
}
