package idempg

import (
	"context"
	"fmt"
	"time"
)

// Cleanup deletes expired records (leases and retentions that have run
// out), at most batch rows per statement so that no statement holds many
// locks or runs long, until a statement deletes fewer than batch rows or ctx
// ends. It returns the number of rows deleted. Expired records are never
// served, so Cleanup only reclaims space; run it as often as suits the
// table's size.
func (s *Store) Cleanup(ctx context.Context, batch int) (int64, error) {
	if batch <= 0 {
		return 0, fmt.Errorf("idempg: cleanup batch must be positive, got %d", batch)
	}
	var total int64
	for {
		tag, err := s.db.Exec(ctx, s.cleanupSQL, batch)
		if err != nil {
			return total, fmt.Errorf("idempg: cleanup: %w", err)
		}
		n := tag.RowsAffected()
		total += n
		if n < int64(batch) {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("idempg: cleanup: %w", err)
		}
	}
}

// Close stops the background cleanup started by [WithCleanup] and waits
// for it to finish. It does not close the DB. Close is idempotent and
// always returns nil.
func (s *Store) Close() error {
	s.once.Do(func() {
		if s.stop != nil {
			close(s.stop)
			<-s.done
		}
	})
	return nil
}

func (s *Store) loop() {
	defer close(s.done)
	t := time.NewTicker(s.every)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if _, err := s.Cleanup(ctx, s.batch); err != nil && ctx.Err() == nil && s.onError != nil {
				s.onError(err)
			}
		}
	}
}
