package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

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

// Deployment is the deployment SetDeployment named, "" before any.
func (rt *Runtime) Deployment() string { return rt.deployment() }

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

// invTrace is the tracing of one invocation: the ids and times of its
// spans, which it makes without the tracer (see telemetry.AddSpan), and
// what its record needs. Every method is safe on a nil *invTrace (tracing
// off).
type invTrace struct {
	tel      *telemetry.Telemetry
	traceID  trace.TraceID
	spanID   trace.SpanID // the invocation span's
	parentID string       // hex; "" for a root
	resource string
	req      *invoke.Request
	id       string
	start    time.Time // the record's Start: accepted, or queued
	acquired time.Time // a slot was free
	attrs    map[string]any
	events   []model.Event
	host     *telemetry.LocalSpan // the caller's span, which the record goes with

	// Set by ran once an instance ran (or failed to start) the invocation.
	done     bool
	res      invoke.Result
	errType  string
	instance string
	run      runSpan // the run that answered; zero when none did
	runEnd   time.Time

	trace string // the trace id, once traceHex has formatted it
}

// runSpan is a "run" span begun: the event handed to an instance.
type runSpan struct {
	id    trace.SpanID
	start time.Time
}

// beginTrace begins an invocation's tracing, or returns nil when tracing
// is off.
func (rt *Runtime) beginTrace(ctx context.Context, p *pool, req *invoke.Request, id string) *invTrace {
	tel := rt.trace.tel.Load()
	if tel == nil {
		return nil
	}
	start := time.Now()
	if !req.Queued.IsZero() && req.Queued.Before(start) {
		start = req.Queued
	}
	t := &invTrace{tel: tel, spanID: telemetry.NewSpanID(), resource: resourceOf(p.spec), req: req, id: id, start: start}
	if sc := trace.SpanContextFromContext(tracectx.FromXRay(ctx, req.TraceID)); sc.IsValid() {
		t.traceID, t.parentID = sc.TraceID(), sc.SpanID().String()
		// The record is kept with the caller's span when it is that span
		// (the gateway's request), and stored with it.
		if h := telemetry.LocalSpanFrom(ctx); h != nil {
			if hc := h.SpanContext(); hc.SpanID() == sc.SpanID() && hc.TraceID() == sc.TraceID() {
				t.host = h
			}
		}
	} else {
		t.traceID = telemetry.NewTraceID()
	}
	if req.Attempt > 0 {
		t.attrs = map[string]any{string(AttemptKey): int64(req.Attempt)}
	}
	if req.Attempt > 1 {
		ev := model.Event{Name: "retry", Time: time.Now(), Attributes: map[string]any{string(AttemptKey): int64(req.Attempt)}}
		if !req.Queued.IsZero() {
			ev.Attributes[string(RetryDelayKey)] = time.Since(req.Queued).Milliseconds()
		}
		t.events = []model.Event{ev}
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
func (t *invTrace) child(name string, from, to time.Time, fail ...string) {
	sp := model.Span{
		TraceID: t.traceHex(), SpanID: telemetry.NewSpanID().String(), ParentID: t.spanID.String(),
		Name: name, Kind: model.KindInternal, Resource: t.resource, Start: from, End: to, Status: model.StatusUnset,
		Attributes: map[string]any{string(telemetry.ResourceKey): t.resource},
	}
	if len(fail) == 2 {
		sp.Status, sp.StatusMessage = model.StatusError, fail[1]
		sp.Attributes[string(semconv.ErrorTypeKey)] = fail[0]
	}
	t.tel.AddSpan(sp)
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
	if !ok && o.errType != "" {
		t.child("init", in.born, end, string(model.OutcomeOf(o.errType)), o.errType)
		return
	}
	t.child("init", in.born, end)
}

// startRun begins the run span and returns the X-Ray header the function
// is given: the run span's context. Without tracing it is the request's
// header, else the caller's span in ctx, else a new unsampled one.
func (t *invTrace) startRun(ctx context.Context, req invoke.Request) (runSpan, string) {
	if t == nil {
		if req.TraceID != "" {
			return runSpan{}, req.TraceID
		}
		if h := tracectx.XRay(ctx); h != "" {
			return runSpan{}, h // the caller's span
		}
		return runSpan{}, newTraceID()
	}
	r := runSpan{id: telemetry.NewSpanID(), start: time.Now()}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: t.traceID, SpanID: r.id, TraceFlags: trace.FlagsSampled})
	return r, tracectx.FormatXRay(sc)
}

// runFailed records a run that ended without an answer: err says why (the
// instance stopped before it took the event, and it runs on another).
func (t *invTrace) runFailed(r runSpan, err error, end time.Time) {
	if t == nil || !r.id.IsValid() {
		return
	}
	msg := err.Error()
	if errors.Is(err, errInstanceGone) {
		msg = "the instance stopped before it took the event; it runs on another"
	}
	t.tel.AddSpan(model.Span{
		TraceID: t.traceHex(), SpanID: r.id.String(), ParentID: t.spanID.String(),
		Name: "run", Kind: model.KindInternal, Resource: t.resource, Start: r.start, End: end,
		Status: model.StatusError, StatusMessage: msg,
		Attributes: map[string]any{string(telemetry.ResourceKey): t.resource},
	})
}

// ran notes what the instance made of the invocation, in the run r that
// ended at end; the record says it.
func (t *invTrace) ran(in *instance, res invoke.Result, errType string, r runSpan, end time.Time) {
	if t == nil {
		return
	}
	t.done, t.res, t.errType, t.instance = true, res, errType, in.id
	t.run, t.runEnd = r, end
}

// end ends the invocation's tracing: an invocation that ran, or one
// throttled, is recorded, and its record carries its spans (the
// invocation's and the run's). An invocation that never reached an
// instance for another reason (the caller gave up, an instance could not
// start) leaves no record, as it is not counted by the metrics either: its
// span, failed, is recorded on its own.
//
// It returns the trace id, for the invocation's result.
func (t *invTrace) end(p *pool, err error) string {
	if t == nil {
		return ""
	}
	t.waited() // when the slot never came
	now := time.Now()
	switch {
	case t.done:
		t.record(p, model.OutcomeOf(t.errType), t.errType, now)
	case errors.Is(err, invoke.ErrTooManyRequests):
		t.record(p, model.OutcomeThrottled, err.Error(), now)
	default:
		inv := t.invocation(p, model.OutcomeUnhandled, now)
		sp := inv.Spans()[0]
		delete(sp.Attributes, string(semconv.ErrorTypeKey))
		sp.Status = model.StatusUnset
		if err != nil {
			sp.Status, sp.StatusMessage = model.StatusError, err.Error()
			sp.Events = append(sp.Events, model.Event{Name: "exception", Time: now, Attributes: map[string]any{
				string(semconv.ExceptionTypeKey): fmt.Sprintf("%T", err), string(semconv.ExceptionMessageKey): err.Error(),
			}})
		}
		t.tel.AddSpan(sp)
	}
	return t.traceHex()
}

// traceHex is the trace id, formatted once for the record and the result.
func (t *invTrace) traceHex() string {
	if t.trace == "" {
		t.trace = t.traceID.String()
	}
	return t.trace
}

// invocation is the invocation's record as far as it is known, ended at end.
func (t *invTrace) invocation(p *pool, o model.Outcome, end time.Time) model.Invocation {
	inv := model.Invocation{
		Function:     p.spec.Name,
		Version:      p.spec.version(),
		Deployment:   p.rt.deployment(),
		RequestID:    t.id,
		TraceID:      t.traceHex(),
		Trigger:      t.req.Trigger,
		Start:        t.start,
		QueueWait:    t.acquired.Sub(t.start),
		MemorySizeMB: p.spec.MemoryMB,
		Outcome:      o,
		Retries:      max(0, t.req.Attempt-1),
		SpanID:       t.spanID.String(),
		ParentID:     t.parentID,
		Resource:     t.resource,
		End:          end,
		Attributes:   t.attrs,
		Events:       t.events,
	}
	if inv.Trigger == "" {
		inv.Trigger = telemetry.TriggerOther
	}
	return inv
}

// record records the invocation, with its spans, as ending in o (msg says
// why when it failed).
func (t *invTrace) record(p *pool, o model.Outcome, msg string, end time.Time) {
	inv := t.invocation(p, o, end)
	if o != model.OutcomeOK {
		inv.StatusMessage = msg
	}
	if t.done {
		r := t.res
		inv.Version, inv.Cold, inv.InitDuration, inv.Duration, inv.MaxMemoryMB = r.Version, r.Cold, r.InitDuration, r.Duration, r.MaxMemoryMB
		inv.Instance = t.instance
		if t.run.id.IsValid() {
			inv.RunID, inv.RunStart, inv.RunEnd = t.run.id.String(), t.run.start, t.runEnd
		}
	}
	t.tel.RecordUnder(t.host, inv)
}
