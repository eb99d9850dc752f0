package store

import (
	"context"
	"fmt"
	"time"
)

// prune deletes records older than MaxAge, then the oldest records while the
// used pages exceed MaxBytes, and gives the freed pages back to the file
// system. It runs on the writer goroutine.
func (s *Store) prune(ctx context.Context) error {
	err := s.pruneTx(ctx)
	if err != nil {
		s.fail(fmt.Errorf("retention: %w", err))
	}
	return err
}

func (s *Store) pruneTx(ctx context.Context) error {
	cutoff := s.opts.Now().Add(-s.opts.MaxAge).UnixNano()
	// Traces go whole: a trace that started before the cutoff loses all its
	// spans, so no trace is left half-drawn.
	if err := s.deleteTraces(ctx, "SELECT trace_id FROM traces WHERE start_ns < ?", cutoff); err != nil {
		return fmt.Errorf("delete traces older than %v: %w", s.opts.MaxAge, err)
	}
	// A record whose entry began before the cutoff goes too: its trace
	// did (a solo record is its whole trace; see solo.go).
	if _, err := s.db.ExecContext(ctx, `DELETE FROM invocations WHERE start_ns < ?1
		OR (start_ns < ?2 AND entry_name <> '' AND entry_start_ns < ?1)`, cutoff, cutoff+int64(time.Minute)); err != nil {
		return fmt.Errorf("delete invocation records older than %v: %w", s.opts.MaxAge, err)
	}
	// Delete the oldest tenth of the traces and of the invocation records
	// until under the size limit; a bounded number of rounds so a limit
	// below the empty schema's size cannot loop forever.
	for round := 0; round < 30; round++ {
		used, err := s.used(ctx)
		if err != nil {
			return err
		}
		s.usedBytes.Store(used)
		if used <= s.opts.MaxBytes {
			break
		}
		var traces, invs int64
		if err := s.db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM traces), (SELECT count(*) FROM invocations)").Scan(&traces, &invs); err != nil {
			return fmt.Errorf("count records for retention: %w", err)
		}
		if traces == 0 && invs == 0 {
			break
		}
		if err := s.deleteTraces(ctx, "SELECT trace_id FROM traces ORDER BY start_ns, trace_id LIMIT ?", max(10, traces/10)); err != nil {
			return fmt.Errorf("delete oldest traces to stay under %d bytes: %w", s.opts.MaxBytes, err)
		}
		if _, err := s.db.ExecContext(ctx, "DELETE FROM invocations WHERE rowid IN (SELECT rowid FROM invocations ORDER BY start_ns LIMIT ?)", max(100, invs/10)); err != nil {
			return fmt.Errorf("delete oldest invocation records to stay under %d bytes: %w", s.opts.MaxBytes, err)
		}
	}
	if _, err := s.db.ExecContext(ctx, "PRAGMA incremental_vacuum"); err != nil {
		return fmt.Errorf("incremental vacuum: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	used, err := s.used(ctx)
	if err != nil {
		return err
	}
	s.usedBytes.Store(used)
	return nil
}

// deleteTraces deletes, in one transaction, the traces the query selects
// (one argument) with all their spans, those kept in invocation records
// too (the records go with them).
func (s *Store) deleteTraces(ctx context.Context, selectIDs string, arg any) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "CREATE TEMP TABLE IF NOT EXISTS doomed (trace_id TEXT PRIMARY KEY)"); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM doomed"); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO doomed "+selectIDs, arg); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM spans WHERE trace_id IN (SELECT trace_id FROM doomed)"); err != nil {
		return err
	}
	// The records that hold spans of these traces go with them.
	if _, err := tx.ExecContext(ctx, "DELETE FROM invocations WHERE trace_id <> '' AND trace_id IN (SELECT trace_id FROM doomed) AND span_id <> ''"); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM traces WHERE trace_id IN (SELECT trace_id FROM doomed)"); err != nil {
		return err
	}
	return tx.Commit()
}

// used is the size of the database's pages that hold data.
func (s *Store) used(ctx context.Context) (int64, error) {
	var pages, free, size int64
	if err := s.db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return 0, fmt.Errorf("read page count: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free); err != nil {
		return 0, fmt.Errorf("read free page count: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil {
		return 0, fmt.Errorf("read page size: %w", err)
	}
	return (pages - free) * size, nil
}
