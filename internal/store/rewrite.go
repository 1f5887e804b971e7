package store

import (
	"context"
	"fmt"
)

// Rewritten counts what Rewrite did.
type Rewritten struct {
	// Changed values were rewritten; Kept needed no change; Failed could
	// not be rewritten (fn's error) and were left as they were.
	Changed, Kept, Failed int
}

// Rewrite passes every non-null value of column in table, with its row's
// id, to fn, and writes back what fn returns where it says changed. Each
// row is written in one conditional statement: a row whose value changed
// meanwhile keeps the newer value. table and column are names from the
// code, never input.
func (db *DB) Rewrite(ctx context.Context, table, column string, fn func(id, value string) (string, bool, error)) (Rewritten, error) {
	var out Rewritten
	rows, err := db.QueryContext(ctx, fmt.Sprintf("SELECT id, %s FROM %s WHERE %s IS NOT NULL", column, table, column))
	if err != nil {
		return out, fmt.Errorf("rewrite %s.%s: %w", table, column, Translate(err))
	}
	values := map[string]string{}
	for rows.Next() {
		var id, v string
		if err := rows.Scan(&id, &v); err != nil {
			rows.Close()
			return out, fmt.Errorf("rewrite %s.%s: %w", table, column, Translate(err))
		}
		values[id] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("rewrite %s.%s: %w", table, column, Translate(err))
	}
	update := fmt.Sprintf("UPDATE %s SET %s = $1 WHERE id = $2 AND %s = $3", table, column, column)
	for id, v := range values {
		again, changed, err := fn(id, v)
		switch {
		case err != nil:
			out.Failed++
			continue
		case !changed:
			out.Kept++
			continue
		}
		if _, err := db.ExecContext(ctx, update, again, id, v); err != nil {
			return out, fmt.Errorf("rewrite %s.%s of %s: %w", table, column, id, Translate(err))
		}
		out.Changed++
	}
	return out, nil
}
