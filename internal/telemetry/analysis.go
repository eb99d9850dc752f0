package telemetry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/critpath"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// ErrNoStore is returned by queries on a Telemetry without a span store.
var ErrNoStore = errors.New("telemetry has no span store (start the platform with a state directory)")

// TraceView is one trace with its critical path, for a waterfall.
type TraceView struct {
	Spans []model.Span
	Path  critpath.Path
}

// Trace reads one trace (32 hex digits or an X-Ray root) and computes its
// critical path.
func (t *Telemetry) Trace(ctx context.Context, traceID string) (TraceView, error) {
	if t == nil || t.store == nil {
		return TraceView{}, ErrNoStore
	}
	spans, err := t.store.Trace(ctx, traceID)
	if err != nil {
		return TraceView{}, err
	}
	path, err := critpath.Compute(spans)
	if err != nil {
		return TraceView{}, fmt.Errorf("trace %s: %w", traceID, err)
	}
	return TraceView{Spans: spans, Path: path}, nil
}

// MapReport is the service map over a window with its bottleneck.
type MapReport struct {
	store.Map
	// Bottleneck ranks resources by share of critical-path time over the
	// window's traces (at most maxTraces, newest first); the first is the
	// bottleneck. Empty when there were no traces.
	Bottleneck []critpath.Share
	// Traces is how many traces the bottleneck was computed over.
	Traces int
}

// ServiceMap returns nodes and edges for spans in [since, until) and the
// bottleneck over up to maxTraces of the window's newest traces
// (default 1000).
func (t *Telemetry) ServiceMap(ctx context.Context, since, until time.Time, maxTraces int) (MapReport, error) {
	if t == nil || t.store == nil {
		return MapReport{}, ErrNoStore
	}
	if maxTraces <= 0 {
		maxTraces = 1000
	}
	m, err := t.store.ServiceMap(ctx, since, until)
	if err != nil {
		return MapReport{}, err
	}
	traces, err := t.store.Spans(ctx, store.TraceFilter{Since: since, Until: until, Limit: maxTraces})
	if err != nil {
		return MapReport{}, fmt.Errorf("service map bottleneck: %w", err)
	}
	paths := make([]critpath.Path, 0, len(traces))
	for _, spans := range traces {
		if p, err := critpath.Compute(spans); err == nil {
			paths = append(paths, p)
		}
	}
	return MapReport{Map: m, Bottleneck: critpath.Bottleneck(paths), Traces: len(paths)}, nil
}
