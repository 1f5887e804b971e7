package demo

import (
	"context"
	"math"
	"reflect"
	"testing"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// cheap hashes in microseconds; the format is the real one, so Verify
// works on what the tests store.
var cheap = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestSeedWritesTheGeneratedRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var progress []int
		o := Options{Accounts: 300, Seed: 11, Now: testNow, Batch: 120, Hasher: password.NewHasher(cheap, 1),
			Progress: func(done int) { progress = append(progress, done) }}
		sum, err := Seed(ctx, db, o)
		if err != nil {
			t.Fatal(err)
		}
		var want Summary
		p := DefaultPopulation()
		for i := range 300 {
			want.add(p.At(11, i, testNow))
		}
		if sum != want {
			t.Errorf("summary %+v, want %+v", sum, want)
		}
		if !reflect.DeepEqual(progress, []int{120, 240, 300}) {
			t.Errorf("progress %v, want after each batch", progress)
		}
		if got := countRows(t, db); got != want {
			t.Errorf("rows in the database %+v, want %+v", got, want)
		}
		checkStoredAccount(t, db, p.At(11, 123, testNow), o)

		_, err = Seed(ctx, db, Options{Accounts: 5, First: 299, Seed: 11, Now: testNow, Hasher: o.Hasher})
		if !apperr.Is(err, apperr.Conflict) {
			t.Errorf("seeding a taken index: %v, want conflict", err)
		}
		if sum, err := Seed(ctx, db, Options{Accounts: 5, First: 300, Seed: 11, Now: testNow, Hasher: o.Hasher}); err != nil || sum.Accounts != 5 {
			t.Errorf("seeding after the first run: %+v, %v", sum, err)
		}
	})
}

// History 0.2 writes the thinned population's accounts, with well under
// half the activity rows of the same accounts at full history; a share
// outside (0, 1] is refused before anything is written.
func TestSeedHistoryThinsTheActivity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := password.NewHasher(cheap, 1)
		sum, err := Seed(ctx, db, Options{Accounts: 300, Seed: 11, Now: testNow, Hasher: h, History: 0.2})
		if err != nil {
			t.Fatal(err)
		}
		var thinned, full Summary
		for i := range 300 {
			thinned.add(DefaultPopulation().Thinned(0.2).At(11, i, testNow))
			full.add(DefaultPopulation().At(11, i, testNow))
		}
		if sum != thinned {
			t.Errorf("summary %+v, want the thinned population's %+v", sum, thinned)
		}
		if got := countRows(t, db); got != thinned {
			t.Errorf("rows in the database %+v, want %+v", got, thinned)
		}
		if a, b := thinned.Rows()-thinned.Accounts, full.Rows()-full.Accounts; 2*a >= b {
			t.Errorf("%d activity rows at history 0.2, %d at full history", a, b)
		}
		for _, bad := range []float64{-0.1, 1.5, math.NaN()} {
			if _, err := Seed(ctx, db, Options{Accounts: 5, First: 300, Seed: 11, Now: testNow, Hasher: h, History: bad}); err == nil {
				t.Errorf("history %v accepted", bad)
			}
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM accounts"); n != 300 {
			t.Errorf("%d accounts after the refused runs, want 300", n)
		}
	})
}

func countRows(t *testing.T, db *store.DB) Summary {
	t.Helper()
	var s Summary
	for _, c := range []struct {
		n   *int
		sql string
	}{
		{&s.Accounts, "SELECT COUNT(*) FROM accounts"},
		{&s.Deposits, "SELECT COUNT(*) FROM transfers WHERE direction = 'deposit'"},
		{&s.Withdrawals, "SELECT COUNT(*) FROM transfers WHERE direction = 'withdrawal'"},
		{&s.Logins, "SELECT COUNT(*) FROM logins"},
		{&s.Trades, "SELECT COUNT(*) FROM trades"},
		{&s.Balances, "SELECT COUNT(*) FROM balances"},
		{&s.Products, "SELECT COUNT(*) FROM product_uses"},
	} {
		if err := db.QueryRowContext(context.Background(), c.sql).Scan(c.n); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// checkStoredAccount reads one bulk account back through the account store
// and signs in with the bulk password.
func checkStoredAccount(t *testing.T, db *store.DB, g Generated, o Options) {
	t.Helper()
	ctx := context.Background()
	a, err := account.NewStore(fixedClock(testNow)).ByEmail(ctx, db, g.Email)
	if err != nil {
		t.Fatal(err)
	}
	if a.Mobile != g.Mobile || a.MobileVerification != (g.Mobile != "") || a.KYC != g.KYC || !a.RegisteredAt.Equal(g.RegisteredAt) {
		t.Errorf("stored %+v, generated %+v", a, g)
	}
	if ok, err := o.Hasher.Verify(ctx, BulkPassword, a.PasswordHash); !ok || err != nil {
		t.Errorf("the bulk password does not sign in: %v", err)
	}
	var trades int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM trades WHERE account_id = $1", a.ID).Scan(&trades); err != nil {
		t.Fatal(err)
	}
	if trades != len(g.Activity.Trades) {
		t.Errorf("%d trades stored, %d generated", trades, len(g.Activity.Trades))
	}
}

func TestSeedNamedIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := password.NewHasher(cheap, 1)
		first, err := SeedNamed(ctx, db, h, testNow)
		if err != nil {
			t.Fatal(err)
		}
		again, err := SeedNamed(ctx, db, h, testNow.Add(day))
		if err != nil {
			t.Fatal(err)
		}
		var want Summary
		for k := range first {
			if !first[k].Created || again[k].Created || first[k].ID != again[k].ID {
				t.Errorf("%s: created %v then %v, ids %s and %s", first[k].Email,
					first[k].Created, again[k].Created, first[k].ID, again[k].ID)
			}
			want.add(first[k].Generated)
		}
		if got := countRows(t, db); got != want {
			t.Errorf("rows %+v, want those of the first run %+v", got, want)
		}
		a, err := account.NewStore(fixedClock(testNow)).ByEmail(ctx, db, first[0].Email)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := h.Verify(ctx, first[0].Password, a.PasswordHash); !ok || a.SecondFactor() != "sms" || !a.KYC {
			t.Errorf("%s: password ok %v, second factor %s, KYC %v", a.Email, ok, a.SecondFactor(), a.KYC)
		}
	})
}

// BenchmarkSeed reports the time per account written, history included.
func BenchmarkSeed(b *testing.B) {
	for _, d := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(d.name, func(b *testing.B) {
			db := d.open(b)
			b.ResetTimer()
			sum, err := Seed(context.Background(), db, Options{Accounts: b.N, Seed: 1, Hasher: password.NewHasher(cheap, 1)})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(sum.Rows())/float64(b.N), "rows/account")
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	p := DefaultPopulation()
	for i := range b.N {
		p.At(1, i, testNow)
	}
}
