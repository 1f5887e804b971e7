package ratelimit

import (
	"context"
	"fmt"

	"github.com/rebindhq/rebind/internal/store"
)

// Clear deletes every counter, so every limit starts again, and returns how
// many it deleted. Counters are keyed by hashes of their subjects, so the
// ones that concern one account cannot be picked out; this is for a dev
// server, where every counter is the tester's (demo.Desk.Renew).
func (l *Limiter) Clear(ctx context.Context, q store.Querier) (int64, error) {
	res, err := q.ExecContext(ctx, "DELETE FROM rate_counters")
	if err != nil {
		return 0, fmt.Errorf("ratelimit: clear: %w", store.Translate(err))
	}
	return res.RowsAffected()
}
