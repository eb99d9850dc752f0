package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
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

// ListTraces returns traces matching f, newest first: those with a row in
// traces, and those whole in one invocation record (solo.go).
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
	out, err := s.listTraces(ctx, q, args)
	if err != nil {
		return nil, err
	}
	solo, err := s.soloTraces(ctx, f, since, until)
	if err != nil {
		return nil, err
	}
	if len(solo) > 0 {
		out = append(out, solo...)
		slices.SortStableFunc(out, func(a, b TraceSummary) int { return b.Start.Compare(a.Start) })
		out = out[:min(len(out), f.Limit)]
	}
	return out, nil
}

// soloTraces lists the traces whole in one invocation record, newest
// first, with their summary made from the row as the writer would have
// summed it. Newest is by the record's start (its index), which is the
// trace's start or just after it (the entry's).
func (s *Store) soloTraces(ctx context.Context, f TraceFilter, since, until int64) ([]TraceSummary, error) {
	q := `SELECT trace_id, ts, te, spans, error,
			CASE WHEN entry_root THEN entry_name ELSE function END,
			CASE WHEN entry_root THEN entry_resource ELSE resource END
		FROM (SELECT *,
			CASE WHEN entry_name <> '' THEN min(entry_start_ns, start_ns) ELSE start_ns END AS ts,
			max(end_ns, run_end_ns, entry_end_ns) AS te,
			1 + (run_id <> '') + (entry_name <> '') AS spans,
			outcome <> 'ok' OR entry_status = 'error' AS error,
			entry_name <> '' AND (entry_parent_id = '' OR entry_start_ns <= start_ns) AS entry_root
			FROM invocations i
			WHERE solo = 1 AND start_ns >= ? AND start_ns < ?
			AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.trace_id = i.trace_id))
		WHERE ts >= ? AND ts < ? AND te - ts >= ?`
	// An entry starts before its invocation: within the request's time
	// (the gateway's limit is 30 s) before.
	args := []any{since, addSat(until, int64(time.Minute)), since, until, int64(f.MinDuration)}
	if f.ErrorsOnly {
		q += ` AND error`
	}
	if f.Function != "" {
		q += ` AND (function = ? OR entry_function = ?)`
		args = append(args, f.Function, f.Function)
	}
	q += ` ORDER BY start_ns DESC LIMIT ?`
	args = append(args, f.Limit)
	return s.listTraces(ctx, q, args)
}

// addSat is a+b for b >= 0, at most the largest int64.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// listTraces runs a query of trace summaries.
func (s *Store) listTraces(ctx context.Context, q string, args []any) ([]TraceSummary, error) {
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
