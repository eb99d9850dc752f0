package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// TestServiceMapBatchLinks: with the spans a queue mapping makes (sends and
// batches of the queue's resource, a batch linking the sends of its
// messages, the function's invocation its child), the queue -> function
// edge counts in LINKS the invocations of batches that link their
// messages, also when the batch started before the window; a batch of one
// message (parented, no links) is a call but not a link.
func TestServiceMapBatchLinks(t *testing.T) {
	s := open(t, Options{})
	kind := func(sp model.Span, k model.Kind, links ...model.Link) model.Span {
		sp.Kind, sp.Links = k, links
		return sp
	}
	link := func(trace int, id string) model.Link { return model.Link{TraceID: traceID(trace), SpanID: id} }
	const (
		splitter, sendA, sendB, sendC = "00000000000000a0", "00000000000000a1", "00000000000000a2", "00000000000000a3"
		batch1, batch2, batch3        = "00000000000000b1", "00000000000000b2", "00000000000000b3"
		scorer1, scorer2, scorer3     = "00000000000000c1", "00000000000000c2", "00000000000000c3"
		sendD                         = "00000000000000d1"
	)
	for _, sp := range []model.Span{
		// Trace 2: another upload's send, before the others.
		span(2, splitter, "", "Splitter", "Splitter", 0, 9, model.StatusOK),
		kind(span(2, sendD, splitter, "Chunks", "", 5, 1, model.StatusOK), model.KindProducer),
		// Trace 0: three messages sent in three calls.
		span(0, splitter, "", "Splitter", "Splitter", 8, 10, model.StatusOK),
		kind(span(0, sendA, splitter, "Chunks", "", 10, 1, model.StatusOK), model.KindProducer),
		kind(span(0, sendB, splitter, "Chunks", "", 12, 1, model.StatusOK), model.KindProducer),
		kind(span(0, sendC, splitter, "Chunks", "", 14, 1, model.StatusOK), model.KindProducer),
		// A and B in one batch: parented by A, linked to both.
		kind(span(0, batch1, sendA, "Chunks", "", 20, 50, model.StatusOK), model.KindConsumer, link(0, sendA), link(0, sendB)),
		span(0, scorer1, batch1, "Scorer", "Scorer", 21, 40, model.StatusOK),
		// C alone: parented, no links.
		kind(span(0, batch2, sendC, "Chunks", "", 22, 50, model.StatusOK), model.KindConsumer),
		span(0, scorer2, batch2, "Scorer", "Scorer", 23, 40, model.StatusOK),
		// Trace 1: a batch of messages of two traces, a new root linked to both.
		kind(span(1, batch3, "", "Chunks", "", 30, 50, model.StatusOK), model.KindConsumer, link(0, sendC), link(2, sendD)),
		span(1, scorer3, batch3, "Scorer", "Scorer", 31, 40, model.StatusError),
	} {
		if !s.AddSpan(sp) {
			t.Fatalf("AddSpan(%s) dropped", sp.SpanID)
		}
	}
	flush(t, s)
	edges := func(since time.Time) string {
		t.Helper()
		m, err := s.ServiceMap(context.Background(), since, t0.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range m.Edges {
			out = append(out, fmt.Sprintf("%s->%s calls=%d links=%d errors=%d", e.From, e.To, e.Calls, e.Links, e.Errors))
		}
		return strings.Join(out, "\n")
	}
	want := strings.Join([]string{
		"Chunks->Scorer calls=3 links=2 errors=1",
		"Splitter->Chunks calls=4 links=0 errors=0",
	}, "\n")
	if got := edges(t0); got != want {
		t.Errorf("edges:\n%s\nwant:\n%s", got, want)
	}
	// From 21ms on, batch 1 (20ms) is outside the window: it is looked up,
	// links and all, as the parent of Scorer invocation 1.
	if got, want := edges(t0.Add(ms(21))), "Chunks->Scorer calls=3 links=2 errors=1"; got != want {
		t.Errorf("edges from 21ms:\n%s\nwant:\n%s", got, want)
	}
}
