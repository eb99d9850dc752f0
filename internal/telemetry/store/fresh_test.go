package store

import (
	"encoding/binary"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// noteFresh notes trace ids as made for new roots in this process.
func noteFresh(t *testing.T, ids ...string) {
	t.Helper()
	for _, s := range ids {
		var id [16]byte
		if _, err := hex.Decode(id[:], []byte(s)); err != nil {
			t.Fatal(err)
		}
		NoteNewTrace(id)
	}
}

// Traces made in this process are written without looking them up, and
// summed as their spans say whatever part of them is written first: a
// fresh trace stays fresh only until a batch writes a part of it.
func TestFreshTraces(t *testing.T) {
	s := open(t, Options{})
	rec := func(n int) model.Invocation {
		inv := invocationWithSpans(n, model.OutcomeOK)
		inv.ParentID = ""
		return inv
	}
	downstream := func(n int, parent string) model.Span {
		return model.Span{TraceID: traceID(n), SpanID: "00000000000000c1", ParentID: parent, Name: "send", Kind: model.KindProducer,
			Resource: "Chunks", Start: t0.Add(ms(3)), End: t0.Add(ms(20)), Status: model.StatusOK}
	}
	alone, spanFirst, recordFirst, together := rec(100), rec(101), rec(102), rec(103)
	noteFresh(t, traceID(100), traceID(101), traceID(102), traceID(103))

	// Batch 1: a record alone (solo); a downstream span before its
	// record; a record before its downstream span; a record and its span
	// together.
	s.AddInvocation(alone)
	s.AddSpan(downstream(101, spanFirst.RunID))
	s.AddInvocation(recordFirst)
	s.AddInvocation(together)
	s.AddSpan(downstream(103, together.RunID))
	flush(t, s)
	if rows := checkSummaries(t, s, traceID(100), traceID(101), traceID(102), traceID(103)); rows != 2 {
		t.Errorf("after the first batch: %d traces rows, want 2 (101's span, 103's record and span)", rows)
	}
	// Batch 2: the parts that come later; no trace is fresh any more, so
	// 102's solo record is folded into the row its span brings, and 101's
	// record joins its row.
	s.AddInvocation(spanFirst)
	s.AddSpan(downstream(102, recordFirst.RunID))
	flush(t, s)
	if rows := checkSummaries(t, s, traceID(100), traceID(101), traceID(102), traceID(103)); rows != 3 {
		t.Errorf("after the second batch: %d traces rows, want 3", rows)
	}
}

// The registry forgets a trace id two generations after it was noted (it
// is then looked up as any other), and takes an id out when a batch has it.
func TestFreshRegistry(t *testing.T) {
	at := func(n uint64) [16]byte {
		var id [16]byte
		binary.BigEndian.PutUint64(id[8:], n)
		return id
	}
	str := func(id [16]byte) string { return hex.EncodeToString(id[:]) }
	now := time.Now().Add(time.Hour) // after any id the process made
	batch := func(ids ...[16]byte) []item {
		var b []item
		for _, id := range ids {
			b = append(b, item{span: &model.Span{TraceID: str(id)}})
		}
		return b
	}
	a, b, c := at(1), at(2), at(3)
	noteNewTrace(a, now)
	noteNewTrace(b, now)
	noteNewTrace(c, now.Add(freshGeneration)) // a new generation: a and b are in the old one
	if got := takeFresh(batch(a)); !got[str(a)] {
		t.Errorf("takeFresh of a noted id (one generation back): %v, want it", got)
	}
	if got := takeFresh(batch(a)); got[str(a)] {
		t.Errorf("takeFresh of an id taken before: %v, want nothing", got)
	}
	noteNewTrace(at(4), now.Add(2*freshGeneration)) // b is two generations back
	if got := takeFresh(batch(b, c)); got[str(b)] || !got[str(c)] {
		t.Errorf("takeFresh of b (two generations back) and c (one): %v, want c only", got)
	}
}
