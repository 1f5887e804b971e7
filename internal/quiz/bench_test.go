package quiz_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/demo"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// heavyAccount stores an account with rows activity rows: 60% trades over
// 40 markets, 20% withdrawals to 12 addresses, 20% deposits, written with
// multi-row inserts.
func heavyAccount(b *testing.B, db *store.DB, rows int) string {
	id := storetest.Account(b, db)
	ctx := context.Background()
	markets := []string{}
	for _, m := range []string{"BTC", "ETH", "SOL", "XRP", "DOGE", "ADA", "TRX", "TON", "LTC", "LINK", "AVAX", "DOT", "SHIB", "BCH", "POL", "ATOM", "XLM", "NEAR", "APT", "ARB"} {
		markets = append(markets, m+"/USDT", m+"/USDC")
	}
	insert := func(table, cols string, n int, row func(i int) []any) {
		const batch = 500
		for start := 0; start < n; start += batch {
			end := min(start+batch, n)
			var marks []string
			var args []any
			for i := start; i < end; i++ {
				vals := row(i)
				ph := make([]string, len(vals))
				for j := range vals {
					args = append(args, vals[j])
					ph[j] = fmt.Sprintf("$%d", len(args))
				}
				marks = append(marks, "("+strings.Join(ph, ",")+")")
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO "+table+" ("+cols+") VALUES "+strings.Join(marks, ","), args...); err != nil {
				b.Fatal(err)
			}
		}
	}
	t0 := store.Millis(now.Add(-700 * 24 * time.Hour))
	trades, transfers := rows*6/10, rows*2/10
	insert("trades", "account_id, external_id, market, side, at", trades, func(i int) []any {
		side := "buy"
		if i%3 == 0 {
			side = "sell"
		}
		return []any{id, fmt.Sprintf("t%d", i), markets[i%len(markets)], side, t0 + int64(i)*1000}
	})
	for _, dir := range []string{"withdrawal", "deposit"} {
		insert("transfers", "account_id, direction, external_id, coin, network, amount, address, txid, at", transfers, func(i int) []any {
			return []any{id, dir, fmt.Sprintf("%s%d", dir, i), "USDT", "TRC20", "10", fmt.Sprintf("T%s%033d", dir[:1], i%12), fmt.Sprintf("x%s%d", dir, i), t0 + int64(i)*1000}
		})
	}
	db.ExecContext(ctx, "INSERT INTO balances (account_id, asset, amount, updated_at) VALUES ($1, 'BTC', '1', 0), ($1, 'ETH', '2', 0), ($1, 'SOL', '3', 0)", id)
	return id
}

// BenchmarkIssue measures handing out a quiz (facts, option sets, storing)
// for an account with 100,000 activity rows, in a database of 2,000 demo
// accounts. Each iteration starts a fresh chance window, so the option sets
// are built every time: the slowest case, the first chance. It reports the
// 50th and 99th percentile.
func BenchmarkIssue(b *testing.B) {
	for name, open := range map[string]func(testing.TB) *store.DB{"sqlite": storetest.SQLite, "postgres": storetest.Postgres} {
		b.Run(name, func(b *testing.B) {
			db := open(b)
			ctx := context.Background()
			pop := demo.DefaultPopulation()
			var gens []demo.Generated
			for i := range 2000 {
				gens = append(gens, pop.At(7, i, now))
			}
			if _, err := demo.Insert(ctx, db, gens, "x"); err != nil {
				b.Fatal(err)
			}
			id := heavyAccount(b, db, 100_000)
			if db.Dialect == store.Postgres {
				db.ExecContext(ctx, "ANALYZE")
			}
			s := service(b, clock.NewFake(now))
			var took []time.Duration
			for b.Loop() {
				s.Renew(ctx, db, id)
				flowID := newFlow(b, db, id)
				start := time.Now()
				err := db.Tx(ctx, func(tx *sql.Tx) error {
					_, err := s.Issue(ctx, tx, flowID, id)
					return err
				})
				took = append(took, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
			}
			sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkEstimate measures the hourly estimate (base rates, decoy
// weights, and the simulated quizzes behind each value's chance of being
// right and the links) over 1,000 accounts sampled from 2,400 demo
// accounts.
func BenchmarkEstimate(b *testing.B) {
	db := storetest.SQLite(b)
	generated(b, db, 2026, 0, 2400)
	for b.Loop() {
		if _, err := quiz.EstimateRates(context.Background(), db, rand.New(rand.NewPCG(1, 2)), now, 1000); err != nil {
			b.Fatal(err)
		}
	}
}
