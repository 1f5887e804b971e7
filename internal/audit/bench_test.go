package audit_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// BenchmarkAppendParallel records events from 32 goroutines at once, each
// in a transaction of its own (audit.Write), on PostgreSQL, with a sealer
// running beside them as in the server: the throughput of audited
// transactions that do nothing else. docs/benchmarks.md has the figures,
// before and after issue 12.
func BenchmarkAppendParallel(b *testing.B) {
	db := storetest.Postgres(b)
	log := audit.New(clock.Real{})
	log.Failed = func(_ context.Context, e audit.Event, err error) { b.Errorf("%s not recorded: %v", e.Action, err) }
	ctx := context.Background()
	b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
	stop := make(chan struct{})
	sealed := make(chan struct{})
	go func() {
		defer close(sealed)
		for {
			select {
			case <-stop:
				return
			case <-time.After(150 * time.Millisecond):
			}
			if _, err := log.Seal(ctx, db); err != nil {
				b.Error(err)
			}
		}
	}()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			log.Write(ctx, db, audit.Event{Actor: audit.ActorSystem, Action: audit.AccountCreated, Result: audit.OK})
		}
	})
	b.StopTimer()
	close(stop)
	<-sealed
	if _, err := log.SealAll(ctx, db); err != nil {
		b.Fatal(err)
	}
}
