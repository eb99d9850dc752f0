package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// Names in JetStream.
const (
	StreamName    = "STACKLAB_EVENTS"
	subjectPrefix = "stacklab.events."
	consumerName  = "rules"
	// maxDeliver bounds the deliveries of an event whose targets keep
	// failing (about 15 minutes with the backoff of deliveries).
	maxDeliver = 12
)

// DefaultBus is the bus every account has; entries without an
// EventBusName go to it.
const DefaultBus = "default"

// Target kinds.
const (
	Function = "function"
	Queue    = "queue"
	Topic    = "topic"
)

// Bus is one event bus.
type Bus struct {
	ID   string `json:"id"`   // logical id; DefaultBus for the default bus
	Name string `json:"name"` // Name, or the logical id
}

// Rule is one rule on a bus: with an event pattern, it delivers the
// events put on the bus that match it; with a schedule, it delivers the
// scheduled events Fire stores (a scheduler says when).
type Rule struct {
	ID      string `json:"id"`   // logical id
	Name    string `json:"name"` // Name, or the logical id
	Bus     string `json:"bus"`  // the bus's name; "" is DefaultBus
	Pattern any    `json:"pattern"`
	// Schedule is the ScheduleExpression of a scheduled rule, which is on
	// the default bus; its Pattern may be nil.
	Schedule string   `json:"schedule,omitempty"`
	Enabled  bool     `json:"enabled"`
	Targets  []Target `json:"targets"`
}

// Target is where a rule sends the events it matches.
type Target struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // Function, Queue or Topic
	// Name is the function's name, or the queue's or topic's logical id,
	// name or ARN.
	Name string `json:"name"`
	// At most one of Input (a constant JSON text sent instead of the
	// event), InputPath (the part of the event sent) and Transformer.
	Input       string       `json:"input,omitempty"`
	InputPath   string       `json:"inputPath,omitempty"`
	Transformer *Transformer `json:"inputTransformer,omitempty"`
	// GroupID is the MessageGroupId of a FIFO queue target (SqsParameters).
	GroupID string `json:"messageGroupId,omitempty"`
	// MaxRetries is the RetryPolicy's MaximumRetryAttempts: deliveries
	// after the first failed one (nil: until the event's deliveries run
	// out). MaxAge is its MaximumEventAgeInSeconds (0: no limit).
	MaxRetries *int          `json:"maximumRetryAttempts,omitempty"`
	MaxAge     time.Duration `json:"maximumEventAge,omitempty"`
	// DeadLetter is the queue (logical id, name or ARN) that gets the event
	// when the target gives up on it (DeadLetterConfig); "" drops it.
	DeadLetter string `json:"deadLetterQueue,omitempty"`
}

// Config is the buses and rules deployed. The default bus always exists.
type Config struct {
	Buses []Bus
	Rules []Rule
}

// Sender stores messages in queues (the queue service).
type Sender interface {
	Send(ctx context.Context, queue string, in queue.SendInput) (queue.SendOutput, error)
}

// Publisher publishes messages to SNS topics (the topic service).
type Publisher interface {
	Publish(ctx context.Context, topic, message string) error
}

// Options configure a Service.
type Options struct {
	Region    string
	AccountID string
	Logger    *slog.Logger
	// RetryDelay is the first wait before delivering again an event that a
	// target did not take (doubling after); default 1 s.
	RetryDelay time.Duration
	// Telemetry traces puts and deliveries; nil traces nothing.
	Telemetry *telemetry.Telemetry
}

// Service runs the buses and their rules. It is safe for concurrent use.
type Service struct {
	js   jetstream.JetStream
	inv  invoke.Invoker
	snd  Sender
	pub  Publisher
	opts Options
	log  *slog.Logger
	tel  *telemetry.Telemetry

	mu      sync.RWMutex
	buses   map[string]Bus // by name
	rules   []*rule        // by bus, then id
	cons    jetstream.Consumer
	worker  bus.Worker // the delivery loop
	closed  bool
	handled map[string]map[string]bool // event id → rule/target delivered, until acked
}

type rule struct {
	cfg     Rule
	arn     string
	pattern *Pattern
	inputs  []*input // by target
}

// New returns a service with only the default bus. Deliveries go to
// functions through inv, to queues through snd and to topics through pub.
func New(js jetstream.JetStream, inv invoke.Invoker, snd Sender, pub Publisher, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = time.Second
	}
	return &Service{js: js, inv: inv, snd: snd, pub: pub, opts: opts, tel: opts.Telemetry, log: opts.Logger.With("component", "events"),
		buses: map[string]Bus{DefaultBus: {ID: DefaultBus, Name: DefaultBus}}, handled: map[string]map[string]bool{}}
}

// BusARN is the ARN of the bus with that name.
func (s *Service) BusARN(name string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", s.opts.Region, s.opts.AccountID, name)
}

// RuleARN is a rule's ARN: rule/NAME on the default bus, rule/BUS/NAME on
// others.
func (s *Service) RuleARN(r Rule) string {
	name := r.Name
	if r.Bus != "" && r.Bus != DefaultBus {
		name = r.Bus + "/" + name
	}
	return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", s.opts.Region, s.opts.AccountID, name)
}

// Check checks the buses and rules as Apply does, changing nothing.
func (s *Service) Check(cfg Config) error {
	_, _, err := s.compile(cfg)
	return err
}

// compile checks the buses and rules and compiles the rules.
func (s *Service) compile(cfg Config) (map[string]Bus, []*rule, error) {
	buses := map[string]Bus{DefaultBus: {ID: DefaultBus, Name: DefaultBus}}
	for _, b := range cfg.Buses {
		if b.Name == "" {
			b.Name = b.ID
		}
		if old, dup := buses[b.Name]; dup {
			return nil, nil, fmt.Errorf("%w: event bus %s: the name %q is also the name of %s; give each bus its own Name", ErrInvalid, b.ID, b.Name, old.ID)
		}
		buses[b.Name] = b
	}
	var rules []*rule
	for _, rc := range cfg.Rules {
		r, err := s.compileRule(rc, buses)
		if err != nil {
			return nil, nil, fmt.Errorf("rule %s: %w", rc.ID, err)
		}
		rules = append(rules, r)
	}
	sort.SliceStable(rules, func(i, j int) bool {
		if rules[i].cfg.Bus != rules[j].cfg.Bus {
			return rules[i].cfg.Bus < rules[j].cfg.Bus
		}
		return rules[i].cfg.ID < rules[j].cfg.ID
	})
	return buses, rules, nil
}

// Apply checks the buses and rules (patterns, targets, inputs) and replaces
// the ones served. Nothing changes when it fails. Events stored for a bus
// left out are dropped when they are delivered.
func (s *Service) Apply(ctx context.Context, cfg Config) error {
	buses, rules, err := s.compile(cfg)
	if err != nil {
		return err
	}
	stream, err := bus.EnsureStream(ctx, s.js, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "EventBridge buses: events to match against rules and deliver",
		Subjects:    []string{subjectPrefix + ">"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      24 * time.Hour, // EventBridge retries an event for up to 24 hours
		MaxMsgSize:  2 * MaxEntrySize,
	})
	if err != nil {
		return fmt.Errorf("creating the events' stream: %w", err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       consumerName,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       time.Minute,
		MaxDeliver:    maxDeliver,
		MaxAckPending: 1000,
	})
	if err != nil {
		return fmt.Errorf("creating the events' consumer: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.buses, s.rules, s.cons = buses, rules, cons
	return nil
}

func (s *Service) compileRule(rc Rule, buses map[string]Bus) (*rule, error) {
	if rc.Name == "" {
		rc.Name = rc.ID
	}
	if rc.Bus == "" {
		rc.Bus = DefaultBus
	}
	rc.Targets = slices.Clone(rc.Targets) // ids are filled in below
	b, err := findBus(buses, rc.Bus)
	if err != nil {
		return nil, err
	}
	rc.Bus = b.Name
	var p *Pattern
	if rc.Pattern != nil || rc.Schedule == "" {
		if p, err = Compile(rc.Pattern); err != nil {
			return nil, fmt.Errorf("EventPattern: %w", err)
		}
	}
	if rc.Schedule != "" && rc.Bus != DefaultBus {
		return nil, fmt.Errorf("%w: the rule has a ScheduleExpression and is on bus %s; EventBridge runs scheduled rules on the default bus only: leave EventBusName out", ErrInvalid, rc.Bus)
	}
	r := &rule{cfg: rc, pattern: p, arn: s.RuleARN(rc)}
	seen := map[string]bool{}
	for i, t := range rc.Targets {
		if t.ID == "" {
			t.ID = fmt.Sprintf("Target%d", i)
			rc.Targets[i].ID = t.ID
		}
		if seen[t.ID] {
			return nil, fmt.Errorf("%w: two targets have the Id %q; give each its own", ErrInvalid, t.ID)
		}
		seen[t.ID] = true
		switch t.Kind {
		case Function, Queue, Topic:
		default:
			return nil, fmt.Errorf("%w: target %s is a %q; rules deliver to a function, queue or topic", ErrInvalid, t.ID, t.Kind)
		}
		if t.Name == "" {
			return nil, fmt.Errorf("%w: target %s names no %s", ErrInvalid, t.ID, t.Kind)
		}
		in, err := compileInput(t)
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.ID, err)
		}
		if n := t.MaxRetries; n != nil && (*n < 0 || *n > 185) {
			return nil, fmt.Errorf("target %s: %w: RetryPolicy.MaximumRetryAttempts is %d; give 0 to 185", t.ID, ErrInvalid, *n)
		}
		if t.MaxAge != 0 && (t.MaxAge < time.Minute || t.MaxAge > 24*time.Hour) {
			return nil, fmt.Errorf("target %s: %w: RetryPolicy.MaximumEventAgeInSeconds is %d; give 60 to 86400", t.ID, ErrInvalid, int(t.MaxAge/time.Second))
		}
		r.inputs = append(r.inputs, in)
	}
	return r, nil
}

// findBus looks a bus up by name, logical id or ARN.
func findBus(buses map[string]Bus, name string) (Bus, error) {
	if name == "" {
		name = DefaultBus
	}
	short := name
	if i := strings.LastIndex(name, ":event-bus/"); strings.HasPrefix(name, "arn:") && i >= 0 {
		short = name[i+len(":event-bus/"):]
	}
	if b, ok := buses[short]; ok {
		return b, nil
	}
	for _, b := range buses {
		if b.ID == name {
			return b, nil
		}
	}
	names := make([]string, 0, len(buses))
	for n := range buses {
		names = append(names, n)
	}
	sort.Strings(names)
	return Bus{}, fmt.Errorf("%w: %s (the buses are %s; add an AWS::Events::EventBus for another)", ErrNoBus, name, strings.Join(names, ", "))
}

// Start matches and delivers stored events, once; call it after the
// targets exist.
func (s *Service) Start() {
	s.mu.Lock()
	cons, closed := s.cons, s.closed
	s.mu.Unlock()
	if closed || cons == nil {
		return
	}
	s.worker.Start(func(ctx context.Context) { bus.Consume(ctx, cons, 100, s.log, "events", s.handle) })
}

// Close stops delivering and waits for the deliveries under way.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.worker.Close()
}

// Buses lists the buses by name, the default one included.
func (s *Service) Buses() []Bus {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Bus, 0, len(s.buses))
	for _, b := range s.buses {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Rules lists the rules by bus, then logical id.
func (s *Service) Rules() []Rule {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Rule, 0, len(s.rules))
	for _, r := range s.rules {
		out = append(out, r.cfg)
	}
	return out
}

// matching are the enabled rules of a bus whose pattern matches an event.
func (s *Service) matching(busName string, event map[string]any) []*rule {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*rule
	for _, r := range s.rules {
		if r.cfg.Bus == busName && r.cfg.Enabled && r.pattern != nil && r.pattern.MatchValue(event) {
			out = append(out, r)
		}
	}
	return out
}

// scheduled is the enabled scheduled rule with that logical id, or nil
// when none is deployed.
func (s *Service) scheduled(id string) *rule {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, r := range s.rules {
		if r.cfg.ID == id && r.cfg.Schedule != "" && r.cfg.Enabled {
			return r
		}
	}
	return nil
}

// handle delivers one stored event to the targets of the rules it matches.
func (s *Service) handle(ctx context.Context, msg jetstream.Msg) {
	var rec stored
	if err := json.Unmarshal(msg.Data(), &rec); err != nil {
		s.log.Error("dropping an unreadable event", "err", err)
		msg.Term()
		return
	}
	v, err := decodeJSON(rec.Event)
	event, _ := v.(map[string]any)
	if err != nil || event == nil {
		s.log.Error("dropping an unreadable event", "event_id", rec.ID, "err", err)
		msg.Term()
		return
	}
	meta, _ := msg.Metadata()
	last := meta != nil && meta.NumDelivered >= maxDeliver
	ctx, span := s.deliverSpan(ctx, s.busNamed(rec.Bus), tracectx.NATS(msg.Headers()), rec.ID, bus.Deliveries(meta))
	defer span.End()
	s.mu.Lock()
	done := s.handled[rec.ID]
	if done == nil {
		done = map[string]bool{}
		s.handled[rec.ID] = done
	}
	s.mu.Unlock()
	rules := s.matching(rec.Bus, event)
	if rec.Rule != "" {
		// A scheduled event goes to its rule's targets only.
		rules = nil
		if r := s.scheduled(rec.Rule); r != nil {
			rules = []*rule{r}
		} else {
			s.log.Info("dropping a scheduled event: its rule is no longer deployed or enabled", "rule", rec.Rule, "event_id", rec.ID)
		}
	}
	failed := 0
	for _, r := range rules {
		for i, t := range r.cfg.Targets {
			key := r.cfg.ID + "/" + t.ID
			s.mu.RLock()
			skip := done[key]
			s.mu.RUnlock()
			if skip {
				continue
			}
			payload := r.inputs[i].payload(rec.Event, event, r, rec.Ingested)
			dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := s.deliver(dctx, r, t, payload, rec.ID)
			cancel()
			if err != nil {
				span.RecordError(err)
				s.log.Warn("delivering an event", "bus", rec.Bus, "rule", r.cfg.ID, "target", t.ID, "kind", t.Kind, "name", t.Name,
					"event_id", rec.ID, "attempt", bus.Deliveries(meta), "err", err)
				cond := s.exhausted(t, meta, rec.Ingested)
				if cond == "" && last {
					cond = "MaximumRetryAttempts"
				}
				// A queue that refuses the event (too large, ...) refuses it
				// again: as EventBridge does with an error a retry cannot
				// mend, it goes to the dead-letter queue at once.
				if cond == "" && !errors.Is(err, queue.ErrInvalid) {
					failed++
					continue
				}
				if dlErr := s.deadLetter(ctx, r, t, rec, meta, cond, err); dlErr != nil && !last {
					failed++ // retried until the dead-letter queue takes it
					continue
				}
			}
			s.mu.Lock()
			done[key] = true
			s.mu.Unlock()
		}
	}
	if failed > 0 {
		msg.NakWithDelay(bus.Backoff(meta, s.opts.RetryDelay))
		return
	}
	if err := msg.DoubleAck(ctx); err != nil {
		s.log.Warn("acknowledging a delivered event", "event_id", rec.ID, "err", err)
	}
	s.mu.Lock()
	delete(s.handled, rec.ID)
	s.mu.Unlock()
}

// deliver sends an event of rule r to one of its targets; a function is
// invoked asynchronously, with the timer trigger for a scheduled rule.
func (s *Service) deliver(ctx context.Context, r *rule, t Target, payload []byte, eventID string) error {
	switch t.Kind {
	case Function:
		trigger := telemetry.TriggerPubSub
		if r.cfg.Schedule != "" {
			trigger = telemetry.TriggerTimer
		}
		_, err := s.inv.Invoke(ctx, invoke.Request{Function: t.Name, Payload: payload, Type: invoke.Event,
			TraceID: tracectx.XRay(ctx), Trigger: trigger})
		return err
	case Queue:
		in := queue.SendInput{Body: string(payload)}
		if t.GroupID != "" {
			in.GroupID, in.DeduplicationID = t.GroupID, eventID
		}
		_, err := s.snd.Send(ctx, t.Name, in)
		return err
	case Topic:
		return s.pub.Publish(ctx, t.Name, string(payload))
	}
	return fmt.Errorf("target kind %s is not delivered", t.Kind)
}

func subject(busName string) string { return subjectPrefix + bus.Name(busName) }
