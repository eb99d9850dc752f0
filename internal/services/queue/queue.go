package queue

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/stacklab/stacklab/internal/ids"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// MaxMessageSize is SQS's largest message body (with attributes).
const MaxMessageSize = 256 * 1024

// Names in JetStream.
const (
	streamPrefix  = "STACKLAB_QUEUE_"
	subjectPrefix = "stacklab.queue."
	consumerName  = "sqs"
	delayConsumer = "delay"

	hdrID        = "Sqs-Message-Id"
	hdrSent      = "Sqs-Sent-Timestamp" // ms since the epoch
	hdrGroup     = "Sqs-Message-Group-Id"
	hdrDedup     = "Sqs-Message-Deduplication-Id"
	hdrAttrs     = "Sqs-Message-Attributes"        // JSON, messages stored by earlier versions
	hdrAttrsLen  = "Sqs-Message-Attributes-Length" // the data starts with this many bytes of attributes JSON
	hdrVisibleAt = "Sqs-Visible-At"                // ms since the epoch, delayed messages
	hdrSender    = "Sqs-Sender-Id"
)

// Config is one queue as deployed.
type Config struct {
	ID                string // logical id
	Name              string // QueueName, or one made from the id
	Fifo              bool
	ContentBasedDedup bool
	VisibilityTimeout time.Duration
	Retention         time.Duration // MessageRetentionPeriod
	Delay             time.Duration // DelaySeconds of the queue
	ReceiveWait       time.Duration // ReceiveMessageWaitTimeSeconds: a receive's default wait
	DeadLetter        string        // logical id or name of the dead-letter queue
	MaxReceiveCount   int
}

// Options configure a Service.
type Options struct {
	Region    string
	AccountID string
	Logger    *slog.Logger
	// Telemetry traces sends, batches and redrives; nil traces nothing.
	Telemetry *telemetry.Telemetry
}

// Service runs the deployed queues. It is safe for concurrent use.
type Service struct {
	js   jetstream.JetStream
	opts Options
	log  *slog.Logger
	tel  *telemetry.Telemetry

	mu       sync.RWMutex
	queues   map[string]*queue    // by logical id
	inflight map[string]*inflight // by stream name, kept across Apply
	movers   map[string]context.CancelFunc
	moverWG  sync.WaitGroup
	closed   bool

	pollMu  sync.Mutex
	pollers []*poller
}

// queue is a deployed queue: its config and JetStream handles.
type queue struct {
	cfg     Config
	stream  jetstream.Stream
	cons    jetstream.Consumer
	delay   jetstream.Consumer
	subject string
	dlq     *queue // nil without a redrive policy
	// inflight records the latest delivery of each message (inflight.go).
	inflight *inflight
}

// New returns a service with no queues.
func New(js jetstream.JetStream, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	return &Service{js: js, opts: opts, log: opts.Logger.With("component", "queue"), tel: opts.Telemetry, queues: map[string]*queue{}, inflight: map[string]*inflight{}, movers: map[string]context.CancelFunc{}}
}

// StreamName is the JetStream stream of a queue's logical id: letters,
// digits, - and _ are kept, anything else becomes _.
func StreamName(id string) string { return streamPrefix + safe(id) }

func safe(id string) string { return bus.Name(id) }

// ARN is the queue's ARN.
func (s *Service) ARN(cfg Config) string {
	return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", s.opts.Region, s.opts.AccountID, cfg.Name)
}

// Apply creates or updates the streams and consumers of queues; queues
// left out are no longer served (their streams, and messages, are kept).
func (s *Service) Apply(ctx context.Context, cfgs []Config) error {
	next := map[string]*queue{}
	for _, c := range cfgs {
		if c.Name == "" {
			c.Name = c.ID
			if c.Fifo {
				c.Name += ".fifo"
			}
		}
		if c.VisibilityTimeout <= 0 {
			// JetStream needs an ack wait; 0 s is served as 1 s.
			c.VisibilityTimeout = time.Second
		}
		if c.Retention <= 0 {
			c.Retention = 4 * 24 * time.Hour
		}
		q, err := s.ensure(ctx, c)
		if err != nil {
			return err
		}
		next[c.ID] = q
	}
	for _, q := range next {
		if q.cfg.DeadLetter == "" {
			continue
		}
		q.dlq = find(next, q.cfg.DeadLetter)
		if q.dlq == nil {
			return fmt.Errorf("queue %s: the dead-letter queue %s is not a queue of the stack", q.cfg.ID, q.cfg.DeadLetter)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	for id, stop := range s.movers {
		if _, ok := next[id]; !ok {
			stop()
			delete(s.movers, id)
		}
	}
	for id, q := range next {
		name := StreamName(id)
		if s.inflight[name] == nil {
			s.inflight[name] = newInflight()
		}
		q.inflight = s.inflight[name]
	}
	for id, q := range next {
		if stop, ok := s.movers[id]; ok {
			stop()
		}
		mctx, stop := context.WithCancel(context.Background())
		s.movers[id] = stop
		s.moverWG.Add(1)
		go s.move(mctx, q)
	}
	s.queues = next
	return nil
}

func (s *Service) ensure(ctx context.Context, c Config) (*queue, error) {
	subj := subjectPrefix + safe(c.ID)
	stream, err := bus.EnsureStream(ctx, s.js, jetstream.StreamConfig{
		Name:        StreamName(c.ID),
		Description: "SQS queue " + c.Name,
		Subjects:    []string{subj, subj + ".delayed"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      c.Retention,
		// Binary attributes are kept base64-encoded in a header, a third
		// larger than what SQS counts.
		MaxMsgSize: 2 * MaxMessageSize,
		Duplicates: 5 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the stream of queue %s: %w", c.ID, err)
	}
	pending := 10000
	if c.Fifo {
		pending = 1
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       consumerName,
		FilterSubject: subj,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.VisibilityTimeout,
		MaxAckPending: pending,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the consumer of queue %s: %w", c.ID, err)
	}
	delay, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       delayConsumer,
		FilterSubject: subj + ".delayed",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: pending,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the delay consumer of queue %s: %w", c.ID, err)
	}
	return &queue{cfg: c, stream: stream, cons: cons, delay: delay, subject: subj}, nil
}

// find looks a queue up by logical id, name, URL or ARN.
func find(qs map[string]*queue, name string) *queue {
	if q, ok := qs[name]; ok {
		return q
	}
	if i := strings.LastIndexAny(name, ":/"); i >= 0 && (strings.HasPrefix(name, "arn:") || strings.Contains(name, "://")) {
		name = name[i+1:]
	}
	if q, ok := qs[name]; ok {
		return q
	}
	for _, q := range qs {
		if q.cfg.Name == name {
			return q
		}
	}
	return nil
}

func (s *Service) queue(name string) (*queue, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	q := find(s.queues, name)
	if q == nil {
		return nil, fmt.Errorf("%w: %q (see 'stacklab queue stats')", ErrNoQueue, name)
	}
	return q, nil
}

// Queues lists the deployed queues, by logical id.
func (s *Service) Queues() []Config {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Config, 0, len(s.queues))
	for _, q := range s.queues {
		out = append(out, q.cfg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Lookup returns a deployed queue's config by logical id, name or ARN.
func (s *Service) Lookup(name string) (Config, bool) {
	q, err := s.queue(name)
	if err != nil {
		return Config{}, false
	}
	return q.cfg, true
}

// Attribute is an SQS message attribute.
type Attribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue,omitempty"`
	BinaryValue []byte `json:"BinaryValue,omitempty"`
}

// SendInput is one message to send.
type SendInput struct {
	Body              string               `json:"body"`
	Delay             *time.Duration       `json:"-"` // nil: the queue's DelaySeconds
	DelaySeconds      *int                 `json:"delaySeconds,omitempty"`
	GroupID           string               `json:"groupId,omitempty"`
	DeduplicationID   string               `json:"deduplicationId,omitempty"`
	MessageAttributes map[string]Attribute `json:"messageAttributes,omitempty"`
	// MessageSystemAttributes: only AWSTraceHeader, the X-Ray trace
	// header the message carries instead of the sender's trace context.
	MessageSystemAttributes map[string]Attribute `json:"messageSystemAttributes,omitempty"`
}

// SendOutput is what SendMessage answers.
type SendOutput struct {
	MessageID      string `json:"MessageId"`
	MD5OfBody      string `json:"MD5OfMessageBody"`
	SequenceNumber string `json:"SequenceNumber,omitempty"` // FIFO queues
	Duplicate      bool   `json:"Duplicate,omitempty"`      // FIFO: deduplicated
}

// Send stores a message; when it returns nil the message is durable. The
// trace context in ctx travels with the message (see sendSpan).
func (s *Service) Send(ctx context.Context, name string, in SendInput) (SendOutput, error) {
	q, err := s.queue(name)
	if err != nil {
		return SendOutput{}, err
	}
	ctx, span := s.sendSpan(ctx, q)
	defer span.End()
	m, out, dedup, err := s.message(ctx, q, in)
	if err != nil {
		span.RecordError(err)
		return SendOutput{}, err
	}
	ack, err := s.js.PublishMsg(ctx, m, publishOpts(dedup)...)
	if err != nil {
		err = fmt.Errorf("storing a message in queue %s: %w", q.cfg.ID, err)
		span.RecordError(err)
		return SendOutput{}, err
	}
	out = s.sent(ctx, q, out, ack)
	if s.tel != nil {
		span.SetAttributes(telemetry.MessagingMessageID(out.MessageID))
	}
	return out, nil
}

// message checks a message and makes it a JetStream message, with the
// answer to give once it is stored and its deduplication id ("" for a
// standard queue, which deduplicates nothing).
// The span context in ctx goes into the message's headers, from which a
// receiver reads the AWSTraceHeader attribute.
func (s *Service) message(ctx context.Context, q *queue, in SendInput) (*nats.Msg, SendOutput, string, error) {
	if in.Body == "" {
		return nil, SendOutput{}, "", fmt.Errorf("%w: the message body is empty", ErrInvalid)
	}
	if err := checkAttributes(in.MessageAttributes); err != nil {
		return nil, SendOutput{}, "", err
	}
	if err := checkSystemAttributes(in.MessageSystemAttributes); err != nil {
		return nil, SendOutput{}, "", err
	}
	if size := messageSize(in); size > MaxMessageSize {
		return nil, SendOutput{}, "", fmt.Errorf("%w: the message is %d bytes with its attributes (names, data types and values count), more than the %d bytes SQS allows", ErrInvalid, size, MaxMessageSize)
	}
	var attrs []byte
	if len(in.MessageAttributes) > 0 {
		attrs, _ = json.Marshal(in.MessageAttributes)
	}
	delay := q.cfg.Delay
	if in.DelaySeconds != nil {
		// Checked before it becomes a duration, which a huge number
		// would overflow into range.
		if n := *in.DelaySeconds; n < 0 || n > 900 {
			return nil, SendOutput{}, "", fmt.Errorf("%w: DelaySeconds must be 0 to 900, not %d", ErrInvalid, n)
		}
		d := time.Duration(*in.DelaySeconds) * time.Second
		in.Delay = &d
	}
	if in.Delay != nil {
		if q.cfg.Fifo {
			return nil, SendOutput{}, "", fmt.Errorf("%w: FIFO queue %s takes no per-message delay (set DelaySeconds on the queue)", ErrInvalid, q.cfg.ID)
		}
		delay = *in.Delay
	}
	if delay < 0 || delay > 15*time.Minute {
		return nil, SendOutput{}, "", fmt.Errorf("%w: the delay must be 0 to 900 s, not %s", ErrInvalid, delay)
	}
	id := ids.V4()
	msgID := ""
	if q.cfg.Fifo {
		if in.GroupID == "" {
			return nil, SendOutput{}, "", fmt.Errorf("%w: FIFO queue %s needs a MessageGroupId (--group)", ErrInvalid, q.cfg.ID)
		}
		switch {
		case in.DeduplicationID != "":
		case q.cfg.ContentBasedDedup:
			sum := sha256.Sum256([]byte(in.Body))
			in.DeduplicationID = hex.EncodeToString(sum[:])
		default:
			return nil, SendOutput{}, "", fmt.Errorf("%w: FIFO queue %s has no ContentBasedDeduplication; give a MessageDeduplicationId", ErrInvalid, q.cfg.ID)
		}
		msgID = "dedup-" + in.DeduplicationID
	} else if in.GroupID != "" {
		return nil, SendOutput{}, "", fmt.Errorf("%w: MessageGroupId is for FIFO queues; %s is a standard queue", ErrInvalid, q.cfg.ID)
	}
	m := nats.NewMsg(q.subject)
	m.Data = []byte(in.Body)
	if len(attrs) > 0 {
		// The attributes go before the body, not in a header: they may
		// be up to 256 KiB, and JetStream takes at most 64 KiB of headers.
		m.Data = append(attrs, in.Body...)
		m.Header.Set(hdrAttrsLen, strconv.Itoa(len(attrs)))
	}
	m.Header.Set(hdrID, id)
	m.Header.Set(hdrSent, strconv.FormatInt(time.Now().UnixMilli(), 10))
	m.Header.Set(hdrSender, s.opts.AccountID)
	if in.GroupID != "" {
		m.Header.Set(hdrGroup, in.GroupID)
	}
	if in.DeduplicationID != "" {
		m.Header.Set(hdrDedup, in.DeduplicationID)
	}
	tracectx.Inject(ctx, tracectx.NATS(m.Header))
	if a, ok := in.MessageSystemAttributes[tracectx.AWSTraceHeader]; ok {
		// The given trace header is the message's trace, as in SQS; the
		// sender's context would be read first, so it goes.
		m.Header.Del(tracectx.TraceparentHeader)
		m.Header.Del(tracectx.TracestateHeader)
		m.Header.Set(tracectx.XRayHeader, a.StringValue)
	}
	if delay > 0 {
		m.Subject = q.subject + ".delayed"
		m.Header.Set(hdrVisibleAt, strconv.FormatInt(time.Now().Add(delay).UnixMilli(), 10))
	}
	return m, SendOutput{MessageID: id, MD5OfBody: md5Hex(in.Body)}, msgID, nil
}

// publishOpts are the options of a message's publish: its deduplication
// id, if any.
func publishOpts(dedup string) []jetstream.PublishOpt {
	if dedup == "" {
		return nil
	}
	return []jetstream.PublishOpt{jetstream.WithMsgID(dedup)}
}

// sent completes the answer to a stored message with what JetStream
// acknowledged.
func (s *Service) sent(ctx context.Context, q *queue, out SendOutput, ack *jetstream.PubAck) SendOutput {
	out.Duplicate = ack.Duplicate
	if q.cfg.Fifo {
		out.SequenceNumber = fmt.Sprintf("%020d", ack.Sequence)
	}
	if ack.Duplicate {
		// The message stored first keeps its id; SQS answers with it.
		if raw, err := q.stream.GetMsg(ctx, ack.Sequence); err == nil && raw.Header.Get(hdrID) != "" {
			out.MessageID = raw.Header.Get(hdrID)
		}
	}
	return out
}

// pruneEvery is how often a mover forgets the deliveries of messages gone
// from the stream by its retention period.
const pruneEvery = time.Minute

// move republishes a queue's delayed messages once their delay is over,
// and prunes the record of deliveries.
func (s *Service) move(ctx context.Context, q *queue) {
	defer s.moverWG.Done()
	pruned := time.Now()
	for ctx.Err() == nil {
		if time.Since(pruned) > pruneEvery {
			pruned = time.Now()
			if info, err := q.stream.Info(ctx); err == nil {
				q.inflight.prune(info.State.FirstSeq)
			}
		}
		batch, err := q.delay.Fetch(100, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("fetching delayed messages", "queue", q.cfg.ID, "err", err)
				bus.Sleep(ctx, time.Second)
			}
			continue
		}
		for msg := range batch.Messages() {
			at, _ := strconv.ParseInt(msg.Headers().Get(hdrVisibleAt), 10, 64)
			if wait := time.Until(time.UnixMilli(at)); wait > 0 {
				msg.NakWithDelay(wait)
				continue
			}
			m := nats.NewMsg(q.subject)
			m.Data = msg.Data()
			for k, v := range msg.Headers() {
				if k != hdrVisibleAt && !strings.HasPrefix(k, "Nats-") {
					m.Header[k] = v
				}
			}
			// Moving twice (a crash between publish and ack) is
			// deduplicated by the message id.
			pctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := s.js.PublishMsg(pctx, m, jetstream.WithMsgID("moved-"+msg.Headers().Get(hdrID)))
			if err == nil {
				err = msg.DoubleAck(pctx)
			}
			cancel()
			if err != nil {
				s.log.Warn("moving a delayed message", "queue", q.cfg.ID, "err", err)
				msg.NakWithDelay(time.Second)
			}
		}
	}
}

// Message is a received message, as ReceiveMessage answers it.
type Message struct {
	MessageID         string               `json:"MessageId"`
	ReceiptHandle     string               `json:"ReceiptHandle"`
	Body              string               `json:"Body"`
	MD5OfBody         string               `json:"MD5OfBody"`
	Attributes        map[string]string    `json:"Attributes"`
	MessageAttributes map[string]Attribute `json:"MessageAttributes,omitempty"`

	msg        jetstream.Msg
	sseq, cseq uint64 // the message's stream sequence, the delivery's consumer sequence
}

// Receive returns up to max (1 to 10) visible messages, waiting up to wait
// for the first. They stay invisible for the queue's visibility timeout,
// then are delivered again unless deleted.
func (s *Service) Receive(ctx context.Context, name string, max int, wait time.Duration) ([]Message, error) {
	q, err := s.queue(name)
	if err != nil {
		return nil, err
	}
	if max < 1 || max > 10 {
		return nil, fmt.Errorf("%w: receive 1 to 10 messages, not %d", ErrInvalid, max)
	}
	ctx, span := s.receiveSpan(ctx, q)
	defer span.End()
	msgs, err := s.receive(ctx, q, max, wait, 0)
	if err != nil {
		span.RecordError(err)
	}
	s.received(span, msgs)
	return msgs, err
}

// receive fetches up to max messages: it waits up to wait for the first,
// then, with a window, up to window for the batch to fill. Messages
// received too often are moved to the dead-letter queue instead.
func (s *Service) receive(ctx context.Context, q *queue, max int, wait, window time.Duration) ([]Message, error) {
	var out []Message
	take := func(batch jetstream.MessageBatch, err error) error {
		if err != nil {
			return fmt.Errorf("receiving from queue %s: %w", q.cfg.ID, err)
		}
		for msg := range batch.Messages() {
			if m, ok := s.deliver(ctx, q, msg); ok {
				out = append(out, m)
			}
		}
		return nil
	}
	if q.cfg.Fifo {
		// One message in flight at a time (see the package comment).
		max = 1
	}
	// The first messages.
	deadline := time.Now().Add(wait)
	for len(out) == 0 {
		if err := take(fetchNow(q, max)); err != nil {
			return out, err
		}
		left := time.Until(deadline)
		if len(out) > 0 || left <= 0 || ctx.Err() != nil {
			break
		}
		if err := take(q.cons.Fetch(1, jetstream.FetchMaxWait(clamp(left)))); err != nil {
			return out, err
		}
	}
	if len(out) == 0 || len(out) >= max {
		return out, nil
	}
	if window <= 0 {
		err := take(fetchNow(q, max-len(out)))
		return out, err
	}
	// Fill the batch for up to window.
	deadline = time.Now().Add(window)
	for len(out) < max && ctx.Err() == nil {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		if err := take(q.cons.Fetch(max-len(out), jetstream.FetchMaxWait(clamp(left)))); err != nil {
			return out, err
		}
	}
	return out, nil
}

// fetchNow fetches what is visible now. A FIFO queue's consumer allows one
// message in flight, and JetStream keeps a no-wait pull at that limit
// waiting, so it gets a short expiry instead.
func fetchNow(q *queue, n int) (jetstream.MessageBatch, error) {
	if q.cfg.Fifo {
		return q.cons.Fetch(n, jetstream.FetchMaxWait(50*time.Millisecond))
	}
	return q.cons.FetchNoWait(n)
}

// clamp bounds one fetch's wait, so that a stop is noticed within a second.
func clamp(d time.Duration) time.Duration {
	return min(max(d, 50*time.Millisecond), time.Second)
}

// deliver turns a delivery into a Message, or redrives it.
func (s *Service) deliver(ctx context.Context, q *queue, msg jetstream.Msg) (Message, bool) {
	meta, err := msg.Metadata()
	if err != nil {
		msg.Term()
		return Message{}, false
	}
	h := msg.Headers()
	body, attrs := split(msg.Data(), h)
	if q.dlq != nil && q.cfg.MaxReceiveCount > 0 && int(meta.NumDelivered) > q.cfg.MaxReceiveCount {
		if err := s.redrive(ctx, q, msg, meta.NumDelivered); err != nil {
			s.log.Warn("moving a message to the dead-letter queue", "queue", q.cfg.ID, "dlq", q.dlq.cfg.ID, "err", err)
			msg.NakWithDelay(time.Second)
		}
		return Message{}, false
	}
	m := Message{
		MessageID:     h.Get(hdrID),
		ReceiptHandle: base64.RawURLEncoding.EncodeToString([]byte(msg.Reply())),
		Body:          string(body),
		MD5OfBody:     md5Hex(string(body)),
		Attributes: map[string]string{
			"ApproximateReceiveCount":          strconv.FormatUint(meta.NumDelivered, 10),
			"SentTimestamp":                    h.Get(hdrSent),
			"SenderId":                         h.Get(hdrSender),
			"ApproximateFirstReceiveTimestamp": strconv.FormatInt(firstReceive(meta), 10),
		},
		msg:  msg,
		sseq: meta.Sequence.Stream,
		cseq: meta.Sequence.Consumer,
	}
	q.inflight.received(m.sseq, m.cseq, time.Now().Add(q.cfg.VisibilityTimeout))
	if g := h.Get(hdrGroup); g != "" {
		m.Attributes["MessageGroupId"] = g
		m.Attributes["MessageDeduplicationId"] = h.Get(hdrDedup)
		m.Attributes["SequenceNumber"] = fmt.Sprintf("%020d", meta.Sequence.Stream)
	}
	if len(attrs) > 0 {
		json.Unmarshal(attrs, &m.MessageAttributes)
	}
	if x := h.Get(tracectx.XRayHeader); x != "" {
		m.Attributes[tracectx.AWSTraceHeader] = x
	}
	return m, true
}

// split separates a stored message's body from its attributes' JSON,
// stored before the body (hdrAttrsLen) or, by earlier versions, in a
// header.
func split(data []byte, h nats.Header) (body, attrs []byte) {
	if n, err := strconv.Atoi(h.Get(hdrAttrsLen)); err == nil && n > 0 && n <= len(data) {
		return data[n:], data[:n]
	}
	if a := h.Get(hdrAttrs); a != "" {
		return data, []byte(a)
	}
	return data, nil
}

// firstReceive is when the message was first received, as far as is known:
// now for a first delivery, else the time it was stored.
func firstReceive(meta *jetstream.MsgMetadata) int64 {
	if meta.NumDelivered <= 1 {
		return time.Now().UnixMilli()
	}
	return meta.Timestamp.UnixMilli()
}

// redrive moves a message to the queue's dead-letter queue, keeping its id,
// body and attributes, then removes it from the queue.
func (s *Service) redrive(ctx context.Context, q *queue, msg jetstream.Msg, received uint64) error {
	m := nats.NewMsg(q.dlq.subject)
	m.Data = msg.Data()
	for k, v := range msg.Headers() {
		if !strings.HasPrefix(k, "Nats-") {
			m.Header[k] = v
		}
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	pctx, span := s.redriveSpan(pctx, q, m, received)
	defer span.End()
	if _, err := s.js.PublishMsg(pctx, m, jetstream.WithMsgID("redriven-"+msg.Headers().Get(hdrID))); err != nil {
		span.RecordError(err)
		return err
	}
	s.log.Info("message moved to the dead-letter queue", "queue", q.cfg.ID, "dlq", q.dlq.cfg.ID, "message_id", msg.Headers().Get(hdrID))
	if err := msg.DoubleAck(pctx); err != nil {
		return err
	}
	if meta, err := msg.Metadata(); err == nil {
		q.inflight.settled(meta.Sequence.Stream, meta.Sequence.Consumer)
	}
	return nil
}

// Purge deletes every message of a queue.
func (s *Service) Purge(ctx context.Context, name string) error {
	q, err := s.queue(name)
	if err != nil {
		return err
	}
	if err := q.stream.Purge(ctx); err != nil {
		return fmt.Errorf("purging queue %s: %w", q.cfg.ID, err)
	}
	q.inflight.clear()
	return nil
}

// Close stops the pollers and the movers of delayed messages.
func (s *Service) Close() {
	s.StopPollers()
	s.mu.Lock()
	s.closed = true
	for id, stop := range s.movers {
		stop()
		delete(s.movers, id)
	}
	s.mu.Unlock()
	s.moverWG.Wait()
}

// messageSize is what SQS counts of a message against MaxMessageSize: its
// body and its attributes' names, data types and values.
func messageSize(in SendInput) int {
	return len(in.Body) + attributesSize(in.MessageAttributes)
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
