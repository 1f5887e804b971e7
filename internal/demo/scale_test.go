package demo

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// TestScale seeds REBIND_DEMO_SCALE accounts (e.g. 100000) into a fresh
// SQLite file and a fresh PostgreSQL schema and logs the wall time and row
// counts. CI does not set the variable: this is a measurement, run by hand
// with go test -run TestScale -v -timeout 30m.
func TestScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("REBIND_DEMO_SCALE"))
	if n <= 0 {
		t.Skip("set REBIND_DEMO_SCALE=100000 to measure seeding at scale")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		start := time.Now()
		sum, err := Seed(context.Background(), db, Options{Accounts: n, Seed: 1, Progress: func(done int) {
			if done%20_000 == 0 {
				t.Logf("%d accounts after %v", done, time.Since(start).Round(time.Second))
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		got := countRows(t, db)
		if got != sum {
			t.Errorf("rows in the database %+v, Seed says %+v", got, sum)
		}
		t.Logf("%s: %d accounts in %v (%.0f rows/s): %+v, %d rows", db.Dialect, n, elapsed.Round(time.Second),
			float64(sum.Rows())/elapsed.Seconds(), got, got.Rows())
	})
}
