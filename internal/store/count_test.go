package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// A counted database runs every statement on the real database and counts,
// for the context that carries the counts, each statement, each committed
// transaction and each write that commits on its own; statements of other
// contexts are not counted.
func TestCountedDatabase(t *testing.T) {
	for _, kind := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", storetest.SQLiteURL}, {"postgres", storetest.PostgresURL}} {
		t.Run(kind.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, kind.url(t), store.Counted())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			var c store.Counts
			counted := store.WithCounts(ctx, &c)
			exec := func(ctx context.Context, q store.Querier, query string) {
				t.Helper()
				if _, err := q.ExecContext(ctx, query); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
			}
			want := func(step string, statements, commits, rollbacks int) {
				t.Helper()
				got := c.Take()
				if got.Statements != statements || got.Commits != commits || got.Rollbacks != rollbacks {
					t.Fatalf("%s: %s; want %d statements, %d commits, %d rollbacks", step, got, statements, commits, rollbacks)
				}
			}

			exec(ctx, db, "CREATE TABLE counted (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
			exec(ctx, db, "INSERT INTO counted (id, n) VALUES (1, 0)")
			want("another context's statements", 0, 0, 0)

			var n int
			if err := db.QueryRowContext(counted, "SELECT n FROM counted WHERE id = 1").Scan(&n); err != nil || n != 0 {
				t.Fatalf("n = %d, %v", n, err)
			}
			if err := db.QueryRowContext(counted, "WITH r AS (SELECT n FROM counted WHERE id = 1) SELECT n FROM r").Scan(&n); err != nil {
				t.Fatal(err)
			}
			want("reads alone", 2, 0, 0)
			exec(counted, db, "UPDATE counted SET n = n + 1 WHERE id = 1")
			exec(counted, db, "WITH r AS (SELECT id FROM counted) UPDATE counted SET n = n + 0 WHERE id IN (SELECT id FROM r)")
			want("writes alone", 2, 2, 0)

			err = db.Tx(counted, func(tx *sql.Tx) error {
				exec(counted, tx, "UPDATE counted SET n = n + 1 WHERE id = 1")
				stmt, err := tx.PrepareContext(counted, "UPDATE counted SET n = n + $1 WHERE id = 1")
				if err != nil {
					return err
				}
				defer stmt.Close()
				for range 2 {
					if _, err := stmt.ExecContext(counted, 1); err != nil {
						return err
					}
				}
				var n int
				return tx.QueryRowContext(counted, "SELECT n FROM counted WHERE id = 1").Scan(&n)
			})
			if err != nil {
				t.Fatal(err)
			}
			want("a transaction", 4, 1, 0)

			boom := errors.New("boom")
			err = db.Tx(counted, func(tx *sql.Tx) error {
				exec(counted, tx, "UPDATE counted SET n = n + 100 WHERE id = 1")
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("Tx: %v", err)
			}
			want("a rolled-back transaction", 1, 0, 1)

			// The database ran what was counted: 1 alone, 3 in the
			// transaction, none of the rolled-back one.
			if n := storetest.Count(t, db, "SELECT n FROM counted WHERE id = 1"); n != 4 {
				t.Fatalf("n = %d, want 4", n)
			}
			want("another context's read", 0, 0, 0)
		})
	}
}
