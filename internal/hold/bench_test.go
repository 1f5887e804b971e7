package hold_test

import (
	"context"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// BenchmarkWithdrawalEligibility measures the wallet's hot path against
// 10,000 accounts, a tenth of them held.
func BenchmarkWithdrawalEligibility(b *testing.B) {
	for name, open := range map[string]func(testing.TB) *store.DB{"sqlite": storetest.SQLite, "postgres": storetest.Postgres} {
		b.Run(name, func(b *testing.B) {
			db := open(b)
			ctx := context.Background()
			hs := hold.NewStore(clock.NewFake(t0))
			ids := make([]string, 10000)
			for i := range ids {
				ids[i] = storetest.Account(b, db)
			}
			tx, _ := db.BeginTx(ctx, nil)
			for i := 0; i < len(ids); i += 10 {
				hs.Extend(ctx, tx, ids[i], hold.MobileReset, 24*time.Hour)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			i := 0
			for b.Loop() {
				if _, err := hs.WithdrawalEligibility(ctx, db, ids[i%len(ids)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
