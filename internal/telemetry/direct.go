package telemetry

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// Spans made without the tracer. The runtime makes an invocation's spans
// itself, for every invocation: its ids, and their times from what it
// measures, go into the invocation record (model.Invocation.Spans), which
// the store keeps as one row instead of three; the rarer spans around it (a
// queue wait, an init, an attempt that failed) are model.Spans handed to
// AddSpan. Both are exported like the tracer's spans when export is on.

// NewTraceID makes the trace id of a new root: an X-Ray-compatible one, as
// the tracer makes.
func NewTraceID() trace.TraceID {
	tid, _ := xrayIDs{}.NewIDs(context.Background())
	return tid
}

// NewSpanID makes a span id.
func NewSpanID() trace.SpanID { return newSpanID() }

// AddSpan records a finished span made without the tracer. It never
// blocks; it returns false when the store dropped it (or there is none).
func (t *Telemetry) AddSpan(sp model.Span) bool {
	if t == nil {
		return false
	}
	if t.exporter != nil {
		t.exporter.OnEnd(t.snapshot(sp))
	}
	if t.store == nil {
		return false
	}
	return t.store.AddSpan(sp)
}

// exportRecord exports the spans an invocation record stands for.
func (t *Telemetry) exportRecord(inv *model.Invocation) {
	if t.exporter == nil || inv.SpanID == "" {
		return
	}
	for _, sp := range inv.Spans() {
		t.exporter.OnEnd(t.snapshot(sp))
	}
}

// snapshot makes sp the SDK's ended span, for the exporter.
func (t *Telemetry) snapshot(sp model.Span) sdktrace.ReadOnlySpan {
	tid, _ := trace.TraceIDFromHex(sp.TraceID)
	sid, _ := trace.SpanIDFromHex(sp.SpanID)
	stub := tracetest.SpanStub{
		Name: sp.Name,
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled,
		}),
		SpanKind:             otelKind(sp.Kind),
		StartTime:            sp.Start,
		EndTime:              sp.End,
		Attributes:           attrList(sp.Attributes),
		Resource:             t.res,
		InstrumentationScope: instrumentation.Scope{Name: tracerName},
	}
	if pid, err := trace.SpanIDFromHex(sp.ParentID); err == nil {
		stub.Parent = trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: pid, TraceFlags: trace.FlagsSampled})
	}
	switch sp.Status {
	case model.StatusError:
		stub.Status = sdktrace.Status{Code: codes.Error, Description: sp.StatusMessage}
	case model.StatusOK:
		stub.Status = sdktrace.Status{Code: codes.Ok}
	}
	for _, e := range sp.Events {
		stub.Events = append(stub.Events, sdktrace.Event{Name: e.Name, Time: e.Time, Attributes: attrList(e.Attributes)})
	}
	for _, l := range sp.Links {
		ltid, _ := trace.TraceIDFromHex(l.TraceID)
		lsid, _ := trace.SpanIDFromHex(l.SpanID)
		stub.Links = append(stub.Links, sdktrace.Link{
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: ltid, SpanID: lsid, TraceFlags: trace.FlagsSampled, Remote: true}),
			Attributes:  attrList(l.Attributes),
		})
	}
	return stub.Snapshot()
}

// attrList turns span attributes as the store keeps them into the SDK's,
// sorted by key. A value of another type is left out.
func attrList(m map[string]any) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(m))
	for k, v := range m {
		key := attribute.Key(k)
		switch x := v.(type) {
		case string:
			out = append(out, key.String(x))
		case bool:
			out = append(out, key.Bool(x))
		case int:
			out = append(out, key.Int(x))
		case int64:
			out = append(out, key.Int64(x))
		case float64:
			out = append(out, key.Float64(x))
		case []string:
			out = append(out, key.StringSlice(x))
		}
	}
	slices.SortFunc(out, func(a, b attribute.KeyValue) int { return cmp.Compare(a.Key, b.Key) })
	return out
}

// LocalSpan is a span of a hop made without the tracer, for a hop on the
// path of every request (the gateway's): its ids are made here, its
// attributes are kept as the hop gives them and encoded by the store's
// writer, off the hop's path. Begin one with (*Telemetry).Begin; End it
// once, and do not touch it afterwards.
type LocalSpan struct {
	tel   *Telemetry
	sc    trace.SpanContext
	span  model.Span // without Attributes until Span is called
	attrs []attribute.KeyValue
	buf   [6]attribute.KeyValue

	mu    sync.Mutex
	ended bool
	rec   *model.Invocation // the record of the invocation the span called, see RecordUnder
}

// localSpanKey is the context key of the LocalSpan Begin began.
type localSpanKey struct{}

// LocalSpanFrom is the span Begin began in ctx, nil if none.
func LocalSpanFrom(ctx context.Context) *LocalSpan {
	s, _ := ctx.Value(localSpanKey{}).(*LocalSpan)
	return s
}

// RecordUnder is Record for an invocation made by the call host is the
// span of (the gateway's request, from LocalSpanFrom; the record's
// ParentID must be host's id): while host has not ended, the record is kept
// with it and stored with it as it ends, in one row of the store instead
// of two. Otherwise, or with a nil host, it is Record.
func (t *Telemetry) RecordUnder(host *LocalSpan, inv model.Invocation) bool {
	if t == nil {
		return false
	}
	if host == nil || host.tel != t || inv.SpanID == "" {
		return t.Record(inv)
	}
	t.prices.Bill(&inv)
	host.mu.Lock()
	kept := !host.ended && host.rec == nil
	if kept {
		host.rec = &inv
	}
	host.mu.Unlock()
	if kept {
		return true
	}
	t.exportRecord(&inv)
	if t.store == nil {
		return false
	}
	return t.store.AddInvocation(inv)
}

// Begin begins a span named name as the child of the span context in ctx
// (a remote parent extracted from a request, or a local span), or as a new
// root. The returned context carries the span's context, for the calls it
// makes and for injecting into the answer. A nil *Telemetry returns ctx and
// a nil *LocalSpan, whose methods do nothing.
func (t *Telemetry) Begin(ctx context.Context, name string, kind Kind, attrs ...attribute.KeyValue) (context.Context, *LocalSpan) {
	if t == nil {
		return ctx, nil
	}
	s := &LocalSpan{tel: t}
	cfg := trace.SpanContextConfig{SpanID: newSpanID(), TraceFlags: trace.FlagsSampled}
	if parent := trace.SpanContextFromContext(ctx); parent.IsValid() {
		cfg.TraceID, cfg.TraceState = parent.TraceID(), parent.TraceState()
		s.span.ParentID = parent.SpanID().String()
	} else {
		cfg.TraceID = NewTraceID()
	}
	s.sc = trace.NewSpanContext(cfg)
	s.span.Name, s.span.Kind, s.span.Start = name, kind, time.Now()
	s.attrs = append(s.buf[:0], attrs...)
	return context.WithValue(trace.ContextWithSpanContext(ctx, s.sc), localSpanKey{}, s), s
}

// SetAttributes adds attributes (a later value of a key replaces an
// earlier one).
func (s *LocalSpan) SetAttributes(attrs ...attribute.KeyValue) {
	if s != nil {
		s.attrs = append(s.attrs, attrs...)
	}
}

// Fail marks the span as failed with a message, and sets error.type to kind
// when given.
func (s *LocalSpan) Fail(kind, msg string) {
	if s == nil {
		return
	}
	if kind != "" {
		s.attrs = append(s.attrs, ErrorType(kind))
	}
	s.span.Status, s.span.StatusMessage = model.StatusError, msg
}

// End ends the span now and records it.
func (s *LocalSpan) End() {
	if s == nil {
		return
	}
	s.span.End = time.Now()
	if s.span.Status == "" {
		s.span.Status = model.StatusUnset
	}
	s.mu.Lock()
	s.ended = true
	rec := s.rec
	s.mu.Unlock()
	t := s.tel
	if t.exporter != nil {
		t.exporter.OnEnd(t.snapshot(s.Span()))
		if rec != nil {
			t.exportRecord(rec)
		}
	}
	switch {
	case t.store == nil:
	case rec != nil:
		t.store.AddInvocationWithEntry(rec, s)
	default:
		t.store.AddSpanFrom(s)
	}
}

// SpanContext is the span's identity.
func (s *LocalSpan) SpanContext() trace.SpanContext {
	if s == nil {
		return trace.SpanContext{}
	}
	return s.sc
}

// Span is the span as the store keeps it (store.SpanSource).
func (s *LocalSpan) Span() model.Span {
	sp := s.base()
	sp.Attributes = attrMap(s.attrs)
	return sp
}

// EncodedSpan is Span with the attributes encoded (store.EncodedSpanSource).
func (s *LocalSpan) EncodedSpan() (model.Span, string) {
	sp := s.base()
	if len(s.attrs) == 0 {
		return sp, ""
	}
	b, ok := appendAttrs(make([]byte, 0, 256), s.attrs)
	if !ok {
		return sp, "{}"
	}
	return sp, string(b)
}

// base is the span without its attributes, with the ids in hex and the
// resource found as the tracer's spans find it.
func (s *LocalSpan) base() model.Span {
	sp := s.span
	sp.TraceID, sp.SpanID = s.sc.TraceID().String(), s.sc.SpanID().String()
	sp.Resource, sp.Function = resourceOf(s.attrs)
	return sp
}

var _ store.EncodedSpanSource = (*LocalSpan)(nil)
