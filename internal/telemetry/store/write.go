package store

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// write stores a batch in one transaction. On failure the whole batch is
// dropped and counted: telemetry never holds up the hops.
func (s *Store) write(batch []item) {
	var spans, invs, invSpans uint64 // invSpans: kept in invocation records
	for _, it := range batch {
		switch {
		case it.inv != nil:
			invs++
			invSpans += uint64(it.inv.SpanCount())
			if it.span != nil {
				invSpans++ // its entry
			}
		case it.span != nil:
			spans++
		}
	}
	err := s.w.writeTx(batch, chunkRows)
	if errors.Is(err, errDuplicate) {
		// A span stored before (or twice in the batch): write the batch
		// again a row at a time, which tells which spans are new.
		err = s.w.writeTx(batch, 1)
	}
	if errors.Is(err, sql.ErrConnDone) {
		// The driver gave up the writer's connection: this batch is lost,
		// the next ones go through a new one.
		if w, werr := newWriter(context.Background(), s.db, s.w.walPages); werr == nil {
			_ = s.w.close()
			s.w = w
		}
	}
	if err != nil {
		s.droppedSpans.Add(spans + invSpans)
		s.droppedInvocations.Add(invs)
		s.fail(fmt.Errorf("write %d spans and %d invocation records: %w", spans, invs, err))
		return
	}
	s.writtenSpans.Add(spans + invSpans)
	s.writtenInvocations.Add(invs)
	if s.dropping.Swap(false) {
		s.log.Info("span store writing again", "dropped_spans", s.droppedSpans.Load(), "dropped_invocations", s.droppedInvocations.Load())
	}
}

// chunkRows is how many rows one INSERT statement writes: each statement
// executed costs SQLite and the driver work of its own (binding, halting,
// resetting), which many rows share.
const chunkRows = 32

// The inserts, as a head, one row's placeholders and a tail, so that one
// statement can carry several rows.
var (
	// A span already stored (same trace and span id) is kept: the first
	// copy wins, so a span delivered twice is counted once in its trace.
	insertSpan = insert{
		head: `INSERT OR IGNORE INTO spans
		(trace_id, span_id, parent_id, name, kind, resource, function, start_ns, end_ns, status, status_message, attributes, links, events)
		VALUES `,
		cols:   14,
		dedupe: true,
	}
	// upsertTrace folds a batch's new spans of one trace into its summary.
	// The root is the earliest span without a parent (rank 0), else the
	// earliest span. SQLite evaluates every SET expression on the row as it
	// was.
	upsertTrace = insert{
		head: `INSERT INTO traces (trace_id, start_ns, end_ns, spans, error, root_rank, root_start_ns, root_name, root_resource)
		VALUES `,
		cols: 9,
		tail: ` ON CONFLICT (trace_id) DO UPDATE SET
			start_ns = min(start_ns, excluded.start_ns),
			end_ns = max(end_ns, excluded.end_ns),
			spans = spans + excluded.spans,
			error = max(error, excluded.error),
			root_rank = CASE WHEN (excluded.root_rank, excluded.root_start_ns) < (root_rank, root_start_ns) THEN excluded.root_rank ELSE root_rank END,
			root_start_ns = CASE WHEN (excluded.root_rank, excluded.root_start_ns) < (root_rank, root_start_ns) THEN excluded.root_start_ns ELSE root_start_ns END,
			root_name = CASE WHEN (excluded.root_rank, excluded.root_start_ns) < (root_rank, root_start_ns) THEN excluded.root_name ELSE root_name END,
			root_resource = CASE WHEN (excluded.root_rank, excluded.root_start_ns) < (root_rank, root_start_ns) THEN excluded.root_resource ELSE root_resource END`,
	}
	insertInvocation = insert{
		head: `INSERT OR REPLACE INTO invocations
		(function, version, deployment, request_id, trace_id, trigger, start_ns, queue_wait_ns, init_ns, duration_ns,
		 billed_ns, memory_mb, max_memory_mb, cold, outcome, retries, gb_seconds, cost,
		 span_id, parent_id, run_id, resource, instance, end_ns, run_start_ns, run_end_ns, status_message, attributes, events,
		 entry_parent_id, entry_name, entry_kind, entry_resource, entry_function, entry_start_ns, entry_end_ns,
		 entry_status, entry_status_message, entry_attributes, solo)
		VALUES `,
		cols: 40,
	}
)

// orDefault is s to bind, or nil for "": an INSERT OR REPLACE stores a
// NULL in a NOT NULL column as the column's default, and binding NULL
// spares the driver a C copy of the value.
func orDefault(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// entryCols are the entry_* columns of an invocation row: the span of the
// call it served, empty without one.
type entryCols struct {
	parent, name, kind, resource, function string
	start, end                             int64
	status, message, attrs                 string
}

// insert is an INSERT statement that takes any number of rows.
type insert struct {
	head string
	cols int
	tail string
	// dedupe: a row already stored is not written again, and its chunk is
	// errDuplicate.
	dedupe bool
}

// query is the statement for rows rows of a shape.
func (in insert) query(rows int, sh *shape) string {
	var b strings.Builder
	b.WriteString("(")
	for i := range in.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(sh.text(i))
	}
	b.WriteString(")")
	one := b.String()
	return in.head + strings.Repeat(one+", ", rows-1) + one + in.tail
}

// errDuplicate is a chunk of spans that stored fewer rows than it had: some
// were stored before.
var errDuplicate = errors.New("a span stored before")

// writer writes batches on a connection of its own through the driver,
// with statements prepared once: database/sql's work per statement
// (checking and converting every argument, its locks) is a good part of
// a row's cost. It is used only by the writer goroutine, and by Close once
// that has stopped.
type writer struct {
	conn     *sql.Conn
	walPages int
	stmts    map[stmtKey]driver.Stmt // prepared on conn
	nshapes  map[*insert]int         // shapes admitted (shape.go)
	pend     map[shapeKey]*pending   // rows gathered, by insert and admitted shape
	order    []*pending              // pend in the order first seen
}

// pending are rows of one insert and shape gathered for a statement.
type pending struct {
	key  shapeKey
	args []driver.NamedValue // the bound values, row after row
	rows int
}

// stmtKey names a prepared statement: an *insert or a *lookup for a
// number of rows, an insert's of a shape.
type stmtKey struct {
	q     any
	rows  int
	shape shape
}

// writerCacheKiB is the writer connection's page cache, in KiB.
const writerCacheKiB = 32 << 10

// driverConn is what the writer needs of the SQLite driver's connection.
type driverConn interface {
	driver.ConnPrepareContext
	driver.ConnBeginTx
}

func newWriter(ctx context.Context, db *sql.DB, walPages int) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	// Each connection has a page cache of its own. The writer's is larger
	// than SQLite's 2 MB default: an index of random keys (invocation
	// records' request ids) touches a page anywhere in it for every row,
	// and a page found in the cache is not read again.
	//
	// Its commits copy the WAL into the database every walPages pages
	// rather than SQLite's 1000: a page written by many commits in between
	// (the end of an index, a page of the random request ids) is copied
	// once. Retention empties the WAL every RetentionInterval.
	for _, q := range []string{
		fmt.Sprintf("PRAGMA cache_size = %d", -writerCacheKiB),
		fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", walPages),
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return &writer{conn: conn, walPages: walPages, stmts: map[stmtKey]driver.Stmt{}, nshapes: map[*insert]int{},
		pend: map[shapeKey]*pending{}}, nil
}

// close closes the statements and gives the connection back.
func (w *writer) close() error {
	err := w.conn.Raw(func(any) error {
		var errs []error
		for _, st := range w.stmts {
			errs = append(errs, st.Close())
		}
		clear(w.stmts)
		return errors.Join(errs...)
	})
	return errors.Join(err, w.conn.Close())
}

// writeTx writes a batch in one transaction, chunk rows a statement. With
// chunk > 1 it fails with errDuplicate when a span was stored before, as
// only a statement of one row tells which.
func (w *writer) writeTx(batch []item, chunk int) error {
	ctx := context.Background()
	return w.conn.Raw(func(dc any) (err error) {
		c, ok := dc.(driverConn)
		if !ok {
			return fmt.Errorf("sqlite driver connection %T cannot prepare or begin", dc)
		}
		tx, err := c.BeginTx(ctx, driver.TxOptions{})
		if err != nil {
			return err
		}
		defer func() {
			if err != nil {
				_ = tx.Rollback()
			}
		}()
		w.reset()
		x := exec{w: w, c: c, ctx: ctx, chunk: chunk}
		sums := traceSums{}
		solo, others, fresh, err := x.soloRecords(batch)
		if err != nil {
			return err
		}
		if len(fresh) > 0 {
			// No solo record of a fresh trace is stored to fold.
			others = slices.DeleteFunc(others, func(tid string) bool { return fresh[tid] })
		}
		// Spans first, so that an error of a chunk stops the batch early.
		for _, it := range batch {
			sp := it.span
			if sp == nil || it.inv != nil && it.inv.SpanID != "" {
				continue // none, or an entry kept in its record's row
			}
			attrs := it.attrs
			if attrs == "" {
				attrs = encodeJSON(sp.Attributes, "{}")
			}
			status := sp.Status
			if status == "" {
				status = model.StatusUnset
			}
			added, err := x.row(&insertSpan, sp.TraceID, sp.SpanID, sp.ParentID, sp.Name, string(sp.Kind), sp.Resource, sp.Function,
				sp.Start.UnixNano(), sp.End.UnixNano(), string(status), sp.StatusMessage,
				attrs, encodeJSON(sp.Links, "[]"), encodeJSON(sp.Events, "[]"))
			if err != nil {
				return err
			}
			if chunk == 1 && added == 0 {
				continue // a duplicate: its trace already counts it
			}
			sums.add(sp, status == model.StatusError)
		}
		if _, err := x.flush(&insertSpan); err != nil {
			return err
		}
		if err := x.foldSolo(others, batch, sums); err != nil {
			return err
		}
		// Rows are executed grouped by shape, which reorders them; a record
		// written twice in the batch must be replaced in order, so such a
		// batch writes its records one at a time.
		rx := x
		if recordTwice(batch) {
			rx.chunk = 1
		}
		for _, it := range batch {
			v := it.inv
			if v == nil {
				continue
			}
			var end, runStart, runEnd int64
			summed := v.SpanID != "" && !solo[v.TraceID] // a solo record is its trace's summary
			if v.SpanID != "" {
				end, runStart, runEnd = v.End.UnixNano(), unixNano(v.RunStart), unixNano(v.RunEnd)
				if summed {
					sums.addInvocation(v)
				}
			}
			var e entryCols
			if sp := it.span; sp != nil && v.SpanID != "" {
				e = entryCols{sp.ParentID, sp.Name, string(sp.Kind), sp.Resource, sp.Function, sp.Start.UnixNano(), sp.End.UnixNano(),
					string(cmp.Or(sp.Status, model.StatusUnset)), sp.StatusMessage, cmp.Or(it.attrs, encodeJSON(sp.Attributes, "{}"))}
				if summed {
					sums.add(sp, sp.Status == model.StatusError)
				}
			}
			if _, err := rx.row(&insertInvocation, v.Function, orDefault(v.Version), orDefault(v.Deployment), v.RequestID, orDefault(v.TraceID), orDefault(v.Trigger),
				v.Start.UnixNano(), int64(v.QueueWait), int64(v.InitDuration), int64(v.Duration), int64(v.BilledDuration),
				int64(v.MemorySizeMB), int64(v.MaxMemoryMB), v.Cold, string(v.Outcome), int64(v.Retries), v.GBSeconds, v.Cost,
				orDefault(v.SpanID), orDefault(v.ParentID), orDefault(v.RunID), orDefault(v.Resource), orDefault(v.Instance), end, runStart, runEnd, orDefault(v.StatusMessage),
				orDefault(encodeJSON(v.Attributes, "")), orDefault(encodeJSON(v.Events, "")),
				orDefault(e.parent), orDefault(e.name), orDefault(e.kind), orDefault(e.resource), orDefault(e.function), e.start, e.end, orDefault(e.status), orDefault(e.message), orDefault(e.attrs), v.SpanID != "" && !summed); err != nil {
				return err
			}
		}
		if _, err := rx.flush(&insertInvocation); err != nil {
			return err
		}
		// One summary update per trace rather than per span: a trace's spans
		// mostly arrive in the same batch.
		x.chunk = chunkRows
		for id, t := range sums {
			if _, err := x.row(&upsertTrace, id, t.start, t.end, int64(t.spans), t.err, int64(t.rootRank), t.rootStart, t.rootName, t.rootResource); err != nil {
				return err
			}
		}
		if _, err := x.flush(&upsertTrace); err != nil {
			return err
		}
		return tx.Commit()
	})
}

// exec gathers the rows of inserts by shape and executes them chunk rows a
// statement.
type exec struct {
	w     *writer
	c     driverConn
	ctx   context.Context
	chunk int
}

// reset forgets the rows gathered.
func (w *writer) reset() {
	for _, p := range w.order {
		clear(p.args)
		p.args, p.rows = p.args[:0], 0
	}
}

// row adds a row of *in to the rows of its shape, executing them when they
// are a chunk. It returns the rows the statement changed, 0 when none was
// executed. With chunk > 1 a chunk of spans that changed fewer rows than
// it had is errDuplicate. Rows of one shape are executed together, so the
// rows of an insert are not executed in the order given unless chunk is 1.
func (x exec) row(in *insert, vals ...any) (int64, error) {
	p := x.w.pendingOf(in, vals)
	for i, v := range vals {
		if p.key.sh[i] == 0 {
			p.args = append(p.args, driver.NamedValue{Value: v})
		}
	}
	p.rows++
	if p.rows < x.chunk {
		return 0, nil
	}
	return x.run(p)
}

// flush executes the rows of *in gathered.
func (x exec) flush(in *insert) (int64, error) {
	var total int64
	for _, p := range x.w.order {
		if p.key.in != in || p.rows == 0 {
			continue
		}
		n, err := x.run(p)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// run executes p's rows, in statements of 32, 16, 8, 4, 2 and 1 rows (a
// statement of each size is kept, rather than one prepared for each number
// of rows a batch leaves over).
func (x exec) run(p *pending) (int64, error) {
	defer func() {
		clear(p.args)
		p.args, p.rows = p.args[:0], 0
	}()
	perRow := len(p.args) / p.rows
	var total int64
	for done := 0; done < p.rows; {
		size := chunkRows
		for size > p.rows-done {
			size /= 2
		}
		args := p.args[done*perRow : (done+size)*perRow]
		for i := range args {
			args[i].Ordinal = i + 1
		}
		n, err := x.exec(p.key, size, args)
		total += n
		if err != nil {
			return total, err
		}
		done += size
	}
	return total, nil
}

// exec executes the statement of rows rows of a shape.
func (x exec) exec(k shapeKey, rows int, args []driver.NamedValue) (int64, error) {
	in := k.in
	st, done, err := x.prepare(stmtKey{in, rows, k.sh}, func() string { return in.query(rows, &k.sh) })
	if err != nil {
		return 0, err
	}
	defer done()
	ex, ok := st.(driver.StmtExecContext)
	if !ok {
		return 0, fmt.Errorf("sqlite driver statement %T cannot execute with a context", st)
	}
	res, err := ex.ExecContext(x.ctx, args)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if in.dedupe && x.chunk > 1 && n < int64(rows) {
		// (With chunk 1 the caller reads n.)
		return n, errDuplicate
	}
	return n, nil
}

// recordTwice reports whether a batch has two copies of one invocation
// record (request id and retries).
func recordTwice(batch []item) bool {
	seen := map[string]bool{}
	for i := range batch {
		if v := batch[i].inv; v != nil {
			k := v.RequestID + "/" + strconv.Itoa(v.Retries)
			if seen[k] {
				return true
			}
			seen[k] = true
		}
	}
	return false
}

// prepare returns the statement text() keyed by key, kept for the next
// batches when its rows are a power of two (and fewer than maxStmts are
// kept), else to be closed by done when used.
func (x exec) prepare(key stmtKey, text func() string) (st driver.Stmt, done func(), err error) {
	if st := x.w.stmts[key]; st != nil {
		return st, func() {}, nil
	}
	if st, err = x.c.PrepareContext(x.ctx, text()); err != nil {
		return nil, nil, err
	}
	if key.rows&(key.rows-1) == 0 && len(x.w.stmts) < maxStmts {
		x.w.stmts[key] = st // the statements every batch uses
		return st, func() {}, nil
	}
	return st, func() { st.Close() }, nil
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

// addInvocation folds the spans of an invocation record (model.Invocation
// Spans) into its trace's summary, without making them.
func (m traceSums) addInvocation(v *model.Invocation) {
	failed := v.Outcome != model.OutcomeOK
	m.add(&model.Span{TraceID: v.TraceID, ParentID: v.ParentID, Name: v.Function, Resource: v.Resource, Start: v.Start, End: v.End}, failed)
	if v.RunID != "" {
		m.add(&model.Span{TraceID: v.TraceID, ParentID: v.SpanID, Start: v.RunStart, End: v.RunEnd}, failed)
	}
}

// unixNano is t in Unix nanoseconds, 0 for the zero time.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

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
