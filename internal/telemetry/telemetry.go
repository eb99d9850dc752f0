package telemetry

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/stacklab/stacklab/internal/ids"
	"github.com/stacklab/stacklab/internal/telemetry/export"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// Config says where telemetry goes. Zero fields take the defaults named on
// them.
type Config struct {
	// Dir is the span store's directory (the platform passes
	// .stacklab/telemetry). "" keeps no store.
	Dir string
	// Store tunes the span store: buffer, batching, retention.
	Store store.Options
	// Export, when set, also sends spans to an OTLP collector.
	Export *export.Config
	// Prices bill invocation records. Default model.DefaultPrices.
	Prices *model.Prices
	// ServiceName is OpenTelemetry's service.name. Default "stacklab".
	ServiceName string
	// Region is cloud.region on every span; "" leaves it out.
	Region string
	// Logger receives telemetry's own warnings (dropping, export failing).
	Logger *slog.Logger
}

// Telemetry records spans and invocation records. Create it with New; a nil
// *Telemetry records nothing and every method is safe on it.
type Telemetry struct {
	tp       *sdktrace.TracerProvider
	tracer   trace.Tracer
	store    *store.Store
	exporter *export.Processor
	prices   model.Prices
	res      *resource.Resource // service.name and cloud.region, for export
}

// tracerName is the instrumentation scope of stacklab's spans.
const tracerName = "github.com/stacklab/stacklab/internal/telemetry"

// New opens the store (when cfg.Dir is set), starts the exporter (when
// cfg.Export is set) and builds the tracer. Close releases them.
func New(ctx context.Context, cfg Config) (*Telemetry, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	prices := model.DefaultPrices
	if cfg.Prices != nil {
		prices = *cfg.Prices
	}
	if err := prices.Validate(); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if cfg.ServiceName == "" {
		cfg.ServiceName = "stacklab"
	}
	t := &Telemetry{prices: prices}
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithSampler(sdktrace.AlwaysSample()), // every invocation is traced
		sdktrace.WithIDGenerator(xrayIDs{}),
	}
	if cfg.Export != nil {
		exp, err := export.New(ctx, *cfg.Export, log)
		if err != nil {
			return nil, fmt.Errorf("telemetry: %w", err)
		}
		t.exporter = exp
	}
	if cfg.Dir != "" {
		if cfg.Store.Logger == nil {
			cfg.Store.Logger = log
		}
		st, err := store.Open(ctx, cfg.Dir, cfg.Store)
		if err != nil {
			if t.exporter != nil {
				_ = t.exporter.Shutdown(ctx)
			}
			return nil, fmt.Errorf("telemetry: %w", err)
		}
		t.store = st
		opts = append(opts, sdktrace.WithSpanProcessor(storeProcessor{st: st}))
	}
	if t.exporter != nil {
		opts = append(opts, sdktrace.WithSpanProcessor(t.exporter))
	}
	attrs := []attribute.KeyValue{semconv.ServiceNameKey.String(cfg.ServiceName)}
	if cfg.Region != "" {
		attrs = append(attrs, CloudRegion(cfg.Region))
	}
	t.res = resource.NewSchemaless(attrs...)
	opts = append(opts, sdktrace.WithResource(t.res))
	t.tp = sdktrace.NewTracerProvider(opts...)
	t.tracer = t.tp.Tracer(tracerName)
	return t, nil
}

// StartSpan starts a span as a child of the span (local or remote) in ctx,
// or as a new root when ctx holds none. The returned context carries the new
// span, for children and for injecting into outgoing messages. Give it a
// Resource attribute so the span lands on the service map.
func (t *Telemetry) StartSpan(ctx context.Context, name string, kind Kind, attrs ...attribute.KeyValue) (context.Context, Span) {
	if t == nil {
		return ctx, Span{}
	}
	ctx, s := t.tracer.Start(ctx, name, trace.WithSpanKind(otelKind(kind)), trace.WithAttributes(attrs...))
	return ctx, Span{s: s}
}

// StartSpanAt is StartSpan with an explicit start time, for a hop measured
// after the fact (the time an event waited in a queue, an instance's init).
func (t *Telemetry) StartSpanAt(ctx context.Context, name string, kind Kind, start time.Time, attrs ...attribute.KeyValue) (context.Context, Span) {
	if t == nil {
		return ctx, Span{}
	}
	ctx, s := t.tracer.Start(ctx, name, trace.WithSpanKind(otelKind(kind)), trace.WithAttributes(attrs...), trace.WithTimestamp(start))
	return ctx, Span{s: s}
}

// Record bills an invocation record at the configured prices and hands it to
// the store, and exports the spans it stands for (model.Invocation.Spans)
// when export is on. It never blocks; it returns false when the record was
// dropped (buffer full, store closed or no store).
func (t *Telemetry) Record(inv model.Invocation) bool {
	if t == nil {
		return false
	}
	t.prices.Bill(&inv)
	t.exportRecord(&inv)
	if t.store == nil {
		return false
	}
	return t.store.AddInvocation(inv)
}

// Prices are the prices Record bills with.
func (t *Telemetry) Prices() model.Prices {
	if t == nil {
		return model.DefaultPrices
	}
	return t.prices
}

// Store is the span store for queries, nil when there is none.
func (t *Telemetry) Store() *store.Store {
	if t == nil {
		return nil
	}
	return t.store
}

// Status tells whether telemetry is keeping up.
type Status struct {
	// Dropping is true when the store or the exporter is losing records.
	Dropping bool
	// Store is nil without a store; Export is nil without export.
	Store  *store.Status
	Export *export.Status
}

// Status reports the store's and the exporter's state.
func (t *Telemetry) Status() Status {
	var st Status
	if t == nil {
		return st
	}
	if t.store != nil {
		s := t.store.Status()
		st.Store = &s
		st.Dropping = st.Dropping || s.Dropping
	}
	if t.exporter != nil {
		e := t.exporter.Status()
		st.Export = &e
		st.Dropping = st.Dropping || e.Dropping
	}
	return st
}

// Flush waits until the spans ended and records handed over before the call
// are in the store and sent to the collector.
func (t *Telemetry) Flush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	var errs []error
	if err := t.tp.ForceFlush(ctx); err != nil {
		errs = append(errs, err)
	}
	if t.store != nil {
		if err := t.store.Flush(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close ends export (sending what is queued, as far as ctx allows) and
// closes the store after writing what is buffered. Spans ended afterwards are
// dropped.
func (t *Telemetry) Close(ctx context.Context) error {
	if t == nil {
		return nil
	}
	var errs []error
	if err := t.tp.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("telemetry: %w", err))
	}
	if t.store != nil {
		if err := t.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("telemetry: close store: %w", err))
		}
	}
	return errors.Join(errs...)
}

// xrayIDs makes trace ids whose first 4 bytes are the Unix time in seconds,
// so that every trace id is also a well-formed X-Ray root
// (1-<epoch hex>-<random>) that AWS tooling accepts, and which sort by
// the time they were made (ids.Trace). It notes each new
// trace id with the span store (store.NoteNewTrace).
type xrayIDs struct{}

var _ sdktrace.IDGenerator = xrayIDs{}

func (xrayIDs) NewIDs(context.Context) (trace.TraceID, trace.SpanID) {
	tid := trace.TraceID(ids.Trace(time.Now()))
	// Nothing of this trace is stored yet; the span store's writer needs
	// not look it up (store/fresh.go).
	store.NoteNewTrace(tid)
	return tid, newSpanID()
}

func (xrayIDs) NewSpanID(context.Context, trace.TraceID) trace.SpanID { return newSpanID() }

func newSpanID() trace.SpanID {
	var sid trace.SpanID
	for !sid.IsValid() {
		binary.BigEndian.PutUint64(sid[:], rand.Uint64())
	}
	return sid
}
