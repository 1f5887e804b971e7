package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

var created = audit.Event{Actor: audit.ActorSystem, Action: audit.AccountCreated, Result: audit.OK}

// Two audited transactions are open at once, each having appended, then
// both commit: appending takes no lock another appender waits for (issue
// 12). Under a single chain head taken at append the second Append waits
// for the first transaction, which waits for the second: the timeout turns
// that deadlock into a failure instead of a hang. PostgreSQL only: SQLite
// has one writer at a time by design.
func TestAppendsDoNotWaitForEachOther(t *testing.T) {
	db := storetest.Postgres(t)
	log := audit.New(clock.Real{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var txs []*sql.Tx
	for range 2 {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if err := log.Append(ctx, tx, created); err != nil {
			t.Fatalf("Append while another audited transaction is open: %v", err)
		}
		txs = append(txs, tx)
	}
	for _, tx := range txs {
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	sealAll(t, log, db, 2)
	if n, err := log.Verify(ctx, db); err != nil || n != 2 {
		t.Fatalf("Verify = %d, %v", n, err)
	}
}

// An event whose transaction commits after a later-numbered one was sealed
// is sealed next, further along the chain, and the chain verifies.
func TestLateCommitIsSealedNext(t *testing.T) {
	db := storetest.Postgres(t)
	log := audit.New(clock.Real{})
	log.Failed = failOn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	late, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer late.Rollback()
	if err := log.Append(ctx, late, audit.Event{Actor: audit.ActorSystem, Action: audit.AccountCreated, Result: audit.OK, FlowID: "late"}); err != nil {
		t.Fatal(err)
	}
	log.Write(ctx, db, audit.Event{Actor: audit.ActorSystem, Action: audit.AccountCreated, Result: audit.OK, FlowID: "early"})
	sealAll(t, log, db, 1)
	if err := late.Commit(); err != nil {
		t.Fatal(err)
	}
	sealAll(t, log, db, 1)
	for flow, want := range map[string][2]int64{"late": {1, 2}, "early": {2, 1}} {
		got, err := log.ByFlow(ctx, db, flow, 1)
		if err != nil || len(got) != 1 || got[0].Seq != want[0] || got[0].ChainPos != want[1] {
			t.Fatalf("%s event = %+v, %v; want number %d at position %d", flow, got, err, want[0], want[1])
		}
	}
	if n, err := log.Verify(ctx, db); err != nil || n != 2 {
		t.Fatalf("Verify = %d, %v", n, err)
	}
}

// Two instances (two connection pools, two Logs) seal the same trail
// again and again while 40 events are appended through both: the trail
// comes out as one chain with no fork, no gap and nothing sealed twice
// (SEC-AUD-5). Without the sealers' lock on the head both read the same
// head and their batches collide.
func TestTwoSealersKeepOneChain(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			dbs := twoHandles(t, dialect)
			logs := []*audit.Log{audit.New(clock.Real{}), audit.New(clock.Real{})}
			ctx := context.Background()
			var done atomic.Bool
			var sealers, appenders sync.WaitGroup
			for i := range 2 {
				logs[i].Failed = failOn(t)
				sealers.Go(func() {
					for !done.Load() {
						if _, err := logs[i].Seal(ctx, dbs[i]); err != nil {
							t.Errorf("sealer %d: %v", i, err)
							return
						}
					}
				})
			}
			for i := range 40 {
				appenders.Go(func() {
					logs[i%2].Write(ctx, dbs[i%2], audit.Event{Actor: audit.ActorSystem, Action: audit.AccountCreated,
						Result: audit.OK, Detail: map[string]string{"i": fmt.Sprint(i)}})
				})
			}
			appenders.Wait()
			done.Store(true)
			sealers.Wait()
			if _, err := logs[0].SealAll(ctx, dbs[0]); err != nil {
				t.Fatal(err)
			}
			if n, err := logs[1].Verify(ctx, dbs[1]); err != nil || n != 40 {
				t.Fatalf("Verify = %d, %v", n, err)
			}
			if b, err := logs[0].Pending(ctx, dbs[0]); err != nil || b.Events != 0 {
				t.Fatalf("Pending = %+v, %v", b, err)
			}
		})
	}
}

// twoHandles opens one fresh, migrated database twice, as two instances
// would.
func twoHandles(t *testing.T, dialect string) []*store.DB {
	t.Helper()
	var url string
	if dialect == "postgres" {
		url = storetest.PostgresURL(t)
	} else {
		url = storetest.SQLiteURL(t)
	}
	var dbs []*store.DB
	for range 2 {
		db, err := store.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		dbs = append(dbs, db)
	}
	return dbs
}

// Pending tells how many events wait and since when; sealing empties it.
func TestPendingCountsUnsealed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		log := audit.New(clock.NewFake(at))
		log.Failed = failOn(t)
		for range 3 {
			log.Write(ctx, db, created)
		}
		if b, err := log.Pending(ctx, db); err != nil || b.Events != 3 || !b.Oldest.Equal(at) {
			t.Fatalf("Pending = %+v, %v; want 3 since %s", b, err, at)
		}
		sealAll(t, log, db, 3)
		if b, err := log.Pending(ctx, db); err != nil || b.Events != 0 || !b.Oldest.IsZero() {
			t.Fatalf("Pending after sealing = %+v, %v", b, err)
		}
	})
}

// The trail refuses every change but sealing: an unsealed event's content
// cannot change (not even while it is being sealed), a sealed event's
// chain columns cannot change, nothing can be deleted (SEC-AUD-5,
// SEC-AUD-6).
func TestOnlySealingMayUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		log := audit.New(clock.Real{})
		log.Failed = failOn(t)
		log.Write(ctx, db, created)
		sealAll(t, log, db, 1)
		log.Write(ctx, db, created) // event 2 stays unsealed
		for _, q := range []string{
			"UPDATE audit_events SET result = 'forged' WHERE seq = 2",
			"UPDATE audit_events SET chain_pos = 2, prev_hash = 'p', hash = 'h', result = 'forged' WHERE seq = 2",
			"UPDATE audit_events SET chain_pos = 2, prev_hash = 'p', hash = 'h', detail = '{\"x\":\"y\"}' WHERE seq = 2",
			"UPDATE audit_events SET hash = 'h' WHERE seq = 2",
			"UPDATE audit_events SET hash = 'h' WHERE seq = 1",
			"UPDATE audit_events SET chain_pos = 7 WHERE seq = 1",
			"UPDATE audit_events SET chain_pos = NULL, prev_hash = '', hash = '' WHERE seq = 1",
			"DELETE FROM audit_events WHERE seq = 2",
			"DELETE FROM audit_events WHERE seq = 1",
		} {
			if _, err := db.ExecContext(ctx, q); err == nil {
				t.Errorf("allowed: %s", q)
			}
		}
		if _, err := db.ExecContext(ctx, "UPDATE audit_events SET chain_pos = 2, prev_hash = 'p', hash = 'h' WHERE seq = 2"); err != nil {
			t.Errorf("the sealing update was refused: %v", err)
		}
	})
}

// A sealed event deleted from the middle of the chain, or two sealed
// events swapping places, break the chain where it happened.
func TestVerifyFindsRemovedAndReordered(t *testing.T) {
	for _, c := range []struct {
		name  string
		stmts []string
		at    int64
	}{
		{"deleted", []string{"DELETE FROM audit_events WHERE seq = 2"}, 2},
		{"reordered", []string{"UPDATE audit_events SET chain_pos = -1 WHERE seq = 2",
			"UPDATE audit_events SET chain_pos = 2 WHERE seq = 3",
			"UPDATE audit_events SET chain_pos = 3 WHERE seq = 2"}, 2},
		{"unsealed", []string{"UPDATE audit_events SET chain_pos = NULL, prev_hash = '', hash = '' WHERE seq = 4"}, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				log := audit.New(clock.Real{})
				log.Failed = failOn(t)
				for range 4 {
					log.Write(ctx, db, created)
				}
				sealAll(t, log, db, 4)
				dropGuard(t, db)
				for _, q := range c.stmts {
					if _, err := db.ExecContext(ctx, q); err != nil {
						t.Fatal(err)
					}
				}
				_, err := log.Verify(ctx, db)
				var broken *audit.BrokenError
				if !errors.As(err, &broken) || broken.Seq != c.at {
					t.Fatalf("Verify = %v, want broken at %d", err, c.at)
				}
			})
		})
	}
}
