package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// write stores a batch in one transaction. On failure the whole batch is
// dropped and counted: telemetry never holds up the hops.
func (s *Store) write(batch []item) {
	var spans, invs uint64
	for _, it := range batch {
		if it.span != nil {
			spans++
		} else if it.inv != nil {
			invs++
		}
	}
	if err := s.writeTx(batch); err != nil {
		s.droppedSpans.Add(spans)
		s.droppedInvocations.Add(invs)
		s.fail(fmt.Errorf("write %d spans and %d invocation records: %w", spans, invs, err))
		return
	}
	s.writtenSpans.Add(spans)
	s.writtenInvocations.Add(invs)
	if s.dropping.Swap(false) {
		s.log.Info("telemetry store writing again")
	}
}

const (
	// A span already stored (same trace and span id) is kept: the first
	// copy wins, so a span delivered twice is counted once in its trace.
	insertSpan = `INSERT INTO spans
		(trace_id, span_id, parent_id, name, kind, resource, function, start_ns, end_ns, status, status_message, attributes, links, events)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (trace_id, span_id) DO NOTHING`
	// upsertTrace folds one new span into its trace's summary. The root is
	// the earliest span without a parent (rank 0), else the earliest span.
	// SQLite evaluates every SET expression on the row as it was.
	upsertTrace = `INSERT INTO traces (trace_id, start_ns, end_ns, spans, error, root_rank, root_start_ns, root_name, root_resource)
		VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)
		ON CONFLICT (trace_id) DO UPDATE SET
			start_ns = min(start_ns, excluded.start_ns),
			end_ns = max(end_ns, excluded.end_ns),
			spans = spans + 1,
			error = max(error, excluded.error),
			root_rank = CASE WHEN (excluded.root_rank, excluded.root_start_ns) < (root_rank, root_start_ns) THEN excluded.root_rank ELSE root_rank END,
			root_start_ns = CASE WHEN (excluded.root_rank, excluded.root_start_ns) < (root_rank, root_start_ns) THEN excluded.root_start_ns ELSE root_start_ns END,
			root_name = CASE WHEN (excluded.root_rank, excluded.root_start_ns) < (root_rank, root_start_ns) THEN excluded.root_name ELSE root_name END,
			root_resource = CASE WHEN (excluded.root_rank, excluded.root_start_ns) < (root_rank, root_start_ns) THEN excluded.root_resource ELSE root_resource END`
	insertInvocation = `INSERT OR REPLACE INTO invocations
		(function, version, deployment, request_id, trace_id, trigger, start_ns, queue_wait_ns, init_ns, duration_ns,
		 billed_ns, memory_mb, max_memory_mb, cold, outcome, retries, gb_seconds, cost)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

func (s *Store) writeTx(batch []item) (err error) {
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	spanStmt, err := tx.PrepareContext(ctx, insertSpan)
	if err != nil {
		return err
	}
	defer spanStmt.Close()
	traceStmt, err := tx.PrepareContext(ctx, upsertTrace)
	if err != nil {
		return err
	}
	defer traceStmt.Close()
	invStmt, err := tx.PrepareContext(ctx, insertInvocation)
	if err != nil {
		return err
	}
	defer invStmt.Close()
	for _, it := range batch {
		switch {
		case it.span != nil:
			sp := it.span
			attrs, links, events := encodeJSON(sp.Attributes, "{}"), encodeJSON(sp.Links, "[]"), encodeJSON(sp.Events, "[]")
			status := sp.Status
			if status == "" {
				status = model.StatusUnset
			}
			res, err := spanStmt.ExecContext(ctx, sp.TraceID, sp.SpanID, sp.ParentID, sp.Name, string(sp.Kind), sp.Resource, sp.Function,
				sp.Start.UnixNano(), sp.End.UnixNano(), string(status), sp.StatusMessage, attrs, links, events)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				continue // a duplicate: its trace already counts it
			}
			rank := 1
			if sp.ParentID == "" {
				rank = 0
			}
			if _, err := traceStmt.ExecContext(ctx, sp.TraceID, sp.Start.UnixNano(), sp.End.UnixNano(), status == model.StatusError,
				rank, sp.Start.UnixNano(), sp.Name, sp.Resource); err != nil {
				return err
			}
		case it.inv != nil:
			v := it.inv
			if _, err = invStmt.ExecContext(ctx, v.Function, v.Version, v.Deployment, v.RequestID, v.TraceID, v.Trigger,
				v.Start.UnixNano(), int64(v.QueueWait), int64(v.InitDuration), int64(v.Duration), int64(v.BilledDuration),
				v.MemorySizeMB, v.MaxMemoryMB, v.Cold, string(v.Outcome), v.Retries, v.GBSeconds, v.Cost); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// encodeJSON encodes v, or returns empty for nil, empty or unencodable values
// (an attribute that cannot be encoded must not cost the whole span).
func encodeJSON(v any, empty string) string {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return empty
		}
	case []model.Link:
		if len(x) == 0 {
			return empty
		}
	case []model.Event:
		if len(x) == 0 {
			return empty
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return empty
	}
	return string(b)
}
