package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/store"
)

// Purge deletes up to limit messages that are done with (sent, failed or
// expired) and were queued, and last tried, before before, and returns how
// many it deleted (the retention job, REBIND_RETAIN_OUTBOX): their
// recipients are personal data. A message waiting or being sent always
// stays. No limit counts these rows (the SMS budgets count rate_counters).
// Several instances may purge at once: on PostgreSQL each skips the rows
// another is deleting.
func Purge(ctx context.Context, db *store.DB, before time.Time, limit int) (int64, error) {
	at := store.Millis(before)
	res, err := db.ExecContext(ctx, `WITH old AS MATERIALIZED (
			SELECT id FROM outbox
			WHERE state IN ('sent', 'failed', 'expired') AND created_at <= $1 AND next_attempt_at <= $1
			LIMIT $2`+db.SkipLocked()+`)
		DELETE FROM outbox WHERE id IN (SELECT id FROM old)`, at, limit)
	if err != nil {
		return 0, fmt.Errorf("outbox: purge: %w", store.Translate(err))
	}
	return res.RowsAffected()
}

// Backlog is what waits to be delivered: the messages pending or being
// sent, by state and channel, and when the oldest of each channel was
// queued (a channel with none is absent).
type Backlog struct {
	Count  map[string]map[Channel]int
	Oldest map[Channel]time.Time
}

// ReadBacklog reads the backlog for /metrics through the partial index of
// waiting messages, so its cost follows the backlog, not the millions of
// messages delivered before.
func ReadBacklog(ctx context.Context, q store.Querier) (Backlog, error) {
	rows, err := q.QueryContext(ctx, `SELECT state, channel, count(*), min(created_at) FROM outbox
		WHERE state IN ('pending', 'sending') GROUP BY state, channel`)
	if err != nil {
		return Backlog{}, fmt.Errorf("outbox: backlog: %w", store.Translate(err))
	}
	defer rows.Close()
	b := Backlog{Count: map[string]map[Channel]int{}, Oldest: map[Channel]time.Time{}}
	for rows.Next() {
		var state, ch string
		var n int
		var at int64
		if err := rows.Scan(&state, &ch, &n, &at); err != nil {
			return Backlog{}, fmt.Errorf("outbox: backlog: %w", err)
		}
		if b.Count[state] == nil {
			b.Count[state] = map[Channel]int{}
		}
		b.Count[state][Channel(ch)] = n
		if old, ok := b.Oldest[Channel(ch)]; !ok || store.Time(at).Before(old) {
			b.Oldest[Channel(ch)] = store.Time(at)
		}
	}
	return b, rows.Err()
}
