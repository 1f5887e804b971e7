package quiz_test

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// errRollBack ends a measured transaction without writing anything.
var errRollBack = errors.New("roll back")

// TestIssueAtScale measures handing out quizzes on a database that already
// holds many accounts, such as one filled by `rebind demo --accounts
// 1000000 --history 0.2` (docs/benchmarks.md, "Scale: 1,000,000 accounts").
// It is a measurement, run by hand and skipped unless
// REBIND_SCALE_DATABASE_URL names the database; it never writes to it.
//
// It times the first estimate of the base rates (what the first quiz after
// a start waits for), then picks REBIND_SCALE_ACCOUNTS (default 2,000)
// random accounts with a trade or a transfer (the same ones every run on
// the same database) and times Service.Issue for each in a transaction
// that it rolls back: every quiz is a first chance (option sets drawn and
// stored), the slowest case, and the commit is not timed. It reports
// p50/p95/p99/max of the quizzes issued, of the refusals (quiz_unavailable:
// too little history) and of the account's read queries alone (quiz.Load,
// run again after each issue, so the database's share can be told from the
// rest), with the slowest accounts, whose queries EXPLAIN can then show.
// It fails on any other error and if a quiz or option set was left in the
// database.
func TestIssueAtScale(t *testing.T) {
	url := os.Getenv("REBIND_SCALE_DATABASE_URL")
	if url == "" {
		t.Skip("set REBIND_SCALE_DATABASE_URL to a database filled by rebind demo to measure quiz generation at scale")
	}
	n := 2000
	if v := os.Getenv("REBIND_SCALE_ACCOUNTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			t.Fatalf("REBIND_SCALE_ACCOUNTS=%q: want a positive count", v)
		}
	}
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored := func() int {
		var q, o int
		if err := db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM quizzes), (SELECT count(*) FROM quiz_options)").Scan(&q, &o); err != nil {
			t.Fatal(err)
		}
		return q + o
	}
	before := stored()

	s := service(t, clock.Real{})
	start := time.Now()
	if _, err := s.Rates(ctx, db); err != nil {
		t.Fatal(err)
	}
	t.Logf("first estimate of the base rates: %v", time.Since(start).Round(time.Millisecond))

	ids := scaleAccounts(t, db, n)
	var issued, refused, facts timings
	for _, id := range ids {
		var took time.Duration
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			flowID := token.NewID()
			if _, err := tx.ExecContext(ctx, `INSERT INTO flows (id, kind, account_id, state, created_at, updated_at, expires_at, ip)
				VALUES ($1, 'mobile_reset', $2, 'method_required', 0, 0, $3, '')`, flowID, id, store.Millis(time.Now().Add(time.Hour))); err != nil {
				return err
			}
			t0 := time.Now()
			_, err := s.Issue(ctx, tx, flowID, id)
			took = time.Since(t0)
			if err != nil {
				return err
			}
			return errRollBack
		})
		switch {
		case errors.Is(err, errRollBack):
			issued = append(issued, timed{id, took})
		case apperr.Is(err, apperr.QuizUnavailable):
			refused = append(refused, timed{id, took})
		default:
			t.Fatalf("account %s: %v", id, err)
		}
		// The facts alone (the account's read queries), again: what of
		// the time above is the database's.
		t0 := time.Now()
		if _, err := quiz.Load(ctx, db, id, time.Now()); err != nil {
			t.Fatal(err)
		}
		facts = append(facts, timed{id, time.Since(t0)})
	}
	t.Logf("%d accounts: %d quizzes issued, %d refused (quiz_unavailable)", len(ids), len(issued), len(refused))
	for _, c := range []struct {
		what string
		ts   timings
	}{{"issued", issued}, {"refused", refused}, {"facts alone (quiz.Load, after the issue)", facts}} {
		if len(c.ts) == 0 {
			continue
		}
		slices.SortFunc(c.ts, func(a, b timed) int { return int(a.took - b.took) })
		t.Logf("%s: p50 %s  p95 %s  p99 %s  max %s", c.what, c.ts.at(0.50), c.ts.at(0.95), c.ts.at(0.99), c.ts[len(c.ts)-1].took.Round(time.Microsecond))
		for _, x := range c.ts[max(0, len(c.ts)-3):] {
			t.Logf("  slow %s: %s %s", c.what, x.id, x.took.Round(time.Microsecond))
		}
	}
	if len(issued) == 0 {
		t.Error("no quiz was issued: the database holds no account with history enough")
	}
	if after := stored(); after != before {
		t.Errorf("%d quizzes and option sets in the database after the run, %d before: the measurement wrote", after, before)
	}
}

type timed struct {
	id   string
	took time.Duration
}

type timings []timed

// at returns the q-quantile of sorted timings (nearest rank).
func (ts timings) at(q float64) string {
	i := min(len(ts)-1, max(0, int(float64(len(ts))*q+0.5)-1))
	return ts[i].took.Round(time.Microsecond).String()
}

// scaleAccounts returns n distinct random accounts with a trade or a
// transfer, found from random points in the id space by index probes, the
// same ones for the same database every run.
func scaleAccounts(t *testing.T, db *store.DB, n int) []string {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(12, 2026))
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	seen := map[string]bool{}
	var out []string
	for probe := 0; len(out) < n; probe++ {
		if probe > 20*n {
			t.Fatalf("found %d accounts with history after %d probes, want %d", len(out), probe, n)
		}
		b := make([]byte, 26)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		var id *string
		if err := db.QueryRowContext(ctx, "SELECT min(id) FROM accounts WHERE id >= $1", string(b)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if id == nil || seen[*id] {
			continue
		}
		seen[*id] = true
		var history bool
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM trades WHERE account_id = $1)
			OR EXISTS (SELECT 1 FROM transfers WHERE account_id = $1)`, *id).Scan(&history); err != nil {
			t.Fatal(err)
		}
		if history {
			out = append(out, *id)
		}
	}
	return out
}
