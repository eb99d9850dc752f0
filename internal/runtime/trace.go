package runtime

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// traceSlot holds the telemetry and the deployment the runtime records
// invocations under; both are read on every invocation, so they are atomic
// pointers rather than fields under the runtime's lock.
type traceSlot struct {
	tel        atomic.Pointer[telemetry.Telemetry]
	deployment atomic.Pointer[string]
}

// SetTelemetry makes the runtime trace every invocation and record it
// (tel.Record). The platform opens its telemetry after creating the
// runtime, so it is set here; nil turns tracing off.
//
// An invocation is a Server span named by the function, child of the
// context in the request's TraceID (an X-Ray header), else of the span in
// the caller's ctx, else a new root. Its children are "queue wait" (for a
// free slot, and for an async event its time in the queue; left out under
// minQueueWait), "init" (a cold
// start, as measured from the process's start to its first request for an
// event) and "run" (the event handed over to the answer); the function gets
// the run span's context as Lambda-Runtime-Trace-Id, which its runtime
// client turns into _X_AMZN_TRACE_ID. Each attempt at an async event is an
// invocation span of its own in the event's trace, with its attempt number
// (AttemptKey) and, from the second on, a "retry" event.
func (rt *Runtime) SetTelemetry(tel *telemetry.Telemetry) { rt.trace.tel.Store(tel) }

// SetDeployment names the deployment (the platform's version number) that
// invocations from now on are recorded under. Call it before Deploy.
func (rt *Runtime) SetDeployment(v string) { rt.trace.deployment.Store(&v) }

func (rt *Runtime) deployment() string {
	if v := rt.trace.deployment.Load(); v != nil {
		return *v
	}
	return ""
}

// Attributes of invocation spans beyond OpenTelemetry's FaaS conventions.
const (
	// AttemptKey is which attempt at an async event an invocation span is
	// (1 for the first run).
	AttemptKey = attribute.Key("stacklab.async.attempt")
	// RetryDelayKey, on a "retry" event, is the time in milliseconds from
	// the end of the failed attempt to this one's start.
	RetryDelayKey = attribute.Key("stacklab.async.retry_delay_ms")
)

// invTrace is the tracing of one invocation: its span and the times its
// record needs. Every method is safe on a nil *invTrace (tracing off).
type invTrace struct {
	tel      *telemetry.Telemetry
	ctx      context.Context // carries the invocation span
	span     telemetry.Span
	resource attribute.KeyValue
	req      *invoke.Request
	id       string
	start    time.Time // the record's Start: accepted, or queued
	acquired time.Time // a slot was free

	// Set by ran once an instance ran (or failed to start) the invocation.
	done     bool
	res      invoke.Result
	errType  string
	instance string // the instance's id, set on the span as it ends
	late     [3]attribute.KeyValue

	trace string // the trace id, once traceID has formatted it
}

// beginTrace starts an invocation's span, or returns nil when tracing is
// off.
func (rt *Runtime) beginTrace(ctx context.Context, p *pool, req *invoke.Request, id string) *invTrace {
	tel := rt.trace.tel.Load()
	if tel == nil {
		return nil
	}
	start := time.Now()
	if !req.Queued.IsZero() && req.Queued.Before(start) {
		start = req.Queued
	}
	trigger := req.Trigger
	if trigger == "" {
		trigger = telemetry.TriggerOther
	}
	t := &invTrace{tel: tel, resource: telemetry.Resource(resourceOf(p.spec)), req: req, id: id, start: start}
	attrs := []attribute.KeyValue{
		t.resource,
		telemetry.FaaSName(p.spec.Name),
		telemetry.FaaSVersion(p.spec.version()),
		telemetry.FaaSTrigger(trigger),
		telemetry.FaaSInvocationID(id),
		telemetry.FaaSMaxMemory(p.spec.MemoryMB),
	}
	if req.Attempt > 0 {
		attrs = append(attrs, AttemptKey.Int(req.Attempt))
	}
	t.ctx, t.span = tel.StartSpanAt(tracectx.FromXRay(ctx, req.TraceID), p.spec.Name, telemetry.Server, start, attrs...)
	if req.Attempt > 1 {
		ev := []attribute.KeyValue{AttemptKey.Int(req.Attempt)}
		if !req.Queued.IsZero() {
			ev = append(ev, RetryDelayKey.Int64(time.Since(req.Queued).Milliseconds()))
		}
		t.span.AddEvent("retry", ev...)
	}
	return t
}

// asyncTrace gives an async event the trace its attempts join: the
// request's TraceID, else the caller's span in ctx, else (when tracing) a
// new trace begun at its acceptance, so that its attempts are still one
// trace. It returns the trace id, "" when there is none or tracing is off.
func (rt *Runtime) asyncTrace(ctx context.Context, req *invoke.Request) string {
	if req.TraceID == "" {
		req.TraceID = tracectx.XRay(ctx)
	}
	if rt.trace.tel.Load() == nil {
		return ""
	}
	if req.TraceID == "" {
		req.TraceID = newTraceID()
	}
	sc, err := tracectx.ParseXRay(req.TraceID)
	if err != nil {
		return "" // a header that does not parse: each attempt starts a trace
	}
	return sc.TraceID().String()
}

// resourceOf is the node of the service map a function's spans belong to:
// its logical id, or its name when it has none.
func resourceOf(s *Spec) string {
	if s.ID != "" {
		return s.ID
	}
	return s.Name
}

// child records a measured phase of the invocation as a child span.
func (t *invTrace) child(name string, from, to time.Time) telemetry.Span {
	_, s := t.tel.StartSpanAt(t.ctx, name, telemetry.Internal, from, t.resource)
	s.EndAt(to)
	return s
}

// minQueueWait is the shortest wait for a slot recorded as a "queue wait"
// span: a shorter one found a free slot, waited for nothing, and its span
// would cost a row in the store for each warm invocation and say nothing.
// The invocation record keeps every wait.
const minQueueWait = 100 * time.Microsecond

// waited ends the wait for a slot (successful or not).
func (t *invTrace) waited() {
	if t == nil || !t.acquired.IsZero() {
		return
	}
	t.acquired = time.Now()
	if t.acquired.Sub(t.start) >= minQueueWait {
		t.child("queue wait", t.start, t.acquired)
	}
}

// initDone records the cold start of in: ok when the instance became
// ready, else it failed (o says how).
func (t *invTrace) initDone(in *instance, ok bool, o outcome) {
	if t == nil {
		return
	}
	end := time.Now()
	if ok {
		end = in.born.Add(in.initDur)
	}
	s := t.child("init", in.born, end)
	if !ok && o.errType != "" {
		s.Fail(string(model.OutcomeOf(o.errType)), o.errType)
	}
}

// startRun starts the run span and returns the X-Ray header the function
// is given: the run span's context. Without tracing it is the request's
// header, or a new unsampled one.
func (t *invTrace) startRun(req invoke.Request) (telemetry.Span, string) {
	if t == nil {
		if req.TraceID != "" {
			return telemetry.Span{}, req.TraceID
		}
		return telemetry.Span{}, newTraceID()
	}
	ctx, s := t.tel.StartSpan(t.ctx, "run", telemetry.Internal, t.resource)
	return s, tracectx.XRay(ctx)
}

// ran notes what the instance made of the invocation; end sets it on the
// span.
func (t *invTrace) ran(in *instance, res invoke.Result, errType string) {
	if t == nil {
		return
	}
	t.done, t.res, t.errType, t.instance = true, res, errType, in.id
}

// end ends the invocation span with its outcome and records the
// invocation: one that ran, or one throttled. An invocation that never
// reached an instance for another reason (the caller gave up, an instance
// could not start) fails the span and leaves no record, as it is not
// counted by the metrics either.
//
// It returns the trace id, for the invocation's result.
func (t *invTrace) end(p *pool, err error) string {
	if t == nil {
		return ""
	}
	t.waited() // when the slot never came
	switch {
	case t.done:
		// What ran tells is set in one call with the error type, if any.
		late := append(t.late[:0], telemetry.FaaSColdstart(t.res.Cold), telemetry.FaaSInstance(t.instance))
		o := model.OutcomeOf(t.errType)
		if o == model.OutcomeOK {
			t.span.SetAttributes(late...)
			t.span.OK()
		} else {
			t.span.Fail(string(o), t.errType, late...)
		}
		t.record(p, o)
	case errors.Is(err, invoke.ErrTooManyRequests):
		t.span.Fail(string(model.OutcomeThrottled), err.Error())
		t.record(p, model.OutcomeThrottled)
	case err != nil:
		t.span.RecordError(err)
	}
	t.span.End()
	return t.traceID()
}

// traceID is the invocation span's trace id, formatted once for the
// record and the result.
func (t *invTrace) traceID() string {
	if t.trace == "" {
		t.trace = t.span.TraceID()
	}
	return t.trace
}

func (t *invTrace) record(p *pool, o model.Outcome) {
	inv := model.Invocation{
		Function:     p.spec.Name,
		Version:      p.spec.version(),
		Deployment:   p.rt.deployment(),
		RequestID:    t.id,
		TraceID:      t.traceID(),
		Trigger:      t.req.Trigger,
		Start:        t.start,
		QueueWait:    t.acquired.Sub(t.start),
		MemorySizeMB: p.spec.MemoryMB,
		Outcome:      o,
		Retries:      max(0, t.req.Attempt-1),
	}
	if inv.Trigger == "" {
		inv.Trigger = telemetry.TriggerOther
	}
	if t.done {
		r := t.res
		inv.Version, inv.Cold, inv.InitDuration, inv.Duration, inv.MaxMemoryMB = r.Version, r.Cold, r.InitDuration, r.Duration, r.MaxMemoryMB
	}
	t.tel.Record(inv)
}
