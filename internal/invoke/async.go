package invoke

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stacklab/stacklab/internal/bus"
)

// Names in JetStream of the async invocation queue.
const (
	asyncStream   = "STACKLAB_ASYNC"
	asyncSubject  = "stacklab.async"
	asyncConsumer = "invoker"

	hdrFunction = "Stacklab-Function"
	hdrRequest  = "Stacklab-Request-Id"
	hdrEnqueued = "Stacklab-Enqueued"
	hdrTrace    = "Stacklab-Trace-Id"
	hdrTrigger  = "Stacklab-Trigger"
)

// RetryPolicy is a function's EventInvokeConfig for async invocations.
type RetryPolicy struct {
	MaximumRetryAttempts int           // 0 to 2, default 2
	MaximumEventAge      time.Duration // default 6 h
}

// DefaultRetryPolicy is Lambda's default.
var DefaultRetryPolicy = RetryPolicy{MaximumRetryAttempts: 2, MaximumEventAge: 6 * time.Hour}

// AsyncOptions configure the async queue.
type AsyncOptions struct {
	// Runner runs one attempt synchronously (the runtime).
	Runner Invoker
	// Policy returns a function's retry policy (nil: the default for all).
	Policy func(function string) RetryPolicy
	// Workers is how many events run at once (default 16).
	Workers int
	// RetryDelay is the wait before the first retry of a failed event; it
	// doubles for the next (default 1 s).
	RetryDelay time.Duration
	// AckWait is how long an event being run stays ours without a sign of
	// life; after a crash, events in progress run again after it
	// (default 10 s).
	AckWait time.Duration
	// Settle is given the final outcome of every event (success, retries
	// exhausted, event too old) before the event is acknowledged: it sends
	// it to the function's dead-letter queue and destinations. When it
	// returns an error the outcome is kept (in JetStream KV) and Settle is
	// called again later with it, without running the function again;
	// Settle marks in the outcome what it delivered, so that only the rest
	// is sent again. Return errors only for failures that can pass (a
	// destination that is not available); give up on the others. Nil: the
	// outcome is logged and dropped.
	Settle func(ctx context.Context, o *Outcome) error
	Logger *slog.Logger
}

// Async is the queue of asynchronous invocations: an event is stored in a
// JetStream work-queue stream before it is accepted (so it survives a crash
// of the process), then run with retries.
type Async struct {
	js     jetstream.JetStream
	opts   AsyncOptions
	log    *slog.Logger
	cancel context.CancelFunc
	wg     sync.WaitGroup

	ctx       context.Context
	cons      jetstream.Consumer
	kept      *outcomes
	startOnce sync.Once

	mu        sync.Mutex
	throttled map[string]int       // request id -> deliveries that were throttled, not failed
	failed    map[string]time.Time // request id -> when its last failed attempt ended, for the retry's Queued

	age ageSlot // ObserveAge's function
}

// NewAsync creates (or opens) the queue's stream and consumer. Events are
// accepted at once; they run once Start is called (after the functions are
// deployed), including those accepted before a restart.
func NewAsync(ctx context.Context, js jetstream.JetStream, opts AsyncOptions) (*Async, error) {
	if opts.Runner == nil {
		return nil, errors.New("async: no runner")
	}
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = time.Second
	}
	if opts.AckWait <= 0 {
		opts.AckWait = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	stream, err := bus.EnsureStream(ctx, js, jetstream.StreamConfig{
		Name:       asyncStream,
		Subjects:   []string{asyncSubject},
		Retention:  jetstream.WorkQueuePolicy,
		Storage:    jetstream.FileStorage,
		MaxMsgSize: MaxAsyncPayload + 4096,
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the async invocation stream: %w", err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       asyncConsumer,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       opts.AckWait,
		MaxAckPending: opts.Workers,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the async invocation consumer: %w", err)
	}
	kept, err := openOutcomes(ctx, js)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	a := &Async{js: js, opts: opts, log: opts.Logger.With("component", "async"), cancel: cancel, throttled: map[string]int{}, failed: map[string]time.Time{}, ctx: runCtx, cons: cons, kept: kept}
	return a, nil
}

// Start runs the queued events; later calls do nothing.
func (a *Async) Start() {
	a.startOnce.Do(func() {
		a.wg.Add(1)
		go a.loop(a.ctx, a.cons)
	})
}

// Accept stores an async invocation; when it returns nil the event is
// durable and will run at least once. The event keeps the request's
// TraceID (the invoking context's X-Ray header; every attempt is traced as
// an invocation in that trace) and its Trigger.
func (a *Async) Accept(ctx context.Context, req Request, requestID string) error {
	msg := nats.NewMsg(asyncSubject)
	msg.Data = req.Payload
	msg.Header.Set(hdrFunction, req.Function)
	msg.Header.Set(hdrRequest, requestID)
	msg.Header.Set(hdrEnqueued, time.Now().UTC().Format(time.RFC3339Nano))
	if req.TraceID != "" {
		msg.Header.Set(hdrTrace, req.TraceID)
	}
	if req.Trigger != "" {
		msg.Header.Set(hdrTrigger, req.Trigger)
	}
	if _, err := a.js.PublishMsg(ctx, msg, jetstream.WithMsgID(requestID)); err != nil {
		return Errorf(ErrService, "storing the async invocation: %v", err)
	}
	return nil
}

// Close stops taking events; those running finish (or are redelivered
// after a restart).
func (a *Async) Close() {
	a.cancel()
	a.wg.Wait()
}

func (a *Async) loop(ctx context.Context, cons jetstream.Consumer) {
	defer a.wg.Done()
	sem := make(chan struct{}, a.opts.Workers)
	var running sync.WaitGroup
	defer running.Wait()
	for ctx.Err() == nil {
		batch, err := cons.Fetch(a.opts.Workers, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() == nil {
				a.log.Warn("fetching async invocations", "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
			continue
		}
		for msg := range batch.Messages() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				msg.Nak()
				continue
			}
			running.Add(1)
			go func() {
				defer running.Done()
				defer func() { <-sem }()
				a.handle(ctx, msg)
			}()
		}
	}
}

// handle runs one delivery of an event and settles it: nak with a delay
// to retry, or hand the final outcome to Settle and ack once it is
// delivered.
func (a *Async) handle(ctx context.Context, msg jetstream.Msg) {
	fn := msg.Headers().Get(hdrFunction)
	id := msg.Headers().Get(hdrRequest)
	log := a.log.With("function", fn, "request_id", id)
	policy := DefaultRetryPolicy
	if a.opts.Policy != nil {
		policy = a.opts.Policy(fn)
	}
	meta, err := msg.Metadata()
	if err != nil {
		msg.Term()
		return
	}
	stop := keepAlive(msg, a.opts.AckWait/3)
	defer stop()
	// An outcome decided on an earlier delivery that could not be
	// delivered: deliver it, without running the function again. (A first
	// delivery has none; it skips the look-up.)
	if meta.NumDelivered > 1 {
		if o, ok, err := a.kept.get(ctx, id); err != nil {
			log.Warn("reading a kept outcome; retrying", "err", err)
			msg.NakWithDelay(a.opts.RetryDelay)
			return
		} else if ok {
			a.settle(ctx, msg, o, log)
			return
		}
	}
	attempt := int(meta.NumDelivered) - a.throttles(id)
	outcome := func(c Condition) *Outcome {
		return &Outcome{Function: fn, RequestID: id, TraceID: msg.Headers().Get(hdrTrace), Condition: c, Attempts: attempt,
			Payload: msg.Data(), StatusCode: 200, Time: time.Now().UTC()}
	}
	if enq, err := time.Parse(time.RFC3339Nano, msg.Headers().Get(hdrEnqueued)); err == nil && policy.MaximumEventAge > 0 && time.Since(enq) > policy.MaximumEventAge {
		log.Warn("async event older than MaximumEventAge; not run again", "age", time.Since(enq).Round(time.Second))
		o := outcome(ConditionEventAgeExceeded)
		o.Attempts = attempt - 1 // this delivery did not run it
		o.Error = fmt.Sprintf("the event is older than MaximumEventAgeInSeconds (%s)", policy.MaximumEventAge)
		if o.Attempts <= 0 {
			o.Attempts, o.StatusCode = 0, ErrTooManyRequests.Status // it never ran: throttled all along
		}
		a.settle(ctx, msg, o, log)
		return
	}
	a.observeAge(fn, msg.Headers().Get(hdrEnqueued))
	res, err := a.opts.Runner.Invoke(ctx, Request{Function: fn, Payload: msg.Data(), Type: RequestResponse, TraceID: msg.Headers().Get(hdrTrace), RequestID: id,
		Trigger: msg.Headers().Get(hdrTrigger), Attempt: attempt, Queued: a.queued(id, attempt, msg.Headers().Get(hdrEnqueued))})
	switch {
	case ctx.Err() != nil:
		msg.Nak() // stopping: run it again after the restart
	case errors.Is(err, ErrTooManyRequests), errors.Is(err, ErrService):
		// Throttled or not started: retry without counting an attempt.
		a.mu.Lock()
		a.throttled[id]++
		a.mu.Unlock()
		msg.NakWithDelay(a.opts.RetryDelay)
	case err != nil:
		log.Warn("async event cannot run", "err", err)
		o := outcome(ConditionRetriesExhausted)
		o.Attempts = attempt - 1
		o.Error = err.Error()
		var se *Error
		if errors.As(err, &se) {
			o.StatusCode = se.Status
		}
		a.settle(ctx, msg, o, log)
	case res.FunctionError != "":
		if attempt <= policy.MaximumRetryAttempts {
			delay := a.opts.RetryDelay << (attempt - 1)
			log.Info("async event failed; retrying", "attempt", attempt, "in", delay)
			a.mu.Lock()
			a.failed[id] = time.Now()
			a.mu.Unlock()
			msg.NakWithDelay(delay)
			return
		}
		log.Warn("async event failed on every attempt", "attempts", attempt, "error", string(res.Payload))
		o := outcome(ConditionRetriesExhausted)
		o.setResponse(res)
		a.settle(ctx, msg, o, log)
	default:
		o := outcome(ConditionSuccess)
		o.setResponse(res)
		a.settle(ctx, msg, o, log)
	}
}

// setResponse keeps what the outcome needs of the last attempt's result.
func (o *Outcome) setResponse(res Result) {
	o.FunctionError, o.Version = res.FunctionError, res.Version
	if len(res.Payload) <= MaxRecordSize {
		o.Response = res.Payload
	}
}

// settle hands an event's final outcome to Settle and acks the event once
// it is delivered. When delivery fails, the outcome is kept and the event
// naked with a backoff, to be settled again on its next delivery.
func (a *Async) settle(ctx context.Context, msg jetstream.Msg, o *Outcome, log *slog.Logger) {
	kept := o.Failures > 0
	if a.opts.Settle == nil {
		if !o.Succeeded() {
			log.Warn("async event discarded", "condition", o.Condition, "attempts", o.Attempts)
		}
	} else if err := a.opts.Settle(ctx, o); err != nil {
		o.Failures++
		delay := min(a.opts.RetryDelay<<min(o.Failures-1, 16), maxSettleDelay)
		log.Warn("delivering the outcome of an async event failed; retrying", "condition", o.Condition, "failures", o.Failures, "in", delay, "err", err)
		// Keep the outcome even when stopping, so the event is not run
		// again; a context of its own lets the write finish.
		kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if err := a.kept.put(kctx, o); err != nil {
			log.Warn("the outcome cannot be kept; the event will run again", "err", err)
		}
		cancel()
		msg.NakWithDelay(delay)
		return
	}
	if kept {
		if err := a.kept.drop(context.WithoutCancel(ctx), o.RequestID); err != nil {
			log.Warn("forgetting a delivered outcome", "err", err)
		}
	}
	a.forget(o.RequestID)
	msg.Ack()
}

// keepAlive keeps a delivery ours (in-progress signals every interval)
// until the returned stop is called.
func keepAlive(msg jetstream.Msg, every time.Duration) (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				msg.InProgress()
			}
		}
	}()
	return func() { once.Do(func() { close(done) }) }
}

func (a *Async) throttles(id string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.throttled[id]
}

func (a *Async) forget(id string) {
	a.mu.Lock()
	delete(a.throttled, id)
	delete(a.failed, id)
	a.mu.Unlock()
}

// queued is when an attempt entered the queue: the event's acceptance for
// the first, the end of the failed attempt before it for a retry (zero
// after a restart, which forgot it).
func (a *Async) queued(id string, attempt int, enqueued string) time.Time {
	if attempt > 1 {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.failed[id]
	}
	t, _ := time.Parse(time.RFC3339Nano, enqueued)
	return t
}
