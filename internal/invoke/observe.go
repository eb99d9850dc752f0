package invoke

import (
	"sync/atomic"
	"time"
)

// ageSlot holds ObserveAge's function; it is read on every event, so it is
// an atomic pointer rather than a field under the queue's lock.
type ageSlot struct {
	f atomic.Pointer[func(function string, age time.Duration)]
}

// ObserveAge makes the queue call f before each attempt to run an event,
// with the time since the event was accepted (Lambda's AsyncEventAge).
// f runs on the event's goroutine: it must be quick and must not block. A
// nil f stops the calls.
func (a *Async) ObserveAge(f func(function string, age time.Duration)) {
	if f == nil {
		a.age.f.Store(nil)
		return
	}
	a.age.f.Store(&f)
}

// observeAge reports the age of an event from its enqueued header.
func (a *Async) observeAge(function, enqueued string) {
	f := a.age.f.Load()
	if f == nil {
		return
	}
	if t, err := time.Parse(time.RFC3339Nano, enqueued); err == nil {
		(*f)(function, time.Since(t))
	}
}
