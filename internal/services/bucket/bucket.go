package bucket

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/stacklab/stacklab/internal/bus"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// MaxKeyLength is S3's longest object key, in bytes.
const MaxKeyLength = 1024

// DefaultMaxObjectSize is the largest object a put stores unless
// Options.MaxObjectSize says otherwise: 5 GiB, S3's limit for one PUT.
const DefaultMaxObjectSize int64 = 5 << 30

// Names in JetStream and in object metadata.
const (
	storePrefix = "STACKLAB_BUCKET_"

	metaETag        = "etag"
	metaContentType = "content-type"
	metaUser        = "meta." // user metadata: meta.<lowercased name>

	defaultContentType = "binary/octet-stream" // what S3 answers without one
)

// Config is one bucket as deployed.
type Config struct {
	ID            string // logical id
	Name          string // BucketName, or the logical id lowercased
	Notifications []Notification
}

// Notification is one S3 event notification: a SAM S3 event of a
// function, or an entry of the bucket's NotificationConfiguration.
type Notification struct {
	ID     string   // the configurationId of the records
	Events []string // s3:ObjectCreated:*, s3:ObjectRemoved:Delete, ...
	Prefix string
	Suffix string
	// One target: a function's name, or a queue's or topic's logical id,
	// name or ARN.
	Function string
	Queue    string
	Topic    string
}

// Options configure a Service.
type Options struct {
	Region    string
	AccountID string
	Logger    *slog.Logger
	// Invoker runs the notifications to functions, as Event invocations.
	Invoker invoke.Invoker
	// SendToQueue sends the notifications to queues.
	SendToQueue func(ctx context.Context, queue, body string) error
	// PublishToTopic publishes the notifications to topics, with the
	// subject S3 gives them.
	PublishToTopic func(ctx context.Context, topic, subject, message string) error
	// MaxObjectSize is the largest object Put stores, in bytes (0:
	// DefaultMaxObjectSize). A larger one fails with ErrTooLarge and
	// leaves nothing stored.
	MaxObjectSize int64
	// Telemetry traces puts, gets, deletes and the notifications they
	// cause; nil traces nothing.
	Telemetry *telemetry.Telemetry
}

// Object is an object's metadata.
type Object struct {
	Key          string            `json:"key"`
	Size         int64             `json:"size"`
	ETag         string            `json:"etag"` // MD5 hex, without quotes
	ContentType  string            `json:"contentType"`
	LastModified time.Time         `json:"lastModified"`
	Metadata     map[string]string `json:"metadata,omitempty"` // user metadata
	// Trace is the context of the PutObject (DeleteObject) span of the Put
	// (Delete) that returned the object, whose trace holds what its
	// notifications cause; zero without telemetry, and from Head and List.
	Trace trace.SpanContext `json:"-"`
}

// PutInput is what a put gives besides the content.
type PutInput struct {
	ContentType string
	Metadata    map[string]string
	// Size, when above 0, is the content's length as announced
	// (Content-Length): one over the limit fails before anything is read.
	Size int64
}

// Service runs the deployed buckets. It is safe for concurrent use.
type Service struct {
	js   jetstream.JetStream
	opts Options
	log  *slog.Logger
	tel  *telemetry.Telemetry

	mu      sync.RWMutex
	buckets map[string]*bucket // by logical id
	closed  bool
}

type bucket struct {
	cfg   Config
	store jetstream.ObjectStore
}

// New returns a service with no buckets.
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
	if opts.MaxObjectSize <= 0 {
		opts.MaxObjectSize = DefaultMaxObjectSize
	}
	return &Service{js: js, opts: opts, log: opts.Logger.With("component", "bucket"), tel: opts.Telemetry, buckets: map[string]*bucket{}}
}

// StoreName is the object store of a bucket's logical id: letters,
// digits, - and _ are kept, anything else becomes _.
func StoreName(id string) string { return storePrefix + bus.Name(id) }

// ARN is the bucket's ARN.
func ARN(name string) string { return "arn:aws:s3:::" + name }

// Apply creates the object stores of buckets; buckets left out are no
// longer served (their objects are kept).
func (s *Service) Apply(ctx context.Context, cfgs []Config) error {
	next := map[string]*bucket{}
	for _, c := range cfgs {
		if c.Name == "" {
			c.Name = strings.ToLower(c.ID)
		}
		store, err := bus.EnsureObjectStore(ctx, s.js, jetstream.ObjectStoreConfig{
			Bucket:      StoreName(c.ID),
			Description: "S3 bucket " + c.Name,
			Storage:     jetstream.FileStorage,
		})
		if err != nil {
			return fmt.Errorf("creating the object store of bucket %s: %w", c.ID, err)
		}
		next[c.ID] = &bucket{cfg: c, store: store}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.buckets = next
	return nil
}

// Buckets lists the deployed buckets, by logical id.
func (s *Service) Buckets() []Config {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Config, 0, len(s.buckets))
	for _, b := range s.buckets {
		out = append(out, b.cfg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// bucket finds a bucket by logical id, name or ARN.
func (s *Service) bucket(name string) (*bucket, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	name = strings.TrimPrefix(name, "arn:aws:s3:::")
	if b, ok := s.buckets[name]; ok {
		return b, nil
	}
	for _, b := range s.buckets {
		if b.cfg.Name == name {
			return b, nil
		}
	}
	if len(s.buckets) == 0 {
		return nil, fmt.Errorf("%w: %q (the stack has no buckets)", ErrNoBucket, name)
	}
	ids := make([]string, 0, len(s.buckets))
	for id := range s.buckets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return nil, fmt.Errorf("%w: %q (the stack's buckets: %s)", ErrNoBucket, name, strings.Join(ids, ", "))
}

func checkKey(key string) error {
	if key == "" || len(key) > MaxKeyLength {
		return fmt.Errorf("%w: an object key is 1 to %d bytes", ErrInvalid, MaxKeyLength)
	}
	return nil
}

// md5Reader hashes what is read and, at EOF, records the hex digest as the
// ETag in the metadata map the object store is about to write.
type md5Reader struct {
	r    io.Reader
	h    hash.Hash
	meta map[string]string
}

// limitReader reads at most left bytes of r, and fails with err when r
// has more.
type limitReader struct {
	r    io.Reader
	left int64
	err  error
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, l.err
	}
	// One byte more than allowed tells a content at the limit from one
	// over it.
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, l.err
	}
	return n, err
}

func (m *md5Reader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.h.Write(p[:n])
	if err == io.EOF {
		m.meta[metaETag] = hex.EncodeToString(m.h.Sum(nil))
	}
	return n, err
}

// Put stores an object, streaming r, and delivers the bucket's
// ObjectCreated:Put notifications; when one cannot be queued, the object
// is stored and the error is ErrNotNotified. Content over the service's
// MaxObjectSize fails with ErrTooLarge; what was read of it is removed and
// an object stored before under the key is kept.
func (s *Service) Put(ctx context.Context, name, key string, r io.Reader, in PutInput) (obj Object, err error) {
	b, err := s.bucket(name)
	if err != nil {
		return Object{}, err
	}
	if err := checkKey(key); err != nil {
		return Object{}, err
	}
	ctx, span := s.objectSpan(ctx, "PutObject", b, key, telemetry.FaaSDocument(b.cfg.Name, telemetry.DocInsert, key)...)
	defer func() {
		span.RecordError(err)
		span.End()
	}()
	tooLarge := fmt.Errorf("%w: %s in bucket %s is over the %d bytes this platform stores in one object (stacklab up --max-object-size)",
		ErrTooLarge, key, b.cfg.ID, s.opts.MaxObjectSize)
	if in.Size > s.opts.MaxObjectSize {
		return Object{}, tooLarge
	}
	r = &limitReader{r: r, left: s.opts.MaxObjectSize, err: tooLarge}
	meta := map[string]string{metaContentType: in.ContentType}
	if in.ContentType == "" {
		meta[metaContentType] = defaultContentType
	}
	for k, v := range in.Metadata {
		meta[metaUser+strings.ToLower(k)] = v
	}
	tracectx.Inject(ctx, tracectx.Map(meta))
	mr := &md5Reader{r: r, h: md5.New(), meta: meta}
	info, err := b.store.Put(ctx, jetstream.ObjectMeta{Name: key, Metadata: meta}, mr)
	if errors.Is(err, ErrTooLarge) {
		return Object{}, err
	}
	if err != nil {
		return Object{}, fmt.Errorf("storing %s in bucket %s: %w", key, b.cfg.ID, err)
	}
	etag := mr.meta[metaETag]
	if info.Metadata[metaETag] != etag {
		// The store wrote its metadata before the reader's EOF: add it.
		info.Metadata = meta
		if err := b.store.UpdateMeta(ctx, key, info.ObjectMeta); err != nil {
			return Object{}, fmt.Errorf("storing the ETag of %s: %w", key, err)
		}
	}
	obj = object(info)
	obj.Trace = span.SpanContext()
	return obj, s.notify(ctx, b, "ObjectCreated:Put", obj)
}

func object(info *jetstream.ObjectInfo) Object {
	o := Object{Key: info.Name, Size: int64(info.Size), LastModified: info.ModTime.UTC(),
		ETag: info.Metadata[metaETag], ContentType: info.Metadata[metaContentType]}
	for k, v := range info.Metadata {
		if u, ok := strings.CutPrefix(k, metaUser); ok {
			if o.Metadata == nil {
				o.Metadata = map[string]string{}
			}
			o.Metadata[u] = v
		}
	}
	if o.ContentType == "" {
		o.ContentType = defaultContentType
	}
	return o
}

// Head returns an object's metadata.
func (s *Service) Head(ctx context.Context, name, key string) (Object, error) {
	b, err := s.bucket(name)
	if err != nil {
		return Object{}, err
	}
	if err := checkKey(key); err != nil {
		return Object{}, err
	}
	info, err := b.store.GetInfo(ctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return Object{}, fmt.Errorf("%w: %q in bucket %s", ErrNoObject, key, b.cfg.ID)
	}
	if err != nil {
		return Object{}, err
	}
	return object(info), nil
}

// Get streams an object's content; the caller closes it.
func (s *Service) Get(ctx context.Context, name, key string) (io.ReadCloser, Object, error) {
	b, err := s.bucket(name)
	if err != nil {
		return nil, Object{}, err
	}
	if err := checkKey(key); err != nil {
		return nil, Object{}, err
	}
	info, err := b.store.GetInfo(ctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, Object{}, fmt.Errorf("%w: %q in bucket %s", ErrNoObject, key, b.cfg.ID)
	}
	if err != nil {
		return nil, Object{}, err
	}
	ctx, span := s.objectSpan(ctx, "GetObject", b, key)
	r, err := s.open(ctx, b, info)
	if err != nil {
		span.RecordError(err)
		span.End()
		return nil, Object{}, err
	}
	if s.tel != nil {
		r = &spanReader{ReadCloser: r, span: span}
	}
	return r, object(info), nil
}

// List returns the objects whose keys start with prefix, sorted by key.
func (s *Service) List(ctx context.Context, name, prefix string) ([]Object, error) {
	b, err := s.bucket(name)
	if err != nil {
		return nil, err
	}
	infos, err := b.store.List(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, err
	}
	out := []Object{}
	for _, info := range infos {
		if !info.Deleted && strings.HasPrefix(info.Name, prefix) {
			out = append(out, object(info))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes an object and delivers the bucket's
// ObjectRemoved:Delete notifications (ErrNotNotified when one cannot be
// queued). Deleting a key that is not there is ErrNoObject. It returns the
// object as it was, with Trace the context of the DeleteObject span, whose
// trace holds what the notifications cause (also with ErrNotNotified: the
// object is gone then).
func (s *Service) Delete(ctx context.Context, name, key string) (obj Object, err error) {
	b, err := s.bucket(name)
	if err != nil {
		return Object{}, err
	}
	if err := checkKey(key); err != nil {
		return Object{}, err
	}
	ctx, span := s.objectSpan(ctx, "DeleteObject", b, key, telemetry.FaaSDocument(b.cfg.Name, telemetry.DocDelete, key)...)
	defer func() {
		span.RecordError(err)
		span.End()
	}()
	info, err := b.store.GetInfo(ctx, key)
	if err == nil {
		err = b.store.Delete(ctx, key)
	}
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return Object{}, fmt.Errorf("%w: %q in bucket %s", ErrNoObject, key, b.cfg.ID)
	}
	if err != nil {
		return Object{}, err
	}
	obj = object(info)
	obj.Trace = span.SpanContext()
	return obj, s.notify(ctx, b, "ObjectRemoved:Delete", Object{Key: key})
}

// Close stops serving the buckets. Objects stay in their stores.
func (s *Service) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.buckets = map[string]*bucket{}
}
