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
	// upsertTrace folds a batch's new spans of one trace into its summary.
	// The root is the earliest span without a parent (rank 0), else the
	// earliest span. SQLite evaluates every SET expression on the row as it
	// was.
	upsertTrace = `INSERT INTO traces (trace_id, start_ns, end_ns, spans, error, root_rank, root_start_ns, root_name, root_resource)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (trace_id) DO UPDATE SET
			start_ns = min(start_ns, excluded.start_ns),
			end_ns = max(end_ns, excluded.end_ns),
			spans = spans + excluded.spans,
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
	sums := traceSums{}
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
			sums.add(sp, status == model.StatusError)
		case it.inv != nil:
			v := it.inv
			if _, err = invStmt.ExecContext(ctx, v.Function, v.Version, v.Deployment, v.RequestID, v.TraceID, v.Trigger,
				v.Start.UnixNano(), int64(v.QueueWait), int64(v.InitDuration), int64(v.Duration), int64(v.BilledDuration),
				v.MemorySizeMB, v.MaxMemoryMB, v.Cold, string(v.Outcome), v.Retries, v.GBSeconds, v.Cost); err != nil {
				return err
			}
		}
	}
	// One summary update per trace rather than per span: a trace's spans
	// mostly arrive in the same batch.
	for id, t := range sums {
		if _, err := traceStmt.ExecContext(ctx, id, t.start, t.end, t.spans, t.err, t.rootRank, t.rootStart, t.rootName, t.rootResource); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// traceSum is what a batch adds to one trace's summary row.
type traceSum struct {
	start, end, rootStart  int64
	spans, rootRank        int
	err                    bool
	rootName, rootResource string
}

// traceSums are the summaries of a batch's traces, by trace id.
type traceSums map[string]*traceSum

// add folds a newly stored span into its trace's summary: the root
// candidate is the earliest span without a parent (rank 0), else the
// earliest span, as upsertTrace decides between batches.
func (m traceSums) add(sp *model.Span, isErr bool) {
	start, end := sp.Start.UnixNano(), sp.End.UnixNano()
	rank := 1
	if sp.ParentID == "" {
		rank = 0
	}
	t := m[sp.TraceID]
	if t == nil {
		m[sp.TraceID] = &traceSum{start: start, end: end, spans: 1, err: isErr, rootRank: rank, rootStart: start, rootName: sp.Name, rootResource: sp.Resource}
		return
	}
	t.start, t.end = min(t.start, start), max(t.end, end)
	t.spans++
	t.err = t.err || isErr
	if rank < t.rootRank || (rank == t.rootRank && start < t.rootStart) {
		t.rootRank, t.rootStart, t.rootName, t.rootResource = rank, start, sp.Name, sp.Resource
	}
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
