package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// TraceFilter selects traces for ListTraces. Zero fields do not filter.
type TraceFilter struct {
	// Function keeps traces in which the function was invoked.
	Function string
	// Since and Until bound the trace's start (its earliest span); Until
	// zero means now.
	Since, Until time.Time
	// MinDuration keeps traces at least this long (--slow).
	MinDuration time.Duration
	// ErrorsOnly keeps traces with a span whose status is error.
	ErrorsOnly bool
	// Limit is the most traces returned. Default 100.
	Limit int
}

// TraceSummary is one line of a trace list.
type TraceSummary struct {
	TraceID      string
	RootName     string
	RootResource string
	Start        time.Time
	Duration     time.Duration
	Spans        int
	Error        bool
}

// ListTraces returns traces matching f, newest first.
func (s *Store) ListTraces(ctx context.Context, f TraceFilter) ([]TraceSummary, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	since, until := window(f.Since, f.Until)
	q := `SELECT trace_id, start_ns, end_ns, spans, error, root_name, root_resource FROM traces t
		WHERE start_ns >= ? AND start_ns < ? AND end_ns - start_ns >= ?`
	args := []any{since, until, int64(f.MinDuration)}
	if f.ErrorsOnly {
		q += ` AND error = 1`
	}
	if f.Function != "" {
		// Not through all_spans, which SQLite would scan for each trace.
		q += ` AND (EXISTS (SELECT 1 FROM spans x WHERE x.trace_id = t.trace_id AND x.function = ?)
			OR EXISTS (SELECT 1 FROM invocations x WHERE x.trace_id = t.trace_id AND x.trace_id <> '' AND x.span_id <> ''
				AND (x.function = ? OR x.entry_function = ?)))`
		args = append(args, f.Function, f.Function, f.Function)
	}
	q += ` ORDER BY start_ns DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list traces: %w", err)
	}
	defer rows.Close()
	var out []TraceSummary
	for rows.Next() {
		var (
			ts         TraceSummary
			start, end int64
			isErr      bool
		)
		if err := rows.Scan(&ts.TraceID, &start, &end, &ts.Spans, &isErr, &ts.RootName, &ts.RootResource); err != nil {
			return nil, fmt.Errorf("list traces: %w", err)
		}
		ts.Start = time.Unix(0, start)
		ts.Duration = time.Duration(end - start)
		ts.Error = isErr
		out = append(out, ts)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list traces: %w", err)
	}
	return out, nil
}

// NormalizeTraceID accepts a trace id as 32 hex digits (any case) or as an
// X-Ray root (1-<8 hex>-<24 hex>) and returns the 32 lower-case hex digits.
func NormalizeTraceID(id string) (string, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) == 35 && strings.HasPrefix(id, "1-") && id[10] == '-' {
		id = id[2:10] + id[11:]
	}
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" || strings.Trim(id, "0") == "" {
		return "", fmt.Errorf("trace id %q: %w", clip(id), ErrBadTraceID)
	}
	return id, nil
}

// Trace returns the spans of one trace ordered by start. The id may be 32 hex
// digits or an X-Ray root.
func (s *Store) Trace(ctx context.Context, traceID string) ([]model.Span, error) {
	id, err := NormalizeTraceID(traceID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT trace_id, span_id, parent_id, name, kind, resource, function,
		start_ns, end_ns, status, status_message, attributes, links, events
		FROM all_spans WHERE trace_id = ? ORDER BY start_ns, span_id`, id)
	if err != nil {
		return nil, fmt.Errorf("read trace %s: %w", id, err)
	}
	defer rows.Close()
	spans, err := scanSpans(rows)
	if err != nil {
		return nil, fmt.Errorf("read trace %s: %w", id, err)
	}
	if len(spans) == 0 {
		return nil, fmt.Errorf("trace %s: %w", id, ErrTraceNotFound)
	}
	return spans, nil
}

// Spans returns the spans of the traces that match f (their full traces),
// grouped by trace. It serves analyses over many traces, such as the
// bottleneck.
func (s *Store) Spans(ctx context.Context, f TraceFilter) ([][]model.Span, error) {
	list, err := s.ListTraces(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([][]model.Span, 0, len(list))
	for _, t := range list {
		spans, err := s.Trace(ctx, t.TraceID)
		if errors.Is(err, ErrTraceNotFound) {
			continue // removed by retention since the list was read
		}
		if err != nil {
			return nil, err
		}
		out = append(out, spans)
	}
	return out, nil
}

func scanSpans(rows *sql.Rows) ([]model.Span, error) {
	var out []model.Span
	for rows.Next() {
		var (
			sp                   model.Span
			kind, status         string
			start, end           int64
			attrs, links, events string
		)
		if err := rows.Scan(&sp.TraceID, &sp.SpanID, &sp.ParentID, &sp.Name, &kind, &sp.Resource, &sp.Function,
			&start, &end, &status, &sp.StatusMessage, &attrs, &links, &events); err != nil {
			return nil, err
		}
		sp.Kind, sp.Status = model.Kind(kind), model.StatusCode(status)
		sp.Start, sp.End = time.Unix(0, start), time.Unix(0, end)
		// Columns are written by this package; a value that does not decode
		// leaves the field empty rather than hiding the span.
		_ = json.Unmarshal([]byte(attrs), &sp.Attributes)
		_ = json.Unmarshal([]byte(links), &sp.Links)
		_ = json.Unmarshal([]byte(events), &sp.Events)
		out = append(out, sp)
	}
	return out, rows.Err()
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
