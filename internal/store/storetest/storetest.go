// Package storetest opens real databases for tests: a fresh SQLite file, and
// a fresh PostgreSQL schema when REBIND_TEST_DATABASE_URL names a server.
// Setting REBIND_TEST_REQUIRE_POSTGRES=1 (CI does) turns a missing
// PostgreSQL into a failure instead of a skip.
package storetest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// Each runs fn as a subtest on every available database, each migrated and
// empty: "sqlite" always, "postgres" when configured.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a migrated database in a fresh file, closed when the test
// ends.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return openMigrated(t, SQLiteURL(t))
}

// SQLiteURL returns the URL of a fresh SQLite file in the test's temporary
// folder.
func SQLiteURL(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "rebind.db")
}

// Postgres returns a migrated database in a fresh schema, dropped when the
// test ends. Without a configured server the test is skipped (or fails, when
// PostgreSQL is required).
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	return openMigrated(t, PostgresURL(t))
}

// PostgresURL creates a fresh, empty schema and returns a URL whose
// connections use it, so several servers in one test can share it.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("REBIND_TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("REBIND_TEST_REQUIRE_POSTGRES") == "1" {
			t.Fatal("REBIND_TEST_REQUIRE_POSTGRES=1 but REBIND_TEST_DATABASE_URL is not set")
		}
		t.Skip("PostgreSQL not configured: set REBIND_TEST_DATABASE_URL to run this test on it")
	}
	admin, err := adminDB(base)
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	schema := "rebind_test_" + token.NewID()
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("REBIND_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func openMigrated(t testing.TB, rawURL string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, rawURL)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return db
}

var (
	adminOnce sync.Once
	admin     *sql.DB
	adminErr  error
)

// adminDB is one shared connection pool to the test server, used to create
// and drop schemas.
func adminDB(base string) (*sql.DB, error) {
	adminOnce.Do(func() {
		var db *store.DB
		db, adminErr = store.Open(context.Background(), base)
		if adminErr == nil {
			db.SetMaxOpenConns(2)
			admin = db.DB
		}
	})
	return admin, adminErr
}

// Value runs a query that returns one row of one column and returns that
// column as a T. It fails the test when the query fails or finds no row, so
// an assertion on the value never passes because the query did not run.
func Value[T any](t testing.TB, q store.Querier, query string, args ...any) T {
	t.Helper()
	var v T
	if err := q.QueryRowContext(context.Background(), query, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

// Count runs a query that returns one number, such as SELECT count(*), and
// fails the test when the query fails.
func Count(t testing.TB, q store.Querier, query string, args ...any) int {
	t.Helper()
	return Value[int](t, q, query, args...)
}

// Account inserts a bare account (no password that verifies, no mobile) for
// tests of tables that refer to accounts, and returns its id.
func Account(t testing.TB, db *store.DB) string {
	t.Helper()
	id := token.NewID()
	_, err := db.ExecContext(context.Background(), `INSERT INTO accounts (id, email, email_norm, password_hash, registered_at, created_at, updated_at)
		VALUES ($1, $2, $2, 'x', 0, 0, 0)`, id, id+"@example.com")
	if err != nil {
		t.Fatalf("insert test account: %v", err)
	}
	return id
}
