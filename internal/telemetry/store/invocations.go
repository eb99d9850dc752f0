package store

import (
	"context"
	"fmt"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// InvocationFilter selects invocation records. Zero fields do not filter.
type InvocationFilter struct {
	Function  string
	Version   string
	RequestID string
	// TraceID may be 32 hex digits or an X-Ray root.
	TraceID      string
	Since, Until time.Time
	// Limit is the most records returned. Default 100.
	Limit int
}

// Invocations returns invocation records matching f, newest first.
func (s *Store) Invocations(ctx context.Context, f InvocationFilter) ([]model.Invocation, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	lo, hi := window(f.Since, f.Until)
	q := `SELECT function, version, deployment, request_id, trace_id, trigger, start_ns, queue_wait_ns, init_ns,
		duration_ns, billed_ns, memory_mb, max_memory_mb, cold, outcome, retries, gb_seconds, cost
		FROM invocations WHERE start_ns >= ? AND start_ns < ?`
	args := []any{lo, hi}
	for _, c := range []struct{ col, v string }{{"function", f.Function}, {"version", f.Version}, {"request_id", f.RequestID}} {
		if c.v != "" {
			q += " AND " + c.col + " = ?"
			args = append(args, c.v)
		}
	}
	if f.TraceID != "" {
		id, err := NormalizeTraceID(f.TraceID)
		if err != nil {
			return nil, err
		}
		q += " AND trace_id = ?"
		args = append(args, id)
	}
	q += " ORDER BY start_ns DESC, retries DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read invocation records: %w", err)
	}
	defer rows.Close()
	var out []model.Invocation
	for rows.Next() {
		var (
			v                                  model.Invocation
			start, wait, initNs, durNs, billed int64
			outcome                            string
		)
		if err := rows.Scan(&v.Function, &v.Version, &v.Deployment, &v.RequestID, &v.TraceID, &v.Trigger, &start, &wait, &initNs,
			&durNs, &billed, &v.MemorySizeMB, &v.MaxMemoryMB, &v.Cold, &outcome, &v.Retries, &v.GBSeconds, &v.Cost); err != nil {
			return nil, fmt.Errorf("read invocation records: %w", err)
		}
		v.Start = time.Unix(0, start)
		v.QueueWait, v.InitDuration = time.Duration(wait), time.Duration(initNs)
		v.Duration, v.BilledDuration = time.Duration(durNs), time.Duration(billed)
		v.Outcome = model.Outcome(outcome)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read invocation records: %w", err)
	}
	return out, nil
}
