package ratelimit_test

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

var start = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func TestTakeStopsAtLimitAndRecovers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewFake(start.Add(10 * time.Minute))
		l := ratelimit.New(clk)
		hour := ratelimit.Rule{Name: "test_hour", Limit: 3, Window: time.Hour}
		for i := range 3 {
			if err := l.Take(ctx, db, "+6581234567", hour); err != nil {
				t.Fatalf("take %d: %v", i, err)
			}
		}
		err := l.Take(ctx, db, "+6581234567", hour)
		if !apperr.Is(err, apperr.RateLimited) {
			t.Fatalf("4th take = %v, want rate_limited", err)
		}
		if got := apperr.RetryAfter(err); got != "3000" {
			t.Fatalf("Retry-After = %q, want 3000 (50 minutes)", got)
		}
		if err := l.Take(ctx, db, "+6581234568", hour); err != nil {
			t.Fatalf("another subject was limited: %v", err)
		}
		clk.Advance(50 * time.Minute)
		if err := l.Take(ctx, db, "+6581234567", hour); err != nil {
			t.Fatalf("take in the next window: %v", err)
		}
	})
}

func TestTakeIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := ratelimit.New(clock.NewFake(start))
		loose := ratelimit.Rule{Name: "loose", Limit: 10, Window: time.Hour}
		tight := ratelimit.Rule{Name: "tight", Limit: 1, Window: 24 * time.Hour}
		if err := l.Take(ctx, db, "s", loose, tight); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := l.Take(ctx, db, "s", loose, tight); !apperr.Is(err, apperr.RateLimited) {
				t.Fatalf("take over the tight rule = %v", err)
			}
		}
		// Refused takes gave their count back to the loose rule.
		if left := remaining(t, l, db, "s", loose); left != 9 {
			t.Fatalf("loose rule has %d left, want 9", left)
		}
	})
}

// TestTakeUnderConcurrency fires 50 takes at once at a limit of 5: exactly 5
// pass (SEC-RACE-6, ASVS v5.0.0-15.4.2).
func TestTakeUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := ratelimit.New(clock.NewFake(start))
		rules := []ratelimit.Rule{{Name: "burst", Limit: 5, Window: time.Hour}, {Name: "day", Limit: 8, Window: 24 * time.Hour}}
		var ok, limited atomic.Int32
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for range 50 {
			wg.Go(func() {
				<-gate
				err := db.Tx(ctx, func(tx *sql.Tx) error { return l.Take(ctx, tx, "victim", rules...) })
				switch {
				case err == nil:
					ok.Add(1)
				case apperr.Is(err, apperr.RateLimited):
					limited.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		close(gate)
		wg.Wait()
		if ok.Load() != 5 || limited.Load() != 45 {
			t.Fatalf("%d passed and %d were limited; want 5 and 45", ok.Load(), limited.Load())
		}
		if left := remaining(t, l, db, "victim", rules[1]); left != 3 {
			t.Fatalf("day rule has %d left, want 3", left)
		}
	})
}

func TestPurgeDropsEndedWindows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewFake(start)
		l := ratelimit.New(clk)
		r := ratelimit.Rule{Name: "p", Limit: 1, Window: time.Minute}
		if err := l.Take(ctx, db, "a", r); err != nil {
			t.Fatal(err)
		}
		if n, err := l.Purge(ctx, db); err != nil || n != 0 {
			t.Fatalf("purged %d live counters (%v)", n, err)
		}
		clk.Advance(2 * time.Minute)
		if n, err := l.Purge(ctx, db); err != nil || n != 1 {
			t.Fatalf("purged %d ended counters (%v), want 1", n, err)
		}
	})
}

// remaining is Remaining for a test: an error fails it.
func remaining(t *testing.T, l *ratelimit.Limiter, db *store.DB, subject string, r ratelimit.Rule) int {
	t.Helper()
	left, err := l.Remaining(context.Background(), db, subject, r)
	if err != nil {
		t.Fatal(err)
	}
	return left
}
