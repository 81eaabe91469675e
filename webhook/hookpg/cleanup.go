package hookpg

import (
	"context"
	"fmt"
	"time"
)

// DeleteDelivered deletes up to limit delivered messages whose delivery
// was before before, with their attempts, and returns how many it deleted.
// Call it from a periodic job, in a loop while it returns limit. Pending
// messages and dead letters are never deleted. A deleted message's id may
// be enqueued again.
func (s *Store) DeleteDelivered(ctx context.Context, before time.Time, limit int) (int64, error) {
	if limit < 1 {
		return 0, fmt.Errorf("hookpg: delete delivered: limit %d: want at least 1", limit)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var n int64
	err := s.pool.QueryRow(ctx, `WITH d AS (
    DELETE FROM `+s.t.messages+` WHERE id IN (
        SELECT id FROM `+s.t.messages+` WHERE state = 1 AND next_at < $1 LIMIT $2)
    RETURNING id
), a AS (
    DELETE FROM `+s.t.attempts+` WHERE message_id IN (SELECT id FROM d)
)
SELECT count(*) FROM d`, before, limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("hookpg: delete delivered: %w", err)
	}
	return n, nil
}
