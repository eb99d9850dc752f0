package store

import (
	"database/sql/driver"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// A trace that is one invocation record and nothing else (a request the
// gateway served with one invocation, an Invoke API call, a scheduled
// run) is whole in the record's row: it gets no row in traces, and
// ListTraces reads its summary from the record (soloTraces). The writer
// keeps that true:
//
//   - A record is written solo when its batch has nothing else of its trace
//     and the store has neither a traces row nor another record with spans
//     of it (soloRecords).
//   - When a trace gets its traces row, the solo record it may already have
//     is folded into the row's summary (foldSolo), so a trace that grows
//     later (a span of a downstream hop, a retry's record) is summed whole.
//
// This spares a traced request the summary's upsert, about a fifth of the
// writer's work for it (docs/design/0022-solo-traces.md).

// lookup is a SELECT that takes a list of trace ids, as many as a chunk.
type lookup struct {
	// text is the statement with "%[1]s" where the list of placeholders
	// goes (it may appear several times: the placeholders are numbered).
	text string
}

// query is the statement for n trace ids.
func (l *lookup) query(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		b.WriteString("?" + strconv.Itoa(i))
	}
	return fmt.Sprintf(l.text, b.String())
}

var (
	// knownTraces are the trace ids that already have a traces row or a
	// record with spans. "trace_id <> ''" lets SQLite use the partial
	// index invocations_trace.
	knownTraces = lookup{text: `SELECT trace_id FROM traces WHERE trace_id IN (%[1]s)
		UNION ALL SELECT trace_id FROM invocations WHERE trace_id <> '' AND span_id <> '' AND trace_id IN (%[1]s)`}
	// soloRows are the solo records of the trace ids: records with spans
	// whose trace has no traces row.
	soloRows = lookup{text: `SELECT request_id, retries, ` + soloCols + ` FROM invocations i
		WHERE trace_id <> '' AND span_id <> '' AND trace_id IN (%[1]s)
		AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.trace_id = i.trace_id)`}
)

// soloCols are the columns of a record that its trace's summary needs, in
// the order soloSpans reads them.
const soloCols = `trace_id, function, resource, parent_id, span_id, run_id, start_ns, end_ns, run_start_ns, run_end_ns, outcome,
	entry_name, entry_parent_id, entry_resource, entry_start_ns, entry_end_ns, entry_status`

// soloSpans are the spans of a solo record's row, as many as the summary
// needs of them (see traceSums.add): the invocation span, its run and its
// entry, with whether each failed.
func soloSpans(v []driver.Value) (spans []model.Span, failed []bool) {
	str := func(i int) string { s, _ := v[i].(string); return s }
	num := func(i int) int64 { n, _ := v[i].(int64); return n }
	ns := func(i int) time.Time { return time.Unix(0, num(i)) }
	tid, fn, res, parent, id, run := str(0), str(1), str(2), str(3), str(4), str(5)
	bad := str(10) != string(model.OutcomeOK)
	spans = append(spans, model.Span{TraceID: tid, SpanID: id, ParentID: parent, Name: fn, Resource: res, Start: ns(6), End: ns(7)})
	failed = append(failed, bad)
	if run != "" {
		spans = append(spans, model.Span{TraceID: tid, SpanID: run, ParentID: id, Name: "run", Start: ns(8), End: ns(9)})
		failed = append(failed, bad)
	}
	if name := str(11); name != "" {
		spans = append(spans, model.Span{TraceID: tid, SpanID: parent, ParentID: str(12), Name: name, Resource: str(13), Start: ns(14), End: ns(15)})
		failed = append(failed, str(16) == string(model.StatusError))
	}
	return spans, failed
}

// traceOf is the trace an item adds spans to, "" for none.
func traceOf(it *item) string {
	switch {
	case it.inv != nil && it.inv.SpanID != "":
		return it.inv.TraceID
	case it.span != nil:
		return it.span.TraceID
	}
	return ""
}

// soloRecords returns the batch's records to write solo (by trace id), and
// the batch's other traces, whose summaries are upserted, with those of
// them that are fresh (nothing of them stored before, see fresh.go).
func (x exec) soloRecords(batch []item) (solo map[string]bool, others []string, fresh map[string]bool, err error) {
	fresh = takeFresh(batch)
	count := make(map[string]int, len(batch))
	for i := range batch {
		if tid := traceOf(&batch[i]); tid != "" {
			count[tid]++
		}
	}
	var candidates []string // to look up
	solo = map[string]bool{}
	for i := range batch {
		if v := batch[i].inv; v != nil && v.SpanID != "" && v.TraceID != "" && count[v.TraceID] == 1 {
			solo[v.TraceID] = true
			if !fresh[v.TraceID] {
				candidates = append(candidates, v.TraceID)
			}
		}
	}
	err = x.each(&knownTraces, candidates, 1, func(v []driver.Value) {
		if tid, ok := v[0].(string); ok {
			delete(solo, tid)
		}
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("look up traces: %w", err)
	}
	for tid := range count {
		if !solo[tid] {
			others = append(others, tid)
		}
	}
	return solo, others, fresh, nil
}

// foldSolo adds to sums the solo records already stored of traces, which
// are about to get their traces row. A record the batch writes again
// (same request id and retries) is left to the batch.
func (x exec) foldSolo(traces []string, batch []item, sums traceSums) error {
	var again map[string]bool
	err := x.each(&soloRows, traces, 2+17, func(v []driver.Value) {
		if again == nil {
			again = map[string]bool{}
			for _, it := range batch {
				if it.inv != nil {
					again[it.inv.RequestID+"/"+strconv.Itoa(it.inv.Retries)] = true
				}
			}
		}
		reqID, _ := v[0].(string)
		retries, _ := v[1].(int64)
		if again[reqID+"/"+strconv.FormatInt(retries, 10)] {
			return
		}
		spans, failed := soloSpans(v[2:])
		for i := range spans {
			sums.add(&spans[i], failed[i])
		}
	})
	if err != nil {
		return fmt.Errorf("read solo records: %w", err)
	}
	return nil
}

// each runs l over ids, chunkRows at a time, and calls row with each row
// of cols values it returns.
func (x exec) each(l *lookup, ids []string, cols int, row func([]driver.Value)) error {
	dest := make([]driver.Value, cols)
	for len(ids) > 0 {
		n := min(len(ids), chunkRows)
		if err := x.query(l, ids[:n], dest, row); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// query runs l once over ids.
func (x exec) query(l *lookup, ids []string, dest []driver.Value, row func([]driver.Value)) error {
	st, done, err := x.prepare(stmtKey{q: l, rows: len(ids)}, func() string { return l.query(len(ids)) })
	if err != nil {
		return err
	}
	defer done()
	q, ok := st.(driver.StmtQueryContext)
	if !ok {
		return fmt.Errorf("sqlite driver statement %T cannot query with a context", st)
	}
	args := make([]driver.NamedValue, len(ids))
	for i, id := range ids {
		args[i] = driver.NamedValue{Ordinal: i + 1, Value: id}
	}
	rows, err := q.QueryContext(x.ctx, args)
	if err != nil {
		return err
	}
	defer rows.Close()
	for {
		if err := rows.Next(dest); err == io.EOF {
			return rows.Close()
		} else if err != nil {
			return err
		}
		row(dest)
	}
}
