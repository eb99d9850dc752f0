package queue

import (
	"sync"
	"time"
)

// JetStream settles a delivery by its stream sequence alone: an ack or a
// NAK sent to the ack subject of an earlier delivery of a message settles
// the delivery that is current now, which another receiver may hold. The
// queue therefore remembers the latest delivery of each message it
// delivered and not yet deleted, and until when that delivery is
// invisible; a receipt handle of an earlier delivery is stale and is
// refused (see Delete and ChangeVisibility). The same record tells Stats
// which messages are really in flight: JetStream counts a delivery whose
// visibility is over as pending until it is delivered again.
//
// Every delivery of the "sqs" consumer goes through deliver, so the record
// is complete for deliveries made since the process started. Deliveries
// made before are unknown: their receipt handles are taken as current.

// inflight is the record of one queue's deliveries. It is shared by the
// queue's successive configurations (see Service.Apply).
type inflight struct {
	since time.Time // when the record began: earlier deliveries are unknown

	mu sync.Mutex
	m  map[uint64]delivery // by stream sequence
}

// delivery is the latest delivery of a message.
type delivery struct {
	cseq  uint64    // its consumer sequence, unique to the delivery
	until time.Time // it is invisible until then
}

// handleState is what the record knows of a receipt handle.
type handleState int

const (
	handleUnknown handleState = iota // no delivery of its message recorded
	handleCurrent                    // the latest delivery of its message
	handleStale                      // its message was delivered again since
)

func newInflight() *inflight {
	return &inflight{since: time.Now(), m: map[uint64]delivery{}}
}

// received records a delivery, invisible until until.
func (f *inflight) received(sseq, cseq uint64, until time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d, ok := f.m[sseq]; ok && d.cseq > cseq {
		return // a later delivery was recorded first
	}
	f.m[sseq] = delivery{cseq: cseq, until: until}
}

// state tells whether the delivery cseq of message sseq is its latest.
func (f *inflight) state(sseq, cseq uint64) handleState {
	st, _ := f.lookup(sseq, cseq)
	return st
}

// lookup tells whether the delivery cseq of message sseq is its latest
// and, if it is, until when it is invisible.
func (f *inflight) lookup(sseq, cseq uint64) (handleState, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.m[sseq]
	switch {
	case ok && d.cseq == cseq:
		return handleCurrent, d.until
	case ok && d.cseq > cseq:
		return handleStale, time.Time{}
	}
	// Not recorded, or a delivery later than the one recorded, which only
	// a forged handle names.
	return handleUnknown, time.Time{}
}

// settled forgets message sseq once its delivery cseq was deleted (or
// moved to the dead-letter queue), unless a later delivery was recorded.
func (f *inflight) settled(sseq, cseq uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d, ok := f.m[sseq]; ok && d.cseq <= cseq {
		delete(f.m, sseq)
	}
}

// hidden records that the delivery cseq of message sseq is invisible until
// until (ChangeVisibility); it changes nothing if the delivery is stale.
func (f *inflight) hidden(sseq, cseq uint64, until time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d, ok := f.m[sseq]; ok && d.cseq <= cseq {
		f.m[sseq] = delivery{cseq: cseq, until: until}
	}
}

// count returns how many recorded deliveries are invisible at now, and how
// many are recorded.
func (f *inflight) count(now time.Time) (invisible, recorded int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.m {
		if d.until.After(now) {
			invisible++
		}
	}
	return invisible, len(f.m)
}

// prune forgets the messages below first, the stream's first sequence:
// they are gone (deleted, or past the retention period).
func (f *inflight) prune(first uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for sseq := range f.m {
		if sseq < first {
			delete(f.m, sseq)
		}
	}
}

// clear forgets every message (the queue was purged).
func (f *inflight) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.m)
}
