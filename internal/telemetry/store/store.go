package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// FileName is the database's name inside the store's directory.
const FileName = "telemetry.db"

// Options configure a store. Zero fields take the defaults named on them.
type Options struct {
	// Buffer is how many records wait for the writer before new ones are
	// dropped. Default 16384.
	Buffer int
	// BatchSize is the most records written in one transaction. Default
	// 4096: a large transaction writes each touched page once for many
	// records.
	BatchSize int
	// FlushInterval is the longest a record waits in a partial batch.
	// Default 200ms.
	FlushInterval time.Duration
	// MaxAge is how long spans and invocation records are kept. Default 7 days.
	MaxAge time.Duration
	// MaxBytes is the size the database's used pages are kept under by
	// deleting the oldest records. Default 256 MiB.
	MaxBytes int64
	// HardLimitBytes, when > 0, caps the database file itself: a write that
	// would grow past it fails as on a full disk, and its records are dropped
	// and counted. Zero leaves the file to grow up to the disk.
	HardLimitBytes int64
	// RetentionInterval is how often retention runs. Default 1 minute.
	RetentionInterval time.Duration
	// Now is the clock retention measures age with. Default time.Now.
	Now func() time.Time
	// Logger receives write failures (rate-limited to state changes).
	// Default: discard.
	Logger *slog.Logger
	// Smaller tells the user how to keep the store smaller, for the advice
	// given when writes fail ("free disk space under DIR, or " + Smaller):
	// the platform names the flags that set MaxBytes and MaxAge. Default
	// "lower Options.MaxBytes or Options.MaxAge".
	Smaller string
}

func (o Options) withDefaults() Options {
	if o.Buffer <= 0 {
		o.Buffer = 16384
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 4096
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 200 * time.Millisecond
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 7 * 24 * time.Hour
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 256 << 20
	}
	if o.RetentionInterval <= 0 {
		o.RetentionInterval = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// fix is the advice logged with a failing write, for a store in dir.
func (o Options) fix(dir string) string {
	smaller := o.Smaller
	if smaller == "" {
		smaller = "lower Options.MaxBytes or Options.MaxAge"
	}
	return "free disk space under " + dir + ", or " + smaller
}

// Status tells how the store is doing.
type Status struct {
	Path string
	// Dropping is true while records are being lost: the last write failed,
	// or the buffer overflowed since the last successful write.
	Dropping           bool
	DroppedSpans       uint64
	DroppedInvocations uint64
	WrittenSpans       uint64
	WrittenInvocations uint64
	// Queued is how many records wait for the writer, out of Capacity.
	Queued, Capacity int
	// LastError is the last write or retention failure, "" if none.
	LastError string
	// UsedBytes is the size of the database's used pages when it was opened
	// or at the last retention pass.
	UsedBytes int64
	// Fix is what to do when writes fail: free disk space, or keep the
	// store smaller (Options.Smaller).
	Fix string
}

// Store is an open span store. Its methods are safe for concurrent use.
type Store struct {
	db   *sql.DB
	w    *writer // the writer goroutine's
	path string
	opts Options
	log  *slog.Logger
	fix  string // Options.fix

	ch     chan item
	wake   chan struct{} // tells the writer to take what waits in ch
	kickAt int           // records waiting in ch that wake the writer
	quit   chan struct{}
	done   chan struct{}
	closed atomic.Bool
	once   sync.Once

	dropping           atomic.Bool
	droppedSpans       atomic.Uint64
	droppedInvocations atomic.Uint64
	writtenSpans       atomic.Uint64
	writtenInvocations atomic.Uint64
	usedBytes          atomic.Int64
	lastErr            atomic.Pointer[string]
}

// item is one request to the writer goroutine: a record, or a flush or prune
// request answered on reply.
type item struct {
	span  *model.Span
	src   SpanSource // a span to convert into span
	attrs string     // span's attributes encoded by src, "" to encode them here
	inv   *model.Invocation
	flush chan struct{}
	prune chan error
}

// Open opens (creating if needed) the store in dir and starts its writer.
// Close stops it.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if dir == "" {
		return nil, errors.New("open telemetry store: no directory given (the platform passes .stacklab/telemetry)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open telemetry store: create %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	q := url.Values{}
	q.Add("_busy_timeout", "5000")
	q.Add("_auto_vacuum", "INCREMENTAL")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if opts.HardLimitBytes > 0 {
		// SQLite's default page size is 4096; retention keeps used pages
		// under MaxBytes, this caps the file.
		q.Add("_pragma", fmt.Sprintf("max_page_count(%d)", max(opts.HardLimitBytes/4096, 8)))
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open telemetry store %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open telemetry store %s: %w (delete the file to start afresh)", path, err)
	}
	// The WAL grows to about walPages pages of 4096 bytes between
	// checkpoints; a hard limit on the file keeps SQLite's default.
	walPages := 8000
	if opts.HardLimitBytes > 0 {
		walPages = 1000
	}
	w, err := newWriter(ctx, db, walPages)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open telemetry store %s: %w", path, err)
	}
	s := &Store{
		db:   db,
		w:    w,
		path: path,
		opts: opts,
		log:  opts.Logger.With("component", "telemetry-store", "path", path),
		fix:  opts.fix(dir),
		ch:   make(chan item, opts.Buffer),
		wake: make(chan struct{}, 1),
		// A full batch, or half the buffer when that is smaller, so that
		// the writer empties it well before it overflows.
		kickAt: min(opts.BatchSize, max(opts.Buffer/2, 1)),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	if used, err := s.used(ctx); err == nil {
		s.usedBytes.Store(used)
	}
	go s.run()
	return s, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v > schemaVersion {
		return fmt.Errorf("schema version %d is newer than this stacklab understands (%d)", v, schemaVersion)
	}
	if v == schemaVersion {
		// Made by this schema: nothing to write. A store opened while a
		// platform writes to it (a reader, a test) must not take the write
		// lock, which a deferred transaction that read first cannot get
		// once another connection wrote (SQLITE_BUSY at once, whatever the
		// busy timeout). Every change of the schema raises the version.
		return nil
	}
	// All of it or nothing: SQLite's schema changes are transactional.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	defer tx.Rollback()
	for ; v > 0 && v < schemaVersion; v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migrate schema from version %d: %w", v, err)
		}
	}
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("write schema version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	return nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// AddSpan hands a finished span to the writer. It never blocks: when the
// buffer is full or the store is closed the span is dropped, counted, and
// AddSpan returns false.
func (s *Store) AddSpan(sp model.Span) bool {
	return s.add(item{span: &sp}, &s.droppedSpans)
}

// SpanSource is a finished span in another form (an OpenTelemetry span)
// that the writer converts to a model.Span, off the caller's goroutine.
// Span is called once, on the writer's goroutine, so src must not change
// after it is handed over.
type SpanSource interface {
	Span() model.Span
}

// An EncodedSpanSource is a SpanSource that can also give its span with
// the attributes already encoded, which spares the writer building
// Span.Attributes and encoding it.
type EncodedSpanSource interface {
	SpanSource
	// EncodedSpan is Span with Attributes nil, and the attributes as the
	// bytes json.Marshal makes of Span().Attributes; "" when there are none.
	EncodedSpan() (model.Span, string)
}

// AddSpanFrom is AddSpan for a span the writer converts itself, which
// takes the conversion off the hop's path.
func (s *Store) AddSpanFrom(src SpanSource) bool {
	return s.add(item{src: src}, &s.droppedSpans)
}

// AddInvocation hands an invocation record to the writer, like AddSpan.
func (s *Store) AddInvocation(inv model.Invocation) bool {
	return s.add(item{inv: &inv}, &s.droppedInvocations)
}

// AddInvocationWithEntry is AddInvocation for a record written with the
// span of the call the invocation served (the gateway's request), which is
// kept in the record's row: entry's id must be the record's ParentID, and
// it must be in the same trace. The writer converts entry as AddSpanFrom
// does.
func (s *Store) AddInvocationWithEntry(inv *model.Invocation, entry SpanSource) bool {
	return s.add(item{inv: inv, src: entry}, &s.droppedInvocations)
}

// add hands a record to the writer without blocking, counting it in
// dropped when it cannot.
func (s *Store) add(it item, dropped *atomic.Uint64) bool {
	if s.closed.Load() {
		dropped.Add(1)
		return false
	}
	select {
	case s.ch <- it:
		if len(s.ch) >= s.kickAt {
			s.kick()
		}
		return true
	default:
		dropped.Add(1)
		if !s.dropping.Swap(true) {
			s.log.Warn("span store is dropping records: its buffer is full, the writer is behind; invocations keep working",
				"buffer", cap(s.ch), "fix", "send fewer requests a second, or put .stacklab on a faster disk")
		}
		s.kick()
		return false
	}
}

// kick wakes the writer, which otherwise takes what is buffered every
// FlushInterval. Records do not wake it one by one: waking a goroutine (and
// often a thread) for each would cost more than writing the record.
func (s *Store) kick() {
	select {
	case s.wake <- struct{}{}:
	default: // a wake-up is pending
	}
}

// Flush waits until every record handed over before the call has been
// written (or dropped by a failing write).
func (s *Store) Flush(ctx context.Context) error {
	done := make(chan struct{})
	if err := s.send(ctx, item{flush: done}); err != nil {
		return fmt.Errorf("flush telemetry store: %w", err)
	}
	select {
	case <-done:
		return nil
	case <-s.done:
		return fmt.Errorf("flush telemetry store: %w", ErrClosed)
	case <-ctx.Done():
		return fmt.Errorf("flush telemetry store: %w", ctx.Err())
	}
}

// Prune runs retention now (it also runs every RetentionInterval) and waits
// for it.
func (s *Store) Prune(ctx context.Context) error {
	reply := make(chan error, 1)
	if err := s.send(ctx, item{prune: reply}); err != nil {
		return fmt.Errorf("prune telemetry store: %w", err)
	}
	select {
	case err := <-reply:
		return err
	case <-s.done:
		return fmt.Errorf("prune telemetry store: %w", ErrClosed)
	case <-ctx.Done():
		return fmt.Errorf("prune telemetry store: %w", ctx.Err())
	}
}

func (s *Store) send(ctx context.Context, it item) error {
	if s.closed.Load() {
		return ErrClosed
	}
	s.kick() // the buffer may be full
	select {
	case s.ch <- it:
		s.kick()
		return nil
	case <-s.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Status reports drops, writes and the last failure.
func (s *Store) Status() Status {
	st := Status{
		Path:               s.path,
		Dropping:           s.dropping.Load(),
		DroppedSpans:       s.droppedSpans.Load(),
		DroppedInvocations: s.droppedInvocations.Load(),
		WrittenSpans:       s.writtenSpans.Load(),
		WrittenInvocations: s.writtenInvocations.Load(),
		Queued:             len(s.ch),
		Capacity:           cap(s.ch),
		UsedBytes:          s.usedBytes.Load(),
		Fix:                s.fix,
	}
	if e := s.lastErr.Load(); e != nil {
		st.LastError = *e
	}
	return st
}

// Close writes what is buffered, stops the writer and closes the database.
// Records added after Close are dropped and counted.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		s.closed.Store(true)
		close(s.quit)
		<-s.done
		// A record handed over while the writer was finishing is counted,
		// not silently left in the channel.
		for drained := false; !drained; {
			select {
			case it := <-s.ch:
				s.dropClosed(it)
			default:
				drained = true
			}
		}
		err = errors.Join(s.w.close(), s.db.Close())
	})
	return err
}

// dropClosed counts a record that arrived after the writer stopped and
// answers a flush or prune waiting on it.
func (s *Store) dropClosed(it item) {
	switch {
	case it.inv != nil:
		s.droppedInvocations.Add(1)
	case it.span != nil, it.src != nil:
		s.droppedSpans.Add(1)
	case it.flush != nil:
		close(it.flush)
	case it.prune != nil:
		it.prune <- ErrClosed
	}
}

// run is the writer goroutine: it batches records into transactions, answers
// flush and prune requests in order, and runs retention on a ticker. It
// takes what is buffered every FlushInterval, or sooner when kicked: by a
// full batch waiting, a full buffer, a flush or a prune.
func (s *Store) run() {
	defer close(s.done)
	flush := time.NewTicker(s.opts.FlushInterval)
	defer flush.Stop()
	retain := time.NewTicker(s.opts.RetentionInterval)
	defer retain.Stop()

	batch := make([]item, 0, s.opts.BatchSize)
	write := func() {
		if len(batch) > 0 {
			s.write(batch)
			clear(batch)
			batch = batch[:0]
		}
	}
	handle := func(it item) {
		switch {
		case it.flush != nil:
			write()
			close(it.flush)
		case it.prune != nil:
			write()
			it.prune <- s.prune(context.Background())
		default:
			if it.src != nil {
				var sp model.Span
				if e, ok := it.src.(EncodedSpanSource); ok {
					sp, it.attrs = e.EncodedSpan()
				} else {
					sp = it.src.Span()
				}
				it.span, it.src = &sp, nil
			}
			batch = append(batch, it)
			if len(batch) >= s.opts.BatchSize {
				write()
			}
		}
	}
	// drain handles what is buffered, and writes it.
	drain := func() {
		for {
			select {
			case it := <-s.ch:
				handle(it)
			default:
				write()
				return
			}
		}
	}
	for {
		select {
		case <-s.wake:
			drain()
		case <-flush.C:
			drain()
		case <-retain.C:
			drain()
			_ = s.prune(context.Background())
		case <-s.quit:
			drain()
			return
		}
	}
}

// fail notes a failed write or retention pass: records are being lost
// until a write succeeds (write clears Dropping and says so).
func (s *Store) fail(err error) {
	msg := err.Error()
	s.lastErr.Store(&msg)
	if !s.dropping.Swap(true) {
		s.log.Warn("span store is dropping records: spans and invocation records are lost until a write succeeds; invocations keep working",
			"err", err, "fix", s.fix)
	}
}
