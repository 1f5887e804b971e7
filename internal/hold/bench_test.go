package hold_test

import (
	"context"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
	"github.com/rebindhq/rebind/internal/token"
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
			tx, _ := db.BeginTx(ctx, nil)
			for i := range ids {
				ids[i] = token.NewID()
				tx.ExecContext(ctx, `INSERT INTO accounts (id, email, email_norm, password_hash, registered_at, created_at, updated_at)
					VALUES ($1, $2, $2, 'x', 0, 0, 0)`, ids[i], ids[i]+"@example.com")
				if i%10 == 0 {
					hs.Extend(ctx, tx, ids[i], hold.MobileReset, 24*time.Hour)
				}
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
