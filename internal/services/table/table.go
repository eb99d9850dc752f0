package table

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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

// Names in JetStream.
const (
	bucketPrefix  = "STACKLAB_TABLE_"
	streamPrefix  = "STACKLAB_TABLESTREAM_"
	subjectPrefix = "stacklab.tablestream."
)

// Key is a key attribute of a table: its name and type (S, N or B).
type Key struct {
	Name string
	Type string
}

// Config is one table as deployed.
type Config struct {
	ID             string // logical id
	Name           string // TableName, or the logical id
	HashKey        Key
	RangeKey       *Key
	StreamViewType string // KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES; "" for no stream
}

// Item is a DynamoDB JSON attribute map: name → {"S": "a"}, {"N": "1"}, ...
type Item map[string]map[string]any

// Options configure a Service.
type Options struct {
	Region    string
	AccountID string
	Logger    *slog.Logger
	// RetryDelay is the wait before a failed stream batch is retried;
	// default 1 s.
	RetryDelay time.Duration
	// Telemetry traces writes, reads and stream batches; nil traces
	// nothing.
	Telemetry *telemetry.Telemetry
}

// Service runs the deployed tables. It is safe for concurrent use.
type Service struct {
	js   jetstream.JetStream
	opts Options
	log  *slog.Logger
	tel  *telemetry.Telemetry

	mu     sync.RWMutex
	tables map[string]*table // by logical id
	closed bool

	pollMu  sync.Mutex
	pollers []*poller
}

type table struct {
	cfg     Config
	kv      jetstream.KeyValue
	stream  jetstream.Stream // nil without a stream
	subject string
	writeMu sync.Mutex // one write at a time: stream records in write order
}

// New returns a service with no tables.
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
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = time.Second
	}
	return &Service{js: js, opts: opts, log: opts.Logger.With("component", "table"), tel: opts.Telemetry, tables: map[string]*table{}}
}

func safe(id string) string { return bus.Name(id) }

// ARN is the table's ARN.
func (s *Service) ARN(cfg Config) string {
	return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", s.opts.Region, s.opts.AccountID, cfg.Name)
}

// StreamARN is the ARN of the table's stream.
func (s *Service) StreamARN(cfg Config) string {
	return s.ARN(cfg) + "/stream/1970-01-01T00:00:00.000"
}

// Apply creates the buckets and streams of tables; tables left out are no
// longer served (their data is kept).
func (s *Service) Apply(ctx context.Context, cfgs []Config) error {
	next := map[string]*table{}
	for _, c := range cfgs {
		if c.Name == "" {
			c.Name = c.ID
		}
		if c.HashKey.Name == "" {
			return fmt.Errorf("table %s: %w: no hash key", c.ID, ErrInvalid)
		}
		kv, err := bus.EnsureKeyValue(ctx, s.js, jetstream.KeyValueConfig{Bucket: bucketPrefix + safe(c.ID), Description: "DynamoDB table " + c.Name, Storage: jetstream.FileStorage})
		if err != nil {
			return fmt.Errorf("creating the bucket of table %s: %w", c.ID, err)
		}
		t := &table{cfg: c, kv: kv, subject: subjectPrefix + safe(c.ID)}
		if c.StreamViewType != "" {
			t.stream, err = bus.EnsureStream(ctx, s.js, jetstream.StreamConfig{
				Name: streamPrefix + safe(c.ID), Description: "DynamoDB stream of table " + c.Name,
				Subjects: []string{t.subject}, Storage: jetstream.FileStorage, MaxAge: 24 * time.Hour,
			})
			if err != nil {
				return fmt.Errorf("creating the stream of table %s: %w", c.ID, err)
			}
		}
		if old := s.lookup(c.ID); old != nil {
			// Keep the write lock of a table deployed again.
			old.writeMu.Lock()
			old.cfg, old.kv, old.stream, old.subject = t.cfg, t.kv, t.stream, t.subject
			old.writeMu.Unlock()
			t = old
		}
		next[c.ID] = t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.tables = next
	return nil
}

func (s *Service) lookup(id string) *table {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tables[id]
}

// Tables lists the deployed tables, sorted by logical id.
func (s *Service) Tables() []Config {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Config
	for _, t := range s.tables {
		out = append(out, t.cfg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// table finds a table by logical id, name or ARN.
func (s *Service) table(name string) (*table, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	if t, ok := s.tables[name]; ok {
		return t, nil
	}
	for _, t := range s.tables {
		if name == t.cfg.Name || name == s.ARN(t.cfg) || strings.HasPrefix(name, s.ARN(t.cfg)+"/stream/") {
			return t, nil
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrNoTable, name)
}

// keyOf validates the key attributes of an item or key and returns the
// KV key and the key attributes alone.
func keyOf(cfg Config, it Item) (string, Item, error) {
	keys := []Key{cfg.HashKey}
	if cfg.RangeKey != nil {
		keys = append(keys, *cfg.RangeKey)
	}
	parts := make([]string, 0, len(keys))
	only := Item{}
	for _, k := range keys {
		av, ok := it[k.Name]
		if !ok {
			return "", nil, fmt.Errorf("%w: the key attribute %q is missing", ErrInvalid, k.Name)
		}
		v, ok := av[k.Type].(string)
		if len(av) != 1 || !ok {
			return "", nil, fmt.Errorf("%w: the key attribute %q must be of type %s, like {%q: {%q: \"...\"}}", ErrInvalid, k.Name, k.Type, k.Name, k.Type)
		}
		switch k.Type {
		case "N":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return "", nil, fmt.Errorf("%w: the key attribute %q is not a number: %q", ErrInvalid, k.Name, v)
			}
			v = strconv.FormatFloat(f, 'g', -1, 64)
		case "B":
			if _, err := base64.StdEncoding.DecodeString(v); err != nil {
				return "", nil, fmt.Errorf("%w: the key attribute %q is not base64: %v", ErrInvalid, k.Name, err)
			}
		}
		if v == "" && k.Type != "N" {
			return "", nil, fmt.Errorf("%w: the key attribute %q is empty", ErrInvalid, k.Name)
		}
		parts = append(parts, v)
		only[k.Name] = av
	}
	b, _ := json.Marshal(parts)
	return base64.RawURLEncoding.EncodeToString(b), only, nil
}

// validate checks that every attribute value has exactly one type.
func validate(it Item) error {
	if len(it) == 0 {
		return fmt.Errorf("%w: the item has no attributes", ErrInvalid)
	}
	for name, av := range it {
		if len(av) != 1 {
			return fmt.Errorf("%w: attribute %q must be one typed value like {\"S\": \"...\"}", ErrInvalid, name)
		}
		for typ := range av {
			switch typ {
			case "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS":
			default:
				return fmt.Errorf("%w: attribute %q has unknown type %q", ErrInvalid, name, typ)
			}
		}
	}
	return nil
}

// Put writes an item, replacing the one with the same key, and returns
// the item replaced (nil when there was none).
func (s *Service) Put(ctx context.Context, name string, it Item) (_ Item, err error) {
	t, err := s.table(name)
	if err != nil {
		return nil, err
	}
	ctx, span := s.itemSpan(ctx, "PutItem", t)
	defer func() {
		span.RecordError(err)
		span.End()
	}()
	if err := validate(it); err != nil {
		return nil, err
	}
	k, keys, err := keyOf(t.cfg, it)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(it)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	t.writeMu.Lock()
	defer t.writeMu.Unlock()
	old, err := t.get(ctx, k)
	if err != nil {
		return nil, err
	}
	if _, err := t.kv.Put(ctx, k, data); err != nil {
		return nil, fmt.Errorf("putting an item in table %s: %w", t.cfg.ID, err)
	}
	event, op := "INSERT", telemetry.DocInsert
	if old != nil {
		event, op = "MODIFY", telemetry.DocEdit
	}
	s.document(span, t, op, keys)
	return old, s.record(ctx, t, event, keys, old, it)
}

// Get returns the item with a key, or nil when there is none.
func (s *Service) Get(ctx context.Context, name string, key Item) (_ Item, err error) {
	t, err := s.table(name)
	if err != nil {
		return nil, err
	}
	ctx, span := s.itemSpan(ctx, "GetItem", t)
	defer func() {
		span.RecordError(err)
		span.End()
	}()
	k, _, err := keyOf(t.cfg, key)
	if err != nil {
		return nil, err
	}
	return t.get(ctx, k)
}

func (t *table) get(ctx context.Context, k string) (Item, error) {
	e, err := t.kv.Get(ctx, k)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("getting an item of table %s: %w", t.cfg.ID, err)
	}
	var it Item
	if err := json.Unmarshal(e.Value(), &it); err != nil {
		return nil, fmt.Errorf("reading an item of table %s: %w", t.cfg.ID, err)
	}
	return it, nil
}

// Delete removes the item with a key and returns it (nil when there was
// none; deleting nothing writes no stream record).
func (s *Service) Delete(ctx context.Context, name string, key Item) (_ Item, err error) {
	t, err := s.table(name)
	if err != nil {
		return nil, err
	}
	ctx, span := s.itemSpan(ctx, "DeleteItem", t)
	defer func() {
		span.RecordError(err)
		span.End()
	}()
	k, keys, err := keyOf(t.cfg, key)
	if err != nil {
		return nil, err
	}
	s.document(span, t, telemetry.DocDelete, keys)
	t.writeMu.Lock()
	defer t.writeMu.Unlock()
	old, err := t.get(ctx, k)
	if err != nil || old == nil {
		return nil, err
	}
	if err := t.kv.Delete(ctx, k); err != nil {
		return nil, fmt.Errorf("deleting an item of table %s: %w", t.cfg.ID, err)
	}
	return old, s.record(ctx, t, "REMOVE", keys, old, nil)
}

// Scan returns the items of a table in key order, at most limit of them
// when limit > 0.
func (s *Service) Scan(ctx context.Context, name string, limit int) ([]Item, error) {
	t, err := s.table(name)
	if err != nil {
		return nil, err
	}
	lister, err := t.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the items of table %s: %w", t.cfg.ID, err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []Item{}
	for _, k := range keys {
		if limit > 0 && len(out) >= limit {
			break
		}
		it, err := t.get(ctx, k)
		if err != nil {
			return nil, err
		}
		if it != nil {
			out = append(out, it)
		}
	}
	return out, nil
}

// Record is one DynamoDB stream record as Lambda delivers it.
type Record struct {
	EventID        string       `json:"eventID"`
	EventName      string       `json:"eventName"`
	EventVersion   string       `json:"eventVersion"`
	EventSource    string       `json:"eventSource"`
	AWSRegion      string       `json:"awsRegion"`
	DynamoDB       StreamRecord `json:"dynamodb"`
	EventSourceARN string       `json:"eventSourceARN"`
}

// StreamRecord is the dynamodb part of a Record.
type StreamRecord struct {
	ApproximateCreationDateTime float64 `json:"ApproximateCreationDateTime"`
	Keys                        Item    `json:"Keys"`
	NewImage                    Item    `json:"NewImage,omitempty"`
	OldImage                    Item    `json:"OldImage,omitempty"`
	SequenceNumber              string  `json:"SequenceNumber"`
	SizeBytes                   int     `json:"SizeBytes"`
	StreamViewType              string  `json:"StreamViewType"`
}

// Event is the DynamoDB stream event Lambda delivers to a function.
type Event struct {
	Records []Record `json:"Records"`
}

// record appends a write's stream record; the sequence number is the
// JetStream sequence, filled in when the record is read.
func (s *Service) record(ctx context.Context, t *table, event string, keys, old, new Item) error {
	if t.stream == nil {
		return nil
	}
	view := t.cfg.StreamViewType
	sr := StreamRecord{ApproximateCreationDateTime: float64(time.Now().Unix()), Keys: keys, StreamViewType: view}
	if view == "NEW_IMAGE" || view == "NEW_AND_OLD_IMAGES" {
		sr.NewImage = new
	}
	if view == "OLD_IMAGE" || view == "NEW_AND_OLD_IMAGES" {
		sr.OldImage = old
	}
	kb, _ := json.Marshal(keys)
	nb, _ := json.Marshal(sr.NewImage)
	ob, _ := json.Marshal(sr.OldImage)
	sr.SizeBytes = len(kb)
	if sr.NewImage != nil {
		sr.SizeBytes += len(nb)
	}
	if sr.OldImage != nil {
		sr.SizeBytes += len(ob)
	}
	id := make([]byte, 16)
	rand.Read(id)
	rec := Record{EventID: hex.EncodeToString(id), EventName: event, EventVersion: "1.1", EventSource: "aws:dynamodb",
		AWSRegion: s.opts.Region, DynamoDB: sr, EventSourceARN: s.StreamARN(t.cfg)}
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	m := nats.NewMsg(t.subject)
	m.Data = data
	tracectx.Inject(ctx, tracectx.NATS(m.Header))
	if _, err := s.js.PublishMsg(ctx, m); err != nil {
		// The item is written; the record is lost. Say so loudly.
		s.log.Error("appending a stream record; the write is done but not in the stream", "table", t.cfg.ID, "event", event, "err", err)
		return fmt.Errorf("appending the stream record of table %s: %w", t.cfg.ID, err)
	}
	return nil
}

// Close stops the pollers; the service serves nothing after it.
func (s *Service) Close() {
	s.StopPollers()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}
