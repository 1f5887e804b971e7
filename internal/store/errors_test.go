package store_test

import (
	"context"
	"testing"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// Text that PostgreSQL cannot store (a NUL, bytes that are not UTF-8) is the
// caller's bad input, not a server fault: if any reaches a query despite
// the checks where requests are read, Translate makes it invalid_request
// (SPEC §5, issue 7). SQLite stores such text, so there the query must simply
// work.
func TestTranslateBadText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, bad := range []string{"a\x00b", "a\xffb"} {
			var n int
			err := db.QueryRowContext(ctx, "SELECT count(*) FROM dev_messages WHERE recipient = $1", bad).Scan(&n)
			switch {
			case db.Dialect == store.SQLite && err != nil:
				t.Fatalf("%q: SQLite refused it: %v", bad, err)
			case db.Dialect == store.SQLite && n != 0:
				t.Fatalf("%q: %d rows in an empty table", bad, n)
			case db.Dialect == store.Postgres && err == nil:
				t.Fatalf("%q: PostgreSQL took it; this test no longer tests the translation", bad)
			case db.Dialect == store.Postgres && !apperr.Is(store.Translate(err), apperr.InvalidRequest):
				t.Fatalf("%q: Translate(%v) = %v, want invalid_request", bad, err, store.Translate(err))
			}
		}
	})
}
