package store

import (
	"encoding/hex"
	"sync"
	"time"
)

// Fresh traces. A trace id made in this process for a new root (the
// gateway's request with no caller's trace, an Invoke API call) has
// nothing stored of it until the first batch that writes a part of it, so
// that batch needs no look-up to know it: its record is solo if it is the
// only item of its trace in the batch (solo.go), and no solo record of it
// is stored to fold. Telemetry notes each such id (NoteNewTrace); every
// batch takes its trace ids out (takeFresh) before writing, whichever
// store it goes to, so an id still noted has nothing in any store. Ids
// are forgotten after two generations of freshGeneration (a trace's first
// part is usually written within a second); a forgotten trace is looked
// up as any other.

// freshGeneration is how long a generation of the registry takes new
// trace ids.
const freshGeneration = 10 * time.Second

// freshMax bounds a generation's size.
const freshMax = 1 << 18

var fresh = struct {
	sync.Mutex
	cur, old map[[16]byte]struct{}
	since    time.Time // when cur began
}{cur: map[[16]byte]struct{}{}, old: map[[16]byte]struct{}{}}

// NoteNewTrace notes a trace id just made for a new root.
func NoteNewTrace(id [16]byte) {
	noteNewTrace(id, time.Now())
}

func noteNewTrace(id [16]byte, now time.Time) {
	fresh.Lock()
	if now.Sub(fresh.since) >= freshGeneration || len(fresh.cur) >= freshMax {
		fresh.old, fresh.cur, fresh.since = fresh.cur, make(map[[16]byte]struct{}, len(fresh.cur)), now
	}
	fresh.cur[id] = struct{}{}
	fresh.Unlock()
}

// takeFresh forgets the trace ids of a batch and returns those that were
// still noted: traces nothing has been written of.
func takeFresh(batch []item) map[string]bool {
	var out map[string]bool
	fresh.Lock()
	defer fresh.Unlock()
	if len(fresh.cur) == 0 && len(fresh.old) == 0 {
		return nil
	}
	take := func(tid string) {
		var id [16]byte
		if len(tid) != 32 {
			return
		}
		if _, err := hex.Decode(id[:], []byte(tid)); err != nil {
			return
		}
		_, inCur := fresh.cur[id]
		_, inOld := fresh.old[id]
		if !inCur && !inOld {
			return
		}
		delete(fresh.cur, id)
		delete(fresh.old, id)
		if out == nil {
			out = map[string]bool{}
		}
		out[tid] = true
	}
	for i := range batch {
		if v := batch[i].inv; v != nil && v.TraceID != "" {
			take(v.TraceID)
		}
		if sp := batch[i].span; sp != nil {
			take(sp.TraceID)
		}
	}
	return out
}
