package runtime

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"github.com/stacklab/stacklab/internal/ids"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
)

// Options configure a Runtime.
type Options struct {
	Region    string // AWS_REGION of functions, default us-east-1
	AccountID string // in ARNs, default 123456789012
	// NodeConcurrency is the most invocations this node runs at once,
	// across functions (default 64).
	NodeConcurrency int
	// IdleTimeout is how long an idle instance is kept warm (default 5m).
	IdleTimeout time.Duration
	// QueueWait is how long an invocation waits for a free slot before it
	// is throttled with TooManyRequestsException (default 2s).
	QueueWait time.Duration
	// InitTimeout bounds a cold start: process start to its first request
	// for an event (default 10s, as Lambda's init phase).
	InitTimeout time.Duration
	Logs        *Logs        // default: in memory only
	Logger      *slog.Logger // default: discard
	// Sandbox runs instances under bubblewrap when it is installed.
	Sandbox bool
	// Hide lists paths that instances must not see (the state directory).
	Hide []string
}

// maxEventAge is how long an asynchronous event that is throttled is
// retried, as Lambda's default MaximumEventAgeInSeconds.
const maxEventAge = 6 * time.Hour

// Runtime runs the functions of one node. It implements invoke.Invoker.
type Runtime struct {
	opts    Options
	log     *slog.Logger
	logs    *Logs
	slots   chan struct{}
	sandbox *sandbox

	mu    sync.RWMutex
	pools map[string]*pool // by name and by logical id
	q     Queue
	// retired are pools a deploy replaced whose instances may still be
	// finishing invocations; Close stops them too.
	retired []*pool

	async   sync.WaitGroup
	stopped chan struct{}
	reaper  sync.WaitGroup
	obs     observerSlot // Observe's function
	trace   traceSlot    // SetTelemetry's and SetDeployment's values
}

var _ invoke.Invoker = (*Runtime)(nil)

// New returns a Runtime with no functions.
func New(opts Options) *Runtime {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	if opts.NodeConcurrency <= 0 {
		opts.NodeConcurrency = 64
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 5 * time.Minute
	}
	if opts.QueueWait <= 0 {
		opts.QueueWait = 2 * time.Second
	}
	if opts.InitTimeout <= 0 {
		opts.InitTimeout = initTimeout
	}
	if opts.Logs == nil {
		opts.Logs = NewLogs("")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	rt := &Runtime{opts: opts, log: opts.Logger.With("component", "runtime"), logs: opts.Logs, slots: make(chan struct{}, opts.NodeConcurrency), pools: map[string]*pool{}, stopped: make(chan struct{})}
	if opts.Sandbox {
		rt.sandbox = newSandbox(opts.Hide)
		if rt.sandbox == nil {
			rt.log.Warn("bubblewrap (bwrap) is not installed: functions run without a sandbox")
		}
	}
	rt.reaper.Add(1)
	go rt.reapLoop()
	return rt
}

// Sandboxed reports whether instances run in a sandbox.
func (rt *Runtime) Sandboxed() bool { return rt.sandbox != nil }

// Logs returns the log store.
func (rt *Runtime) Logs() *Logs { return rt.logs }

func (rt *Runtime) reapLoop() {
	defer rt.reaper.Done()
	t := time.NewTicker(min(time.Second, rt.opts.IdleTimeout/2))
	defer t.Stop()
	for {
		select {
		case <-rt.stopped:
			return
		case now := <-t.C:
			for _, p := range rt.poolList() {
				p.reap(now)
			}
		}
	}
}

func (rt *Runtime) poolList() []*pool {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	seen := map[*pool]bool{}
	var out []*pool
	for _, p := range rt.pools {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// Deploy replaces the set of functions. Functions whose spec did not change
// keep their warm instances; the others are stopped.
func (rt *Runtime) Deploy(specs []*Spec) {
	rt.mu.Lock()
	old := rt.pools
	rt.pools = map[string]*pool{}
	keep := map[*pool]bool{}
	for _, s := range specs {
		var p *pool
		if prev := old[s.Name]; prev != nil && sameSpec(prev.spec, s) {
			p = prev
		} else {
			p = newPool(rt, s)
		}
		keep[p] = true
		rt.pools[s.Name] = p
		if s.ID != "" {
			rt.pools[s.ID] = p
		}
	}
	live := rt.retired[:0]
	for _, p := range rt.retired {
		if total, _ := p.counts(); total > 0 {
			live = append(live, p)
		}
	}
	rt.retired = live
	retire := map[*pool]bool{}
	for _, p := range old {
		if !keep[p] && !retire[p] {
			retire[p] = true
			rt.retired = append(rt.retired, p)
		}
	}
	rt.mu.Unlock()
	for p := range retire {
		p.retire()
	}
}

func sameSpec(a, b *Spec) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// Function describes a deployed function and its instances.
type Function struct {
	Name      string `json:"name"`
	ID        string `json:"id"`
	Runtime   string `json:"runtime"`
	Handler   string `json:"handler"`
	MemoryMB  int    `json:"memoryMB"`
	TimeoutS  int    `json:"timeoutSeconds"`
	Instances int    `json:"instances"`
	Idle      int    `json:"idle"`
}

// Functions lists the deployed functions by name.
func (rt *Runtime) Functions() []Function {
	var out []Function
	for _, p := range rt.poolList() {
		total, idle := p.counts()
		out = append(out, Function{Name: p.spec.Name, ID: p.spec.ID, Runtime: p.spec.Runtime, Handler: p.spec.Handler, MemoryMB: p.spec.MemoryMB, TimeoutS: int(p.spec.Timeout / time.Second), Instances: total, Idle: idle})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (rt *Runtime) pool(name string) *pool {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	return rt.pools[name]
}

// Invoke runs an invocation: synchronously, asynchronously (accepted now,
// run in the background), or as a dry run.
func (rt *Runtime) Invoke(ctx context.Context, req invoke.Request) (invoke.Result, error) {
	name, qualifier, _ := strings.Cut(req.Function, ":")
	p := rt.pool(name)
	if p != nil && qualifier != "" && qualifier != p.spec.version() {
		p = nil // only $LATEST runs here for now
	}
	if p == nil {
		return invoke.Result{}, invoke.Errorf(invoke.ErrNotFound, "Function not found: arn:aws:lambda:%s:%s:function:%s", rt.opts.Region, rt.opts.AccountID, req.Function)
	}
	limit := invoke.MaxSyncPayload
	if req.Type == invoke.Event {
		limit = invoke.MaxAsyncPayload
	}
	if len(req.Payload) > limit {
		return invoke.Result{}, invoke.Errorf(invoke.ErrTooLarge, "Request must be smaller than %d bytes for the InvokeFunction operation", limit)
	}
	if len(req.Payload) == 0 {
		req.Payload = []byte("{}")
	}
	if !json.Valid(req.Payload) {
		return invoke.Result{}, invoke.Errorf(invoke.ErrInvalidContent, "Could not parse request body into json: the payload is not valid JSON")
	}
	switch req.Type {
	case invoke.DryRun:
		return invoke.Result{Version: p.spec.version()}, nil
	case invoke.Event:
		id := newRequestID()
		traceID := rt.asyncTrace(ctx, &req)
		if q := rt.queue(); q != nil {
			if err := q.Accept(ctx, req, id); err != nil {
				return invoke.Result{}, err
			}
			return invoke.Result{RequestID: id, Version: p.spec.version(), TraceID: traceID}, nil
		}
		rt.async.Add(1)
		go func() {
			defer rt.async.Done()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				select {
				case <-rt.stopped:
					cancel()
				case <-ctx.Done():
				}
			}()
			// A throttled event waits for room, as Lambda retries throttled
			// events for up to the maximum event age.
			expires := time.Now().Add(maxEventAge)
			req.Attempt, req.Queued = 1, time.Now()
			for backoff := time.Second; ; backoff = min(2*backoff, time.Minute) {
				_, err := rt.run(ctx, p, req, id)
				if err == nil {
					return
				}
				if !errors.Is(err, invoke.ErrTooManyRequests) || time.Now().After(expires) {
					rt.log.Warn("async invocation failed", "function", p.spec.Name, "request_id", id, "err", err)
					return
				}
				select {
				case <-ctx.Done():
					rt.log.Warn("async invocation not run: the runtime stopped", "function", p.spec.Name, "request_id", id)
					return
				case <-time.After(backoff):
				}
			}
		}()
		return invoke.Result{RequestID: id, Version: p.spec.version(), TraceID: traceID}, nil
	}
	id := req.RequestID
	if id == "" {
		id = newRequestID()
	}
	return rt.run(ctx, p, req, id)
}

// Queue stores async invocations durably (package invoke's Async).
type Queue interface {
	Accept(ctx context.Context, req invoke.Request, requestID string) error
}

// SetQueue makes async invocations go through q instead of running in
// memory; q runs them back through Invoke.
func (rt *Runtime) SetQueue(q Queue) {
	rt.mu.Lock()
	rt.q = q
	rt.mu.Unlock()
}

func (rt *Runtime) queue() Queue {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	return rt.q
}

// run runs a synchronous invocation on an instance of p, or of the pool
// that replaced p when the function was redeployed meanwhile.
func (rt *Runtime) run(ctx context.Context, p *pool, req invoke.Request, id string) (invoke.Result, error) {
	t := rt.beginTrace(ctx, p, &req, id)
	for {
		res, err := rt.runPool(ctx, p, req, id, t)
		if !errors.Is(err, errPoolClosed) {
			res.TraceID = t.end(p, err)
			return res, err
		}
		name, _, _ := strings.Cut(req.Function, ":")
		np := rt.pool(name)
		if np == nil || np == p {
			err := invoke.Errorf(invoke.ErrNotFound, "Function not found: arn:aws:lambda:%s:%s:function:%s (it was removed by a deploy)", rt.opts.Region, rt.opts.AccountID, req.Function)
			t.end(p, err)
			return invoke.Result{}, err
		}
		p = np
	}
}

func (rt *Runtime) runPool(ctx context.Context, p *pool, req invoke.Request, id string, t *invTrace) (invoke.Result, error) {
	if err := p.acquire(ctx); err != nil {
		rt.observeRefused(p, err)
		return invoke.Result{}, err
	}
	t.waited()
	defer p.release()
	for attempt := 0; ; attempt++ {
		in, cold, err := p.get()
		if errors.Is(err, errPoolClosed) {
			return invoke.Result{}, err
		}
		if err != nil {
			return invoke.Result{}, invoke.Errorf(invoke.ErrService, "starting an instance of %s: %v", p.spec.Name, err)
		}
		res, retry, err := rt.runOn(ctx, p, in, cold, req, id, t)
		if !retry {
			return res, err
		}
		if attempt == 2 {
			return invoke.Result{}, invoke.Errorf(invoke.ErrService, "running %s: three instances in a row stopped before taking the event; see 'stacklab logs %s'", p.spec.Name, p.spec.Name)
		}
		// The instance died while idle; use another.
	}
}

func (rt *Runtime) runOn(ctx context.Context, p *pool, in *instance, cold bool, req invoke.Request, id string, t *invTrace) (invoke.Result, bool, error) {
	inv := &invocation{
		id:            id,
		payload:       req.Payload,
		deadline:      time.Now().Add(p.spec.Timeout),
		clientContext: req.ClientContext,
		done:          make(chan outcome, 1),
		tail:          &tailBuffer{},
	}
	name := p.spec.Name
	rt.logs.add(name, id, in.id, "START RequestId: "+id+" Version: "+p.spec.version(), inv.tail)
	o, ready, err := in.awaitReady(ctx, inv)
	if cold {
		t.initDone(in, ready, o)
	}
	var run runSpan
	if ready {
		run, inv.traceID = t.startRun(ctx, req)
		o, err = in.invoke(ctx, inv)
	}
	end := time.Now()
	if err != nil {
		t.runFailed(run, err, end)
		p.put(in, true)
		return invoke.Result{}, errors.Is(err, errInstanceGone), err
	}
	if cold {
		// The sampler may not have run yet on a short first invocation.
		if rss := processRSS(in.cmd.Process.Pid); rss > in.maxRSS.Load() {
			in.maxRSS.Store(rss)
		}
	}
	started := inv.started
	if started.IsZero() {
		started = end
	}
	res := invoke.Result{
		RequestID:    id,
		Payload:      o.payload,
		Version:      p.spec.version(),
		Cold:         cold,
		Duration:     end.Sub(started),
		MemorySizeMB: p.spec.MemoryMB,
		MaxMemoryMB:  int((in.maxRSS.Load() + 1<<20 - 1) >> 20),
	}
	if o.errType != "" {
		res.FunctionError = "Unhandled"
	}
	if cold {
		res.InitDuration = in.initDur
	}
	res.BilledDuration = (res.Duration + time.Millisecond - 1).Truncate(time.Millisecond)
	if res.BilledDuration == 0 {
		res.BilledDuration = time.Millisecond
	}
	rt.logs.add(name, id, in.id, "END RequestId: "+id, inv.tail)
	rt.logs.add(name, id, in.id, reportLine(id, res.Duration, res.BilledDuration, res.InitDuration, res.MemorySizeMB, res.MaxMemoryMB), inv.tail)
	if req.LogTail {
		res.LogTail = inv.tail.bytes()
	}
	rt.observeRun(p, res, o.errType)
	t.ran(in, res, o.errType, run, end)
	p.put(in, o.fatal)
	return res, false, nil
}

// Close stops every instance and waits for background invocations.
func (rt *Runtime) Close() {
	select {
	case <-rt.stopped:
		return
	default:
	}
	close(rt.stopped)
	rt.reaper.Wait()
	rt.mu.Lock()
	pools := rt.pools
	rt.pools = map[string]*pool{}
	retired := rt.retired
	rt.retired = nil
	rt.mu.Unlock()
	seen := map[*pool]bool{}
	for _, p := range retired {
		seen[p] = true
		p.close()
	}
	for _, p := range pools {
		if !seen[p] {
			seen[p] = true
			p.close()
		}
	}
	rt.async.Wait()
}

// newRequestID returns a request id in the form AWS gives them (a
// lowercase UUID, 8-4-4-4-12 hex digits).
func newRequestID() string { return ids.V7(time.Now()) }

// newTraceID returns an X-Ray trace header for an invocation that came
// without one: Root=1-{8 hex digits of epoch seconds}-{24 hex
// digits};Parent={16 hex digits};Sampled=0.
func newTraceID() string {
	var b [12]byte
	rand.Read(b[:])
	var t [4]byte
	binary.BigEndian.PutUint32(t[:], uint32(time.Now().Unix()))
	s := make([]byte, 0, 80)
	s = append(s, "Root=1-"...)
	s = hex.AppendEncode(s, t[:])
	s = append(s, '-')
	s = hex.AppendEncode(s, b[:])
	s = append(s, ";Parent="...)
	s = hex.AppendEncode(s, b[:8])
	s = append(s, ";Sampled=0"...)
	return string(s)
}
