package runtime

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
)

// Observation is what the runtime tells its observer about one invocation
// attempt: one that ran (Throttled false) or one refused for lack of
// concurrency (Throttled true; nothing else is set but the names).
type Observation struct {
	Function string // the function's name
	Version  string // "$LATEST" or the version that ran
	// Deployment is the platform's deployment the invocation was recorded
	// under (SetDeployment), as its invocation record says; "" without one.
	Deployment string
	// Throttled means the attempt was refused with TooManyRequests.
	Throttled bool
	Cold      bool
	// Duration is the run time; InitDuration is set on cold starts.
	Duration     time.Duration
	InitDuration time.Duration
	MemorySizeMB int
	MaxMemoryMB  int
	// ErrorType is the failed invocation's error type ("Sandbox.Timedout",
	// "Runtime.OutOfMemory", "Runtime.ExitError", or the type the handler
	// reported); "" when it succeeded.
	ErrorType string
}

// observerSlot holds the observer; it is read on every invocation, so it is
// an atomic pointer rather than a field under the runtime's lock.
type observerSlot struct {
	f atomic.Pointer[func(Observation)]
}

// Observe makes the runtime call f after every invocation attempt it runs
// or throttles, on the invoking goroutine: f must be quick and must not
// block. A nil f stops the calls.
func (rt *Runtime) Observe(f func(Observation)) {
	if f == nil {
		rt.obs.f.Store(nil)
		return
	}
	rt.obs.f.Store(&f)
}

// observeRun reports an invocation that ran.
func (rt *Runtime) observeRun(p *pool, res invoke.Result, errType string) {
	f := rt.obs.f.Load()
	if f == nil {
		return
	}
	(*f)(Observation{Function: p.spec.Name, Version: res.Version, Deployment: p.rt.deployment(), Cold: res.Cold, Duration: res.Duration, InitDuration: res.InitDuration,
		MemorySizeMB: res.MemorySizeMB, MaxMemoryMB: res.MaxMemoryMB, ErrorType: errType})
}

// observeRefused reports an attempt that could not get a slot; only
// throttles are observations (a caller that gave up is not).
func (rt *Runtime) observeRefused(p *pool, err error) {
	f := rt.obs.f.Load()
	if f == nil || !errors.Is(err, invoke.ErrTooManyRequests) {
		return
	}
	(*f)(Observation{Function: p.spec.Name, Version: p.spec.version(), Deployment: p.rt.deployment(), Throttled: true})
}

// PoolState is the state of one function's instances on this node.
type PoolState struct {
	Function string
	Version  string
	// Deployment is the platform's current deployment (SetDeployment), ""
	// without one.
	Deployment string
	// Running is the invocations in progress, including those waiting for
	// a new instance to start.
	Running int
	// Busy and Idle count instances serving an invocation and warm ones.
	Busy, Idle int
}

// PoolStates lists the state of every function, including the pools of
// functions a deploy replaced whose invocations are still finishing (so a
// function may appear more than once).
func (rt *Runtime) PoolStates() []PoolState {
	pools := rt.poolList()
	rt.mu.RLock()
	pools = append(pools, rt.retired...)
	rt.mu.RUnlock()
	out := make([]PoolState, 0, len(pools))
	dep := rt.deployment()
	for _, p := range pools {
		total, idle := p.counts()
		out = append(out, PoolState{Function: p.spec.Name, Version: p.spec.version(), Deployment: dep, Running: len(p.slots), Busy: total - idle, Idle: idle})
	}
	return out
}
