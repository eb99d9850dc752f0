package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// ClaimBucket is the key-value bucket where ticks are claimed.
const ClaimBucket = "STACKLAB_SCHEDULES"

// Job is one schedule firing one function, or one rule's targets.
type Job struct {
	Rule string // the rule's name: in the claim key and the event's resources
	// Function is the function invoked at each tick; "" fires the rule
	// through Options.Rules, which delivers to all its targets.
	Function string
	Schedule Schedule
	// Input, when set, is the JSON sent to the function instead of the
	// scheduled event.
	Input []byte
}

// Rules deliver the ticks of scheduled rules to their targets (the events
// service).
type Rules interface {
	Fire(ctx context.Context, rule string, tick time.Time) error
}

// Clock is the time source; tests replace it.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options configure a Scheduler.
type Options struct {
	Region, AccountID string
	Clock             Clock // default the real time
	Logger            *slog.Logger
	// Telemetry traces each tick fired as a new trace; nil traces nothing.
	Telemetry *telemetry.Telemetry
	// Rules fires the jobs without a Function.
	Rules Rules
}

// Scheduler fires jobs' ticks as asynchronous invocations.
type Scheduler struct {
	kv   jetstream.KeyValue
	inv  invoke.Invoker
	opts Options
	log  *slog.Logger

	mu     sync.Mutex // guards cancel, closed and wg.Add
	cancel context.CancelFunc
	closed bool
	wg     sync.WaitGroup
}

// New opens (or creates) the claim bucket.
func New(ctx context.Context, js jetstream.JetStream, inv invoke.Invoker, opts Options) (*Scheduler, error) {
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	kv, err := bus.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{Bucket: ClaimBucket, TTL: 24 * time.Hour, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, fmt.Errorf("creating the schedule claim bucket: %w", err)
	}
	return &Scheduler{kv: kv, inv: inv, opts: opts, log: opts.Logger.With("component", "schedule")}, nil
}

// Start stops the jobs running and runs these instead. Calls to Start
// must not overlap; after Close, Start does nothing.
func (s *Scheduler) Start(jobs []Job) {
	s.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for _, j := range jobs {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.run(ctx, j)
		}()
	}
}

// Close stops every job and waits for them. It may be called more than once.
func (s *Scheduler) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stop()
}

func (s *Scheduler) stop() {
	s.mu.Lock()
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Scheduler) run(ctx context.Context, j Job) {
	log := s.log.With("rule", j.Rule, "function", j.Function)
	for {
		now := s.opts.Clock.Now()
		tick := j.Schedule.Next(now)
		if tick.IsZero() {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-s.opts.Clock.After(tick.Sub(now)):
		}
		if err := s.Fire(ctx, j, tick); err != nil && ctx.Err() == nil {
			log.Warn("firing a scheduled tick", "tick", tick, "err", err)
		}
	}
}

// Fire claims one tick of a job and, when this process got it, invokes the
// function asynchronously, or has Options.Rules deliver the tick to all
// the rule's targets. A tick claimed by another process is skipped: each
// tick of a job is claimed once, whatever its targets.
func (s *Scheduler) Fire(ctx context.Context, j Job, tick time.Time) error {
	key := claimKey(j.Rule) + "." + strconv.FormatInt(tick.Unix(), 10)
	if j.Function != "" {
		key = claimKey(j.Rule) + "." + claimKey(j.Function) + "." + strconv.FormatInt(tick.Unix(), 10)
	} else if s.opts.Rules == nil {
		return fmt.Errorf("rule %s: no events service to deliver its ticks to its targets", j.Rule)
	}
	if _, err := s.kv.Create(ctx, key, []byte("claimed")); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return nil
		}
		return fmt.Errorf("claiming tick %s of rule %s: %w", tick.UTC().Format(time.RFC3339), j.Rule, err)
	}
	ctx, span := s.tickSpan(ctx, j, tick)
	defer span.End()
	if j.Function == "" {
		if err := s.opts.Rules.Fire(ctx, j.Rule, tick); err != nil {
			err = fmt.Errorf("delivering the tick of rule %s to its targets: %w", j.Rule, err)
			span.RecordError(err)
			return err
		}
		return nil
	}
	payload := j.Input
	if payload == nil {
		payload = s.event(j.Rule, tick)
	}
	req := invoke.Request{Function: j.Function, Payload: payload, Type: invoke.Event,
		TraceID: tracectx.XRay(ctx), Trigger: telemetry.TriggerTimer}
	if _, err := s.inv.Invoke(ctx, req); err != nil {
		err = fmt.Errorf("invoking %s for rule %s: %w", j.Function, j.Rule, err)
		span.RecordError(err)
		return err
	}
	return nil
}

// tickSpan starts the Producer span of a fired tick: the root of a new
// trace (a tick continues nothing), of the rule's resource, with
// faas.trigger timer, faas.cron and faas.time. The async invocation it
// causes, or the delivery of a rule's tick to its targets, is its child.
func (s *Scheduler) tickSpan(ctx context.Context, j Job, tick time.Time) (context.Context, telemetry.Span) {
	if s.opts.Telemetry == nil {
		return ctx, telemetry.Span{}
	}
	var expr string
	if j.Schedule != nil {
		expr = j.Schedule.String()
	}
	attrs := []attribute.KeyValue{
		telemetry.Resource(j.Rule),
		telemetry.FaaSTrigger(telemetry.TriggerTimer),
		telemetry.FaaSCron(expr),
		telemetry.FaaSTime(tick),
	}
	if j.Function != "" {
		attrs = append(attrs, telemetry.FaaSInvokedName(j.Function))
	}
	return s.opts.Telemetry.StartSpan(trace.ContextWithSpanContext(ctx, trace.SpanContext{}), j.Rule, telemetry.Producer, attrs...)
}

// event is the EventBridge scheduled event.
func (s *Scheduler) event(rule string, tick time.Time) []byte {
	var id [16]byte
	_, _ = rand.Read(id[:])
	h := hex.EncodeToString(id[:])
	b, _ := json.Marshal(map[string]any{
		"version":     "0",
		"id":          h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:],
		"detail-type": "Scheduled Event",
		"source":      "aws.events",
		"account":     s.opts.AccountID,
		"time":        tick.UTC().Format(time.RFC3339),
		"region":      s.opts.Region,
		"resources":   []string{"arn:aws:events:" + s.opts.Region + ":" + s.opts.AccountID + ":rule/" + rule},
		"detail":      map[string]any{},
	})
	return b
}

// claimKey keeps the characters a key-value key may hold.
func claimKey(rule string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, rule)
}
