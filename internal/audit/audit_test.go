package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

func TestAppendListVerify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := client.With(context.Background(), client.Info{IP: "203.0.113.7", RequestID: "req-1"})
		log := audit.New(clock.NewFake(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)))
		for i := range 3 {
			err := log.Write(ctx, db, audit.Event{Actor: audit.ActorUser, AccountID: "acc1", Action: "login.password",
				Result: audit.OK, Detail: map[string]string{"n": fmt.Sprint(i)}})
			if err != nil {
				t.Fatal(err)
			}
		}
		log.Write(ctx, db, audit.Event{Actor: audit.ActorAnonymous, Action: "login.password", Result: audit.Failed})
		list, err := log.List(ctx, db, "acc1", 0, 10)
		if err != nil || len(list) != 3 {
			t.Fatalf("List = %d events, %v", len(list), err)
		}
		if list[0].Seq != 3 || list[0].IP != "203.0.113.7" || list[0].RequestID != "req-1" || list[0].Detail["n"] != "2" {
			t.Fatalf("newest event = %+v", list[0])
		}
		n, err := log.Verify(ctx, db)
		if err != nil || n != 4 {
			t.Fatalf("Verify = %d, %v", n, err)
		}
	})
}

// TestConcurrentAppendsKeepOneChain writes 40 events at once; the chain must
// come out whole (SEC-AUD-5: tamper evidence needs a single, unforked chain).
func TestConcurrentAppendsKeepOneChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		log := audit.New(clock.Real{})
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				if err := log.Write(ctx, db, audit.Event{Actor: audit.ActorSystem, Action: "test", Result: audit.OK,
					Detail: map[string]string{"i": fmt.Sprint(i)}}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n, err := log.Verify(ctx, db); err != nil || n != 40 {
			t.Fatalf("Verify = %d, %v", n, err)
		}
	})
}

func TestVerifyFindsTampering(t *testing.T) {
	// The table refuses UPDATE and DELETE, so tampering is simulated the way
	// an attacker with the database would do it: drop the guard first.
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		log := audit.New(clock.Real{})
		for range 3 {
			log.Write(ctx, db, audit.Event{Actor: audit.ActorSystem, Action: "test", Result: audit.OK})
		}
		dropGuard(t, db)
		if _, err := db.ExecContext(ctx, "UPDATE audit_events SET result = 'failed' WHERE seq = 2"); err != nil {
			t.Fatal(err)
		}
		_, err := log.Verify(ctx, db)
		var broken *audit.BrokenError
		if !errors.As(err, &broken) || broken.Seq != 2 {
			t.Fatalf("Verify after an edit = %v, want broken at 2", err)
		}
		db.ExecContext(ctx, "UPDATE audit_events SET result = 'ok' WHERE seq = 2")
		db.ExecContext(ctx, "DELETE FROM audit_events WHERE seq = 3")
		if _, err := log.Verify(ctx, db); !errors.As(err, &broken) {
			t.Fatalf("Verify after deleting the last event = %v", err)
		}
	})
}

func TestEventNeedsActorActionResult(t *testing.T) {
	db := storetest.SQLite(t)
	log := audit.New(clock.Real{})
	err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		return log.Append(context.Background(), tx, audit.Event{Action: "x"})
	})
	if err == nil {
		t.Fatal("incomplete event accepted")
	}
}

func dropGuard(t *testing.T, db *store.DB) {
	t.Helper()
	stmts := []string{"DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"}
	if db.Dialect == store.Postgres {
		stmts = []string{"DROP TRIGGER audit_events_no_change ON audit_events"}
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
}
