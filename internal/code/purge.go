package code

import (
	"context"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/store"
)

// The windows of the limits on sends (destinationLimits, smsLimits). A day
// window is aligned to midnight UTC, so a send counts against it for at
// most LongestWindow; config.MinRetainCodes is longer.
const (
	hourWindow    = time.Hour
	LongestWindow = 24 * time.Hour
)

// Purge deletes up to limit codes that expired before before and whose
// flow expired before it too, and returns how many it deleted (the
// retention job, REBIND_RETAIN_CODES).
//
// A code's row is what counts its slot's wrong entries and sends
// (Rules.MaxAttempts, MaxSends) for as long as its flow lives, and a
// reset's flow lives until its review deadline: deleting the row of a live
// flow would give the slot fresh counts, so such a row stays whatever its
// age. No other limit counts these rows: the per-destination limits and
// the SMS budgets count rate_counters (internal/ratelimit), whose longest
// window is a day, and the shortest retention config allows is longer.
// Several instances may purge at once: on PostgreSQL each skips the rows
// another is deleting, so every row is deleted once.
func Purge(ctx context.Context, db *store.DB, before time.Time, limit int) (int64, error) {
	res, err := db.ExecContext(ctx, `WITH old AS MATERIALIZED (
			SELECT flow_id, purpose FROM codes c
			WHERE c.expires_at <= $1 AND EXISTS (SELECT 1 FROM flows f WHERE f.id = c.flow_id AND f.expires_at <= $1)
			LIMIT $2`+db.SkipLocked()+`)
		DELETE FROM codes WHERE (flow_id, purpose) IN (SELECT flow_id, purpose FROM old)`, store.Millis(before), limit)
	if err != nil {
		return 0, fmt.Errorf("code: purge: %w", store.Translate(err))
	}
	return res.RowsAffected()
}
