package telemetry

import (
	"cmp"
	"context"
	"encoding/json"
	"github.com/stacklab/stacklab/internal/jsonw"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// storeProcessor hands every ended span to the span store without waiting.
type storeProcessor struct {
	st *store.Store
}

var _ sdktrace.SpanProcessor = storeProcessor{}

// OnStart does nothing; spans are stored when they end.
func (p storeProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd hands the span to the store without waiting; the store's writer
// converts it, so the hop that ends the span does not pay for that.
func (p storeProcessor) OnEnd(s sdktrace.ReadOnlySpan) { p.st.AddSpanFrom(endedSpan{s}) }

// endedSpan is an ended span for the store to convert. The SDK hands span
// processors an immutable snapshot, safe to read on the writer's goroutine.
type endedSpan struct{ sdktrace.ReadOnlySpan }

// Span converts the span to the store's record.
func (e endedSpan) Span() model.Span { return toModel(e.ReadOnlySpan) }

// EncodedSpan converts the span to the store's record with its attributes
// encoded straight from the span's, without the map Span builds.
func (e endedSpan) EncodedSpan() (model.Span, string) {
	out := convert(e.ReadOnlySpan)
	attrs := e.Attributes()
	if len(attrs) == 0 {
		return out, ""
	}
	b, ok := appendAttrs(make([]byte, 0, 256), attrs)
	if !ok {
		return out, "{}" // as the store encodes a map it cannot encode
	}
	return out, string(b)
}

var _ store.EncodedSpanSource = endedSpan{}

// Shutdown does nothing: Telemetry.Close closes the store after the tracer
// provider has shut down.
func (p storeProcessor) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing: Telemetry.Flush flushes the store.
func (p storeProcessor) ForceFlush(context.Context) error { return nil }

// toModel converts an ended OpenTelemetry span to the store's record. The
// resource is the stacklab.resource attribute, else faas.name, else
// messaging.destination.name.
func toModel(s sdktrace.ReadOnlySpan) model.Span {
	out := convert(s)
	out.Attributes = attrMap(s.Attributes())
	return out
}

// convert is toModel without the attributes' map.
func convert(s sdktrace.ReadOnlySpan) model.Span {
	sc := s.SpanContext()
	out := model.Span{
		TraceID: sc.TraceID().String(),
		SpanID:  sc.SpanID().String(),
		Name:    s.Name(),
		Kind:    modelKind(s.SpanKind()),
		Start:   s.StartTime(),
		End:     s.EndTime(),
	}
	if p := s.Parent(); p.IsValid() {
		out.ParentID = p.SpanID().String()
	}
	switch st := s.Status(); st.Code {
	case codes.Error:
		out.Status, out.StatusMessage = model.StatusError, st.Description
	case codes.Ok:
		out.Status = model.StatusOK
	default:
		out.Status = model.StatusUnset
	}
	out.Resource, out.Function = resourceOf(s.Attributes())
	for _, l := range s.Links() {
		out.Links = append(out.Links, model.Link{
			TraceID:    l.SpanContext.TraceID().String(),
			SpanID:     l.SpanContext.SpanID().String(),
			Attributes: attrMap(l.Attributes),
		})
	}
	for _, e := range s.Events() {
		out.Events = append(out.Events, model.Event{Name: e.Name, Time: e.Time, Attributes: attrMap(e.Attributes)})
	}
	return out
}

// resourceOf finds a span's resource and function in its attributes: the
// resource is stacklab.resource, else faas.name, else
// messaging.destination.name; the function is faas.name.
func resourceOf(attrs []attribute.KeyValue) (resource, function string) {
	var fallback string
	for _, kv := range attrs {
		switch kv.Key {
		case ResourceKey:
			resource = kv.Value.AsString()
		case semconv.FaaSNameKey:
			function = kv.Value.AsString()
		case semconv.MessagingDestinationNameKey:
			fallback = kv.Value.AsString()
		}
	}
	return cmp.Or(resource, function, fallback), function
}

func attrMap(attrs []attribute.KeyValue) map[string]any {
	if len(attrs) == 0 {
		return nil
	}
	m := make(map[string]any, len(attrs))
	for _, kv := range attrs {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

// appendAttrs appends attrs as the JSON object json.Marshal makes of
// attrMap(attrs), byte for byte: keys sorted, the last value of a key
// repeated, strings, integers and booleans encoded here and other values by
// json.Marshal. It reports false when a value cannot be encoded.
func appendAttrs(b []byte, attrs []attribute.KeyValue) ([]byte, bool) {
	var buf [16]attribute.KeyValue
	kvs := append(buf[:0], attrs...)
	slices.SortStableFunc(kvs, func(x, y attribute.KeyValue) int { return strings.Compare(string(x.Key), string(y.Key)) })
	b = append(b, '{')
	first := true
	for i, kv := range kvs {
		if i+1 < len(kvs) && kvs[i+1].Key == kv.Key {
			continue // a later value of the key replaces this one, as in the map
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = jsonw.AppendMarshalString(b, string(kv.Key))
		b = append(b, ':')
		switch kv.Value.Type() {
		case attribute.STRING:
			b = jsonw.AppendMarshalString(b, kv.Value.AsString())
		case attribute.INT64:
			b = strconv.AppendInt(b, kv.Value.AsInt64(), 10)
		case attribute.BOOL:
			b = strconv.AppendBool(b, kv.Value.AsBool())
		default:
			v, err := json.Marshal(kv.Value.AsInterface())
			if err != nil {
				return b, false
			}
			b = append(b, v...)
		}
	}
	return append(b, '}'), true
}

func modelKind(k trace.SpanKind) model.Kind {
	switch k {
	case trace.SpanKindServer:
		return model.KindServer
	case trace.SpanKindClient:
		return model.KindClient
	case trace.SpanKindProducer:
		return model.KindProducer
	case trace.SpanKindConsumer:
		return model.KindConsumer
	}
	return model.KindInternal
}
