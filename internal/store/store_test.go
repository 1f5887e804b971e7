package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

func TestMigrateIsIdempotentAndComplete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		applied, err := db.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second Migrate = %v, %v; want nothing applied", applied, err)
		}
		pending, err := db.Pending(ctx)
		if err != nil || pending != 0 {
			t.Fatalf("Pending = %d, %v", pending, err)
		}
	})
}

func TestConcurrentMigrate(t *testing.T) {
	// Several instances starting at once must not apply a migration twice.
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			var url string
			if name == "sqlite" {
				url = storetest.SQLiteURL(t)
			} else {
				url = storetest.PostgresURL(t)
			}
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 {
				wg.Go(func() {
					db, err := store.Open(ctx, url)
					if err != nil {
						errs <- err
						return
					}
					defer db.Close()
					_, err = db.Migrate(ctx)
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			db, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var n int
			if err := db.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
				t.Fatal(err)
			}
			list, _ := store.Migrations(db.Dialect)
			if n != len(list) {
				t.Fatalf("schema_migrations has %d rows, want %d", n, len(list))
			}
		})
	}
}

func TestTranslate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		insert := "INSERT INTO dev_messages (id, channel, recipient, subject, body, created_at) VALUES ($1, 'email', 'a', 'b', 'c', 0)"
		if _, err := db.ExecContext(ctx, insert, "x"); err != nil {
			t.Fatal(err)
		}
		_, err := db.ExecContext(ctx, insert, "x")
		if !apperr.Is(store.Translate(err), apperr.Conflict) {
			t.Fatalf("duplicate key: Translate(%v) is not conflict", err)
		}
		var s string
		err = db.QueryRowContext(ctx, "SELECT body FROM dev_messages WHERE id = $1", "nope").Scan(&s)
		if !apperr.Is(store.Translate(err), apperr.NotFound) {
			t.Fatalf("no rows: Translate(%v) is not not_found", err)
		}
		other := errors.New("something else")
		if store.Translate(other) != other {
			t.Fatal("Translate changed an unrelated error")
		}
	})
}

func TestAuditEventsAreAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		_, err := db.ExecContext(ctx, `INSERT INTO audit_events (seq, at, actor, action, result, ip, request_id, detail, prev_hash, hash)
			VALUES (1, 0, 'system', 'test', 'ok', '', '', '{}', 'p', 'h')`)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "UPDATE audit_events SET result = 'forged'"); err == nil {
			t.Error("UPDATE of audit_events succeeded")
		}
		if _, err := db.ExecContext(ctx, "DELETE FROM audit_events"); err == nil {
			t.Error("DELETE of audit_events succeeded")
		}
	})
}

func TestTxRollsBackOnError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO dev_messages (id, channel, recipient, subject, body, created_at) VALUES ('r', 'sms', 'a', 'b', 'c', 0)"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx returned %v", err)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM dev_messages"); n != 0 {
			t.Fatalf("rolled-back insert is visible: %d rows", n)
		}
	})
}

func TestSQLitePath(t *testing.T) {
	cases := map[string]string{
		"sqlite:///var/lib/rebind.db": "/var/lib/rebind.db",
		"sqlite:data/rebind.db":       "data/rebind.db",
	}
	for in, want := range cases {
		got, err := store.SQLitePath(in)
		if err != nil || got != want {
			t.Errorf("SQLitePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"sqlite:", "sqlite://host/x.db", "sqlite:x.db?mode=memory"} {
		if _, err := store.SQLitePath(bad); err == nil {
			t.Errorf("SQLitePath(%q) accepted", bad)
		}
	}
	if _, err := store.Open(context.Background(), "mysql://x"); err == nil {
		t.Error("Open accepted a mysql URL")
	}
}

// Issue 13, item 9: a build refuses a schema that a newer release
// migrated, whether it would migrate (dev) or only check (production).
func TestSchemaNewerThanTheBuildIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		list, err := store.Migrations(db.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := db.Pending(ctx); err != nil || n != 0 {
			t.Fatalf("Pending on a current schema = %d, %v", n, err)
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from_the_future', 0)", len(list)+1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Pending(ctx); err == nil || !strings.Contains(err.Error(), "newer than this build knows") {
			t.Errorf("Pending on a newer schema: %v", err)
		}
		if _, err := db.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "newer than this build knows") {
			t.Errorf("Migrate on a newer schema: %v", err)
		}
	})
}
