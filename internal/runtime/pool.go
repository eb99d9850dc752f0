package runtime

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
)

// pool holds the instances of one function. An instance serves one
// invocation at a time; idle instances are reused most-recently-used first,
// so that the others grow idle and are stopped.
type pool struct {
	spec *Spec
	rt   *Runtime

	// slots limits the instances of this function (its reserved
	// concurrency, else the node's limit).
	slots chan struct{}

	mu     sync.Mutex
	idle   []*instance
	all    map[*instance]struct{}
	closed bool
}

func newPool(rt *Runtime, spec *Spec) *pool {
	limit := rt.opts.NodeConcurrency
	if spec.Reserved >= 0 && spec.Reserved < limit {
		limit = spec.Reserved
	}
	return &pool{spec: spec, rt: rt, slots: make(chan struct{}, limit), all: map[*instance]struct{}{}}
}

// acquire waits up to the queue wait for room to run one more invocation
// of this function and on this node.
func (p *pool) acquire(ctx context.Context) error {
	if cap(p.slots) == 0 {
		return invoke.Errorf(invoke.ErrTooManyRequests, "Rate Exceeded. Function %s has ReservedConcurrentExecutions 0: it is throttled", p.spec.Name)
	}
	// Most invocations find room at once: no timer for them.
	select {
	case p.slots <- struct{}{}:
		select {
		case p.rt.slots <- struct{}{}:
			return nil
		default:
			<-p.slots
		}
	default:
	}
	wait := time.NewTimer(p.rt.opts.QueueWait)
	defer wait.Stop()
	select {
	case p.slots <- struct{}{}:
	case <-wait.C:
		return invoke.Errorf(invoke.ErrTooManyRequests, "Rate Exceeded. Function %s is running %d invocations at once, its limit", p.spec.Name, cap(p.slots))
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case p.rt.slots <- struct{}{}:
		return nil
	case <-wait.C:
		<-p.slots
		return invoke.Errorf(invoke.ErrTooManyRequests, "Rate Exceeded. This node is running %d invocations at once, its limit", cap(p.rt.slots))
	case <-ctx.Done():
		<-p.slots
		return ctx.Err()
	}
}

func (p *pool) release() {
	<-p.rt.slots
	<-p.slots
}

// get returns a warm idle instance, or starts a new one (cold).
func (p *pool) get() (*instance, bool, error) {
	p.mu.Lock()
	for len(p.idle) > 0 {
		in := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if in.alive() {
			p.mu.Unlock()
			return in, false, nil
		}
		delete(p.all, in)
		go in.stop() // closes its listener
	}
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, false, errPoolClosed
	}
	in, err := p.rt.startInstance(p.spec)
	if err != nil {
		return nil, false, err
	}
	p.mu.Lock()
	if p.closed {
		// Retired or closed while the instance started: close saw no
		// instance to stop.
		p.mu.Unlock()
		in.stop()
		return nil, false, errPoolClosed
	}
	p.all[in] = struct{}{}
	p.mu.Unlock()
	return in, true, nil
}

// errPoolClosed means the pool's function was redeployed or removed after
// the invocation chose the pool.
var errPoolClosed = errors.New("the function was redeployed or removed")

// put returns an instance after an invocation: to the idle list when it can
// serve again, else it is stopped.
func (p *pool) put(in *instance, fatal bool) {
	p.mu.Lock()
	if fatal || p.closed || !in.alive() {
		delete(p.all, in)
		p.mu.Unlock()
		go in.stop()
		return
	}
	in.warm = true
	in.lastUsed = time.Now()
	p.idle = append(p.idle, in)
	p.mu.Unlock()
}

// reap stops instances idle for longer than the idle timeout.
func (p *pool) reap(now time.Time) {
	p.mu.Lock()
	var stop []*instance
	keep := p.idle[:0]
	for _, in := range p.idle {
		if now.Sub(in.lastUsed) > p.rt.opts.IdleTimeout || !in.alive() {
			stop = append(stop, in)
			delete(p.all, in)
			continue
		}
		keep = append(keep, in)
	}
	p.idle = keep
	p.mu.Unlock()
	for _, in := range stop {
		in.stop()
	}
}

// retire stops the pool of a function that a deploy replaced or removed:
// idle instances stop now, busy ones when their invocation ends (put), so
// that invocations in progress finish on the code they started with.
func (p *pool) retire() {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	for _, in := range idle {
		delete(p.all, in)
	}
	p.mu.Unlock()
	for _, in := range idle {
		go in.stop()
	}
}

// close stops every instance; invocations in progress end with the
// instance's exit.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	all := make([]*instance, 0, len(p.all))
	for in := range p.all {
		all = append(all, in)
	}
	p.all = map[*instance]struct{}{}
	p.idle = nil
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, in := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.stop()
		}()
	}
	wg.Wait()
}

// counts returns the number of instances and of idle ones.
func (p *pool) counts() (total, idle int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.all), len(p.idle)
}
