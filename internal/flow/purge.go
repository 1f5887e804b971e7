package flow

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/store"
)

// Purge deletes up to limit flows that expired, and last changed, before
// before, with their quizzes, and returns how many flows it deleted (the
// retention job, REBIND_RETAIN_FLOWS). A flow something else still refers
// to stays: one with codes until code.Purge has taken them, and for good a
// reset's flow with a document application or pictures, whose review and
// history (the audit events of its flow) staff keep. An expired flow takes
// no step, so nothing refers to it anew while it is deleted. Several
// instances may purge at once: on PostgreSQL each skips the flows another
// is deleting.
func (s *Store) Purge(ctx context.Context, db *store.DB, before time.Time, limit int) (int64, error) {
	var n int64
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM flows f WHERE f.expires_at <= $1 AND f.updated_at <= $1
			AND NOT EXISTS (SELECT 1 FROM codes c WHERE c.flow_id = f.id)
			AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.flow_id = f.id)
			AND NOT EXISTS (SELECT 1 FROM application_files af WHERE af.flow_id = f.id)
			LIMIT $2`+db.SkipLocked(), store.Millis(before), limit)
		if err != nil {
			return err
		}
		var ids []any
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		marks := make([]string, len(ids))
		for i := range marks {
			marks[i] = fmt.Sprintf("$%d", i+1)
		}
		in := "(" + strings.Join(marks, ", ") + ")"
		// A quiz is a step of its flow; the chances it used are counted
		// in accounts (quiz_used), not here.
		if _, err := tx.ExecContext(ctx, "DELETE FROM quizzes WHERE flow_id IN "+in, ids...); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM flows WHERE id IN "+in, ids...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("flow: purge: %w", store.Translate(err))
	}
	return n, nil
}
