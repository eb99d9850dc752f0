package store

import (
	"context"
	"fmt"
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
	for _, q := range []string{
		"DELETE FROM spans WHERE start_ns < ?",
		"DELETE FROM invocations WHERE start_ns < ?",
	} {
		if _, err := s.db.ExecContext(ctx, q, cutoff); err != nil {
			return fmt.Errorf("delete records older than %v: %w", s.opts.MaxAge, err)
		}
	}
	// Delete the oldest tenth of each table until under the size limit; a
	// bounded number of rounds so a limit below the empty schema's size
	// cannot loop forever.
	for round := 0; round < 30; round++ {
		used, err := s.used(ctx)
		if err != nil {
			return err
		}
		s.usedBytes.Store(used)
		if used <= s.opts.MaxBytes {
			break
		}
		var deleted int64
		for _, table := range []string{"spans", "invocations"} {
			res, err := s.db.ExecContext(ctx, fmt.Sprintf(
				`DELETE FROM %[1]s WHERE rowid IN (SELECT rowid FROM %[1]s ORDER BY start_ns LIMIT max(100, (SELECT count(*) FROM %[1]s) / 10))`, table))
			if err != nil {
				return fmt.Errorf("delete oldest %s to stay under %d bytes: %w", table, s.opts.MaxBytes, err)
			}
			n, _ := res.RowsAffected()
			deleted += n
		}
		if deleted == 0 {
			break
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
