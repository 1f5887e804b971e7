package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
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
		log.Failed = failOn(t)
		for i := range 3 {
			log.Write(ctx, db, audit.Event{Actor: audit.ActorUser, AccountID: "acc1", Action: audit.AuthnPasswordOK,
				Result: audit.OK, Detail: map[string]string{"n": fmt.Sprint(i)}})
		}
		log.Write(ctx, db, audit.Event{Actor: audit.ActorAnonymous, Action: audit.AuthnLoginFail, Result: audit.Failed})
		list, err := log.List(ctx, db, "acc1", 0, 10)
		if err != nil || len(list) != 3 {
			t.Fatalf("List = %d events, %v", len(list), err)
		}
		if list[0].Seq != 3 || list[0].IP != "203.0.113.7" || list[0].RequestID != "req-1" || list[0].Detail["n"] != "2" {
			t.Fatalf("newest event = %+v", list[0])
		}
		if list[0].Hash != "" || list[0].ChainPos != 0 {
			t.Fatalf("an event read before sealing = %+v, want no chain position and no hash", list[0])
		}
		if n, err := log.Verify(ctx, db); err != nil || n != 0 {
			t.Fatalf("Verify before sealing = %d, %v", n, err)
		}
		sealAll(t, log, db, 4)
		if list, _ = log.List(ctx, db, "acc1", 0, 10); list[0].Hash == "" || list[0].ChainPos != 3 {
			t.Fatalf("newest event after sealing = %+v", list[0])
		}
		n, err := log.Verify(ctx, db)
		if err != nil || n != 4 {
			t.Fatalf("Verify = %d, %v", n, err)
		}
	})
}

// TestConcurrentAppendsKeepOneChain writes 50 events at once, then seals
// them; the chain must come out whole: 50 events, positions 1 to 50, one
// chain (SEC-AUD-5: tamper evidence needs a single, unforked chain).
func TestConcurrentAppendsKeepOneChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		log := audit.New(clock.Real{})
		log.Failed = failOn(t)
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				log.Write(ctx, db, audit.Event{Actor: audit.ActorSystem, Action: audit.AccountCreated, Result: audit.OK,
					Detail: map[string]string{"i": fmt.Sprint(i)}})
			})
		}
		wg.Wait()
		sealAll(t, log, db, 50)
		if n, err := log.Verify(ctx, db); err != nil || n != 50 {
			t.Fatalf("Verify = %d, %v", n, err)
		}
		if n := storetest.Count(t, db, "SELECT count(DISTINCT chain_pos) FROM audit_events WHERE chain_pos BETWEEN 1 AND 50"); n != 50 {
			t.Fatalf("%d distinct chain positions, want 50", n)
		}
	})
}

func TestVerifyFindsTampering(t *testing.T) {
	// The table refuses UPDATE and DELETE, so tampering is simulated the way
	// an attacker with the database would do it: drop the guard first.
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		log := audit.New(clock.Real{})
		log.Failed = failOn(t)
		for range 3 {
			log.Write(ctx, db, audit.Event{Actor: audit.ActorSystem, Action: audit.AccountCreated, Result: audit.OK})
		}
		sealAll(t, log, db, 3)
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
		return log.Append(context.Background(), tx, audit.Event{Action: audit.AccountCreated})
	})
	if err == nil {
		t.Fatal("incomplete event accepted")
	}
}

// Actions are a closed list: an action outside it is refused, not stored.
func TestUnknownActionRefused(t *testing.T) {
	db := storetest.SQLite(t)
	log := audit.New(clock.Real{})
	err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		return log.Append(context.Background(), tx, audit.Event{Actor: audit.ActorUser, Action: "acount_created", Result: audit.OK})
	})
	if err == nil || !strings.Contains(err.Error(), "acount_created") {
		t.Fatalf("a misspelt action: %v, want refused", err)
	}
	if n := storetest.Count(t, db, "SELECT count(*) FROM audit_events"); n != 0 {
		t.Fatalf("%d events stored", n)
	}
}

// An event Write cannot record is reported, never dropped in silence.
func TestWriteReportsFailure(t *testing.T) {
	db := storetest.SQLite(t)
	log := audit.New(clock.Real{})
	var reported []audit.Event
	log.Failed = func(_ context.Context, e audit.Event, err error) {
		if err == nil {
			t.Error("reported without an error")
		}
		reported = append(reported, e)
	}
	log.Write(context.Background(), db, audit.Event{Actor: audit.ActorUser, Action: "no_such_action", Result: audit.OK})
	log.Write(context.Background(), db, audit.Event{Actor: audit.ActorUser, Action: audit.SessionRevoked, Result: audit.OK})
	if len(reported) != 1 || reported[0].Action != "no_such_action" {
		t.Fatalf("reported %+v, want the one event that could not be recorded", reported)
	}
}

// SEC-AUD: docs/security.md lists every action with what it records, and
// nothing else.
func TestActionsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n### Audit actions\n")
	if !ok {
		t.Fatal("docs/security.md has no section \"### Audit actions\"")
	}
	section, _, _ = strings.Cut(section, "\n#")
	rows := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| ").FindAllStringSubmatch(section, -1)
	documented := map[audit.Action]bool{}
	for _, r := range rows {
		documented[audit.Action(r[1])] = true
	}
	for a := range audit.Actions {
		if !documented[a] {
			t.Errorf("%s is not in docs/security.md's table of audit actions", a)
		}
	}
	for a := range documented {
		if _, ok := audit.Actions[a]; !ok {
			t.Errorf("docs/security.md lists %s, which is not an action", a)
		}
	}
}

// sealAll seals every committed event and checks how many there were.
func sealAll(t *testing.T, log *audit.Log, db *store.DB, want int) {
	t.Helper()
	if n, err := log.SealAll(context.Background(), db); err != nil || n != want {
		t.Fatalf("SealAll = %d, %v; want %d", n, err, want)
	}
}

// failOn fails the test when an event is not recorded.
func failOn(t *testing.T) func(context.Context, audit.Event, error) {
	return func(_ context.Context, e audit.Event, err error) { t.Errorf("%s not recorded: %v", e.Action, err) }
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
