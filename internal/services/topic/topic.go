package topic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/ids"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// MaxMessageSize is SNS's largest message (with attributes).
const MaxMessageSize = 256 * 1024

// Names in JetStream.
const (
	StreamName    = "STACKLAB_TOPICS"
	subjectPrefix = "stacklab.topic."
	consumerName  = "fanout"
	// maxDeliver bounds the deliveries of a publish whose subscribers keep
	// failing (about 15 minutes with the backoff below).
	maxDeliver = 12
)

// Protocols delivered.
const (
	Lambda = "lambda"
	SQS    = "sqs"
)

// Subscription is one subscriber of a topic.
type Subscription struct {
	ID       string // for the subscription ARN and logs
	Protocol string // lambda or sqs
	// Endpoint is the function's name, or the queue's logical id, name or ARN.
	Endpoint     string
	FilterPolicy any  // nil: every message
	Raw          bool // RawMessageDelivery (sqs)
}

// Config is one topic as deployed.
type Config struct {
	ID            string // logical id
	Name          string // TopicName, or the logical id
	Fifo          bool
	Subscriptions []Subscription
}

// Sender stores messages in queues (the queue service).
type Sender interface {
	Send(ctx context.Context, queue string, in queue.SendInput) (queue.SendOutput, error)
}

// Options configure a Service.
type Options struct {
	Region    string
	AccountID string
	Logger    *slog.Logger
	// RetryDelay is the first wait before delivering again a publish that
	// a subscriber did not take (doubling after); default 1 s.
	RetryDelay time.Duration
	// Telemetry traces publishes and their deliveries; nil traces nothing.
	Telemetry *telemetry.Telemetry
}

// Service runs the deployed topics. It is safe for concurrent use.
type Service struct {
	js     jetstream.JetStream
	inv    invoke.Invoker
	sender Sender
	opts   Options
	log    *slog.Logger
	tel    *telemetry.Telemetry

	mu      sync.RWMutex
	topics  map[string]*topic // by logical id
	cons    jetstream.Consumer
	worker  bus.Worker // the delivery loop
	closed  bool
	handled map[string]map[int]bool // message id → subscriptions delivered, until acked
}

type topic struct {
	cfg      Config
	policies []*Policy // by subscription
}

// New returns a service with no topics. Deliveries go to functions through
// inv and to queues through sender.
func New(js jetstream.JetStream, inv invoke.Invoker, sender Sender, opts Options) *Service {
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
	return &Service{js: js, inv: inv, sender: sender, opts: opts, tel: opts.Telemetry, log: opts.Logger.With("component", "topic"),
		topics: map[string]*topic{}, handled: map[string]map[int]bool{}}
}

// ARN is the topic's ARN.
func (s *Service) ARN(cfg Config) string {
	return fmt.Sprintf("arn:aws:sns:%s:%s:%s", s.opts.Region, s.opts.AccountID, cfg.Name)
}

func safe(id string) string { return bus.Name(id) }

// Apply checks the topics' filter policies and replaces the topics served.
// Publishes of topics left out stay stored and are fanned out if the topic
// comes back; they are dropped after their retries otherwise.
func (s *Service) Apply(ctx context.Context, cfgs []Config) error {
	next := map[string]*topic{}
	for _, c := range cfgs {
		if c.Name == "" {
			c.Name = c.ID
			if c.Fifo {
				c.Name += ".fifo"
			}
		}
		t := &topic{cfg: c}
		for _, sub := range c.Subscriptions {
			p, err := ParsePolicy(sub.FilterPolicy)
			if err != nil {
				return fmt.Errorf("topic %s, subscription %s: %w", c.ID, sub.ID, err)
			}
			t.policies = append(t.policies, p)
		}
		next[c.ID] = t
	}
	stream, err := bus.EnsureStream(ctx, s.js, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "SNS topics: publishes to fan out",
		Subjects:    []string{subjectPrefix + ">"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      24 * time.Hour,
		MaxMsgSize:  2 * MaxMessageSize,
		Duplicates:  5 * time.Minute, // FIFO topics' deduplication window
	})
	if err != nil {
		return fmt.Errorf("creating the topics' stream: %w", err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       consumerName,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       time.Minute,
		MaxDeliver:    maxDeliver,
		MaxAckPending: 1000,
	})
	if err != nil {
		return fmt.Errorf("creating the topics' consumer: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.topics, s.cons = next, cons
	return nil
}

// Start runs the fan-out, once; call it after the subscribers exist.
func (s *Service) Start() {
	s.mu.Lock()
	cons, closed := s.cons, s.closed
	s.mu.Unlock()
	if closed || cons == nil {
		return
	}
	s.worker.Start(func(ctx context.Context) { bus.Consume(ctx, cons, 100, s.log, "publishes", s.handle) })
}

// Close stops the fan-out and waits for the deliveries it runs.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.worker.Close()
}

// Topics lists the deployed topics, by logical id.
func (s *Service) Topics() []Config {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Config, 0, len(s.topics))
	for _, t := range s.topics {
		out = append(out, t.cfg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// topic looks a topic up by logical id, name or ARN.
func (s *Service) topic(name string) (*topic, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	if t, ok := s.topics[name]; ok {
		return t, nil
	}
	short := name
	if strings.HasPrefix(name, "arn:") {
		short = name[strings.LastIndex(name, ":")+1:]
	}
	for _, t := range s.topics {
		if t.cfg.Name == short {
			return t, nil
		}
	}
	return nil, fmt.Errorf("%w: %s (list them with 'stacklab topic ls')", ErrNoTopic, name)
}

// PublishInput is one message to publish.
type PublishInput struct {
	Message           string               `json:"message"`
	Subject           string               `json:"subject,omitempty"`
	MessageAttributes map[string]Attribute `json:"messageAttributes,omitempty"`
	// FIFO topics.
	GroupID         string `json:"groupId,omitempty"`
	DeduplicationID string `json:"deduplicationId,omitempty"`
}

// PublishOutput is what Publish answers.
type PublishOutput struct {
	MessageID string `json:"MessageId"`
}

// stored is a publish as kept in the stream.
type stored struct {
	Topic      string               `json:"topic"` // logical id
	MessageID  string               `json:"id"`
	Timestamp  time.Time            `json:"ts"`
	Message    string               `json:"message"`
	Subject    string               `json:"subject,omitempty"`
	Attributes map[string]Attribute `json:"attributes,omitempty"`
	GroupID    string               `json:"groupId,omitempty"`
	DedupID    string               `json:"dedupId,omitempty"`
}

// Publish stores a message; when it returns nil the message will reach
// every matching subscription at least once.
func (s *Service) Publish(ctx context.Context, name string, in PublishInput) (_ PublishOutput, err error) {
	t, err := s.topic(name)
	if err != nil {
		return PublishOutput{}, err
	}
	ctx, span := s.publishSpan(ctx, t)
	defer func() {
		span.RecordError(err)
		span.End()
	}()
	if in.Message == "" {
		return PublishOutput{}, fmt.Errorf("%w: the message is empty", ErrInvalid)
	}
	if len(in.Subject) > 100 {
		return PublishOutput{}, fmt.Errorf("%w: the subject is longer than 100 characters", ErrInvalid)
	}
	if err := checkAttributes(in.MessageAttributes); err != nil {
		return PublishOutput{}, err
	}
	if t.cfg.Fifo && in.GroupID == "" {
		return PublishOutput{}, fmt.Errorf("%w: FIFO topic %s needs a MessageGroupId", ErrInvalid, t.cfg.ID)
	}
	if size := publishSize(in); size > MaxMessageSize {
		return PublishOutput{}, fmt.Errorf("%w: the message and its attributes are %d bytes, more than the %d bytes SNS allows", ErrInvalid, size, MaxMessageSize)
	}
	rec := stored{Topic: t.cfg.ID, MessageID: ids.V4(), Timestamp: time.Now().UTC(), Message: in.Message, Subject: in.Subject,
		Attributes: in.MessageAttributes, GroupID: in.GroupID, DedupID: in.DeduplicationID}
	data, err := json.Marshal(rec)
	if err != nil {
		return PublishOutput{}, err
	}
	if len(data) > MaxMessageSize+4096 {
		return PublishOutput{}, fmt.Errorf("%w: the message is %d bytes, more than the %d bytes SNS allows", ErrInvalid, len(data), MaxMessageSize)
	}
	msgID := rec.MessageID
	if t.cfg.Fifo && in.DeduplicationID != "" {
		msgID = "dedup-" + t.cfg.ID + "-" + in.DeduplicationID
	}
	m := nats.NewMsg(subjectPrefix + safe(t.cfg.ID))
	m.Data = data
	tracectx.Inject(ctx, tracectx.NATS(m.Header))
	if _, err := s.js.PublishMsg(ctx, m, jetstream.WithMsgID(msgID)); err != nil {
		return PublishOutput{}, fmt.Errorf("storing a message of topic %s: %w", t.cfg.ID, err)
	}
	if s.tel != nil {
		span.SetAttributes(telemetry.MessagingMessageID(rec.MessageID))
	}
	return PublishOutput{MessageID: rec.MessageID}, nil
}

// handle delivers one publish to its topic's matching subscriptions.
func (s *Service) handle(ctx context.Context, msg jetstream.Msg) {
	var rec stored
	if err := json.Unmarshal(msg.Data(), &rec); err != nil {
		s.log.Error("dropping an unreadable publish", "err", err)
		msg.Term()
		return
	}
	meta, _ := msg.Metadata()
	last := meta != nil && meta.NumDelivered >= maxDeliver
	t, err := s.topic(rec.Topic)
	if err != nil {
		if last {
			s.log.Warn("dropping a publish: its topic is no longer deployed", "topic", rec.Topic, "message_id", rec.MessageID)
			msg.Term()
			s.mu.Lock()
			delete(s.handled, rec.MessageID)
			s.mu.Unlock()
		} else {
			msg.NakWithDelay(bus.Backoff(meta, s.opts.RetryDelay))
		}
		return
	}
	ctx, span := s.deliverSpan(ctx, t, tracectx.NATS(msg.Headers()), rec.MessageID, bus.Deliveries(meta))
	defer span.End()
	s.mu.Lock()
	done := s.handled[rec.MessageID]
	if done == nil {
		done = map[int]bool{}
		s.handled[rec.MessageID] = done
	}
	s.mu.Unlock()
	failed := 0
	for i, sub := range t.cfg.Subscriptions {
		s.mu.RLock()
		skip := done[i]
		s.mu.RUnlock()
		if skip || !t.policies[i].Match(rec.Attributes) {
			continue
		}
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := s.deliver(dctx, t, sub, rec)
		cancel()
		if err != nil && refused(sub, err) {
			// Not retried: the same message would be refused again.
			span.RecordError(err)
			s.log.Error("dropping a publish for a subscription: its queue refuses the message, so it is not retried",
				"topic", t.cfg.ID, "subscription", sub.ID, "endpoint", sub.Endpoint, "message_id", rec.MessageID, "err", err,
				"fix", refusedFix(t, sub, rec))
			s.mu.Lock()
			done[i] = true
			s.mu.Unlock()
			continue
		}
		if err != nil {
			failed++
			span.RecordError(err)
			s.log.Warn("delivering a publish", "topic", t.cfg.ID, "subscription", sub.ID, "protocol", sub.Protocol, "endpoint", sub.Endpoint,
				"message_id", rec.MessageID, "attempt", bus.Deliveries(meta), "err", err)
			continue
		}
		s.mu.Lock()
		done[i] = true
		s.mu.Unlock()
	}
	if failed > 0 && !last {
		msg.NakWithDelay(bus.Backoff(meta, s.opts.RetryDelay))
		return
	}
	if failed > 0 {
		s.log.Error("dropping a publish after its retries", "topic", t.cfg.ID, "message_id", rec.MessageID, "subscriptions_failed", failed)
	}
	if err := msg.DoubleAck(ctx); err != nil {
		s.log.Warn("acknowledging a fanned out publish", "message_id", rec.MessageID, "err", err)
	}
	s.mu.Lock()
	delete(s.handled, rec.MessageID)
	s.mu.Unlock()
}

// refused reports whether a delivery failed for good: the subscription's
// queue refuses the message itself (more than 10 attributes with
// RawMessageDelivery, too large with the envelope, a group id for a
// standard queue, ...). SNS counts these as client-side errors and drops
// the message for that subscription without retries.
func refused(sub Subscription, err error) bool {
	return sub.Protocol == SQS && errors.Is(err, queue.ErrInvalid)
}

// refusedFix is what to change so that a subscription's queue takes
// messages like one it refused.
func refusedFix(t *topic, sub Subscription, rec stored) string {
	if sub.Raw && len(rec.Attributes) > queue.MaxAttributes {
		return fmt.Sprintf("the message has %d message attributes and SQS takes at most %d: publish at most %d to topic %s, or turn RawMessageDelivery off for subscription %s (the attributes then travel in the message body's MessageAttributes)",
			len(rec.Attributes), queue.MaxAttributes, queue.MaxAttributes, t.cfg.ID, sub.ID)
	}
	return fmt.Sprintf("publish to topic %s messages that queue %s takes, as the error says", t.cfg.ID, sub.Endpoint)
}

func (s *Service) subscriptionARN(t *topic, sub Subscription) string {
	return s.ARN(t.cfg) + ":" + firstNonEmpty(sub.ID, sub.Protocol+"-"+safe(sub.Endpoint))
}

func (s *Service) deliver(ctx context.Context, t *topic, sub Subscription, rec stored) error {
	switch sub.Protocol {
	case Lambda:
		payload, err := json.Marshal(Event{Records: []Record{s.record(t, sub, rec)}})
		if err != nil {
			return err
		}
		_, err = s.inv.Invoke(ctx, invoke.Request{Function: sub.Endpoint, Payload: payload, Type: invoke.Event,
			TraceID: tracectx.XRay(ctx), Trigger: telemetry.TriggerPubSub})
		return err
	case SQS:
		in := queue.SendInput{Body: rec.Message}
		if sub.Raw {
			if len(rec.Attributes) > 0 {
				in.MessageAttributes = map[string]queue.Attribute{}
				for k, a := range rec.Attributes {
					in.MessageAttributes[k] = queue.Attribute{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
				}
			}
		} else {
			body, err := json.Marshal(s.envelope(t, sub, rec))
			if err != nil {
				return err
			}
			in.Body = string(body)
		}
		if rec.GroupID != "" {
			in.GroupID = rec.GroupID
			in.DeduplicationID = firstNonEmpty(rec.DedupID, rec.MessageID)
		}
		_, err := s.sender.Send(ctx, sub.Endpoint, in)
		return err
	}
	return fmt.Errorf("protocol %s is not delivered", sub.Protocol)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
