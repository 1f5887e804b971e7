package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/store"
)

type claimed struct {
	msg      Message
	sealed   string
	attempts int
	expires  sql.NullInt64
}

// claim marks up to n messages of one channel as sending under a lease:
// pending ones due by dueBy, and sending ones whose lease ran out. The rows
// are chosen once, in a materialised CTE: on PostgreSQL a subquery under
// `WHERE id IN (…)` may be evaluated again by the planner and claim more
// than n, and SKIP LOCKED lets several workers claim side by side.
func (w *Worker) claim(ctx context.Context, ch Channel, n int, now time.Time, dueBy int64) ([]claimed, error) {
	at := store.Millis(now)
	rows, err := w.DB.QueryContext(ctx, `WITH due AS MATERIALIZED (
			SELECT id FROM outbox
			WHERE channel = $1 AND ((state = 'pending' AND next_attempt_at <= $2) OR (state = 'sending' AND lease_until <= $3))
			ORDER BY next_attempt_at LIMIT $4`+w.DB.SkipLocked()+`)
		UPDATE outbox SET state = 'sending', lease_until = $5, attempts = outbox.attempts + 1
		FROM due WHERE outbox.id = due.id
		RETURNING outbox.id, outbox.recipient, outbox.sealed, outbox.attempts, outbox.expires_at`,
		string(ch), dueBy, at, n, at+w.Lease.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", store.Translate(err))
	}
	defer rows.Close()
	var batch []claimed
	for rows.Next() {
		c := claimed{msg: Message{Channel: ch}}
		if err := rows.Scan(&c.msg.ID, &c.msg.To, &c.sealed, &c.attempts, &c.expires); err != nil {
			return nil, fmt.Errorf("outbox: claim: %w", err)
		}
		batch = append(batch, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", store.Translate(err))
	}
	return batch, nil
}

// sweep marks the channel's pending messages whose code has expired, so a
// message is never sent after its expiry even while its channel's breaker
// keeps it from being claimed.
func (w *Worker) sweep(ctx context.Context, ch Channel) error {
	res, err := w.DB.ExecContext(ctx, `UPDATE outbox SET state = 'expired', sealed = '', lease_until = NULL
		WHERE channel = $1 AND state = 'pending' AND expires_at <= $2`, string(ch), store.Millis(w.Clock.Now()))
	if err != nil {
		return fmt.Errorf("outbox: mark expired: %w", store.Translate(err))
	}
	n, _ := res.RowsAffected()
	if w.Observe != nil {
		for range n {
			w.Observe(ch, "expired")
		}
	}
	return nil
}

// release makes every pending message of a channel due now: its provider
// is back, and messages backed off during the outage need not wait longer.
func (w *Worker) release(ctx context.Context, ch Channel, now time.Time) (int64, error) {
	at := store.Millis(now)
	res, err := w.DB.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = $2
		WHERE channel = $1 AND state = 'pending' AND next_attempt_at > $2`, string(ch), at)
	if err != nil {
		return 0, fmt.Errorf("outbox: release: %w", store.Translate(err))
	}
	return res.RowsAffected()
}
