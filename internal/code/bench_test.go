package code_test

import (
	"testing"

	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// BenchmarkSendAndCheck measures one code's life: send (slot upsert, two
// rate counters, sealed outbox row) and a right check (count, compare,
// consume).
func BenchmarkSendAndCheck(b *testing.B) {
	for name, open := range map[string]func(testing.TB) *store.DB{"sqlite": storetest.SQLite, "postgres": storetest.Postgres} {
		b.Run(name, func(b *testing.B) {
			db := open(b)
			h := newHarness(b, db)
			h.codes = code.New(h.clk, keys.Set{make([]byte, 32)}, code.Rules{EmailTTL: 600e9, SMSTTL: 300e9, MaxAttempts: 5, MaxSends: 5,
				Cooldown: 60e9, PerHour: 1 << 30, PerDay: 1 << 30}, h.limiter, h.notifier)
			for b.Loop() {
				f := h.flow(b)
				if _, err := h.send(f, code.Login, outbox.SMS, "+6581234567"); err != nil {
					b.Fatal(err)
				}
				if err := h.check(f, code.Login, "000000"); err == nil {
					b.Fatal("a wrong code passed")
				}
			}
		})
	}
}
