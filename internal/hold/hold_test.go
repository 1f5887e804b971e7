package hold_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
	"github.com/rebindhq/rebind/internal/token"
)

var t0 = time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)

// SEC-REC-12/13: the hold covers 24 h to the second and only extends.
func TestHoldEndsAndOnlyExtends(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewFake(t0)
		hs := hold.NewStore(clk)
		acc := storetest.Account(t, db)
		if e, err := hs.WithdrawalEligibility(ctx, db, acc); err != nil || !e.Allowed || e.Until != nil || len(e.Reasons) != 0 {
			t.Fatalf("no hold: %+v, %v", e, err)
		}
		end, err := hs.Extend(ctx, db, acc, hold.MobileReset, 24*time.Hour)
		if err != nil || !end.Equal(t0.Add(24*time.Hour)) {
			t.Fatalf("Extend = %v, %v", end, err)
		}
		clk.Set(t0.Add(24*time.Hour - time.Second))
		e := ok(hs.WithdrawalEligibility(ctx, db, acc))(t)
		if e.Allowed || e.Until == nil || !e.Until.Equal(end) || e.Reasons[0] != hold.MobileReset {
			t.Fatalf("at T+23:59:59: %+v", e)
		}
		// A shorter hold during a longer one does not shorten it.
		clk.Set(t0.Add(time.Hour))
		if got := ok(hs.Extend(ctx, db, acc, hold.MobileReset, time.Hour))(t); !got.Equal(end) {
			t.Fatalf("a shorter extension moved the end to %v", got)
		}
		// A new change at T+20h moves the end to T+44h.
		clk.Set(t0.Add(20 * time.Hour))
		if got := ok(hs.Extend(ctx, db, acc, hold.MobileReset, 24*time.Hour))(t); !got.Equal(t0.Add(44 * time.Hour)) {
			t.Fatalf("extension at T+20h ends at %v", got)
		}
		clk.Set(t0.Add(44*time.Hour + time.Second))
		if e := ok(hs.WithdrawalEligibility(ctx, db, acc))(t); !e.Allowed {
			t.Fatalf("after the hold: %+v", e)
		}
	})
}

func TestSeveralReasonsAndFrozen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewFake(t0)
		hs := hold.NewStore(clk)
		acc := storetest.Account(t, db)
		ok(hs.Extend(ctx, db, acc, hold.PasswordReset, 2*time.Hour))(t)
		ok(hs.Extend(ctx, db, acc, hold.MobileChange, 24*time.Hour))(t)
		e := ok(hs.WithdrawalEligibility(ctx, db, acc))(t)
		if e.Allowed || len(e.Reasons) != 2 || e.Reasons[0] != hold.MobileChange || !e.Until.Equal(t0.Add(24*time.Hour)) {
			t.Fatalf("two holds: %+v", e)
		}
		active := ok(hs.Active(ctx, db, acc))(t)
		if len(active) != 2 {
			t.Fatalf("Active = %+v", active)
		}
		ok(db.ExecContext(ctx, "UPDATE accounts SET frozen = TRUE WHERE id = $1", acc))(t)
		e = ok(hs.WithdrawalEligibility(ctx, db, acc))(t)
		if e.Allowed || e.Until != nil || e.Reasons[0] != hold.AccountFrozen {
			t.Fatalf("frozen: %+v", e)
		}
		if _, err := hs.WithdrawalEligibility(ctx, db, token.NewID()); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("unknown account = %v", err)
		}
	})
}

// Concurrent extensions from different moments keep the latest end.
func TestConcurrentExtensionsKeepTheLatestEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		acc := storetest.Account(t, db)
		var wg sync.WaitGroup
		for i := range 30 {
			wg.Go(func() {
				hs := hold.NewStore(clock.NewFake(t0.Add(time.Duration(i) * time.Minute)))
				if _, err := hs.Extend(ctx, db, acc, hold.MobileReset, 24*time.Hour); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		e, _ := hold.NewStore(clock.NewFake(t0)).WithdrawalEligibility(ctx, db, acc)
		if want := t0.Add(29*time.Minute + 24*time.Hour); e.Until == nil || !e.Until.Equal(want) {
			t.Fatalf("hold ends at %v, want %v", e.Until, want)
		}
	})
}

// ok returns the value of a call that must not fail, failing the test
// on its error: ok(f())(t).
func ok[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
