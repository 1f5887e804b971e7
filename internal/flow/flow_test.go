package flow_test

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
	"github.com/rebindhq/rebind/internal/token"
)

// A three-step machine in the shape of the reset flow.
var machine = &flow.Machine{
	Kind:     flow.MobileReset,
	Initial:  "first",
	Lifetime: 30 * time.Minute,
	Transitions: map[flow.Event]flow.Transition{
		"one":  {From: []flow.State{"first"}, To: "second"},
		"two":  {From: []flow.State{"second"}, To: "third"},
		"back": {From: []flow.State{"third"}, To: "second"},
		"done": {From: []flow.State{"third"}, To: flow.Completed},
	},
	Terminal:  []flow.State{flow.Completed},
	Exclusive: true,
}

func create(t *testing.T, db *store.DB, fs *flow.Store, accountID string) flow.Flow {
	t.Helper()
	var f flow.Flow
	err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		var err error
		f, err = fs.Create(context.Background(), tx, machine, accountID, "198.51.100.1", map[string]string{"k": "v"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestStepsInOrderOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fs := flow.NewStore(clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
		f := create(t, db, fs, storetest.Account(t, db))
		// Skipping ahead is refused and changes nothing (SEC-REC-1, v5.0.0-2.3.1).
		for _, e := range []flow.Event{"two", "done", "back"} {
			if _, err := fs.Fire(ctx, db, machine, f.ID, e, nil); !apperr.Is(err, apperr.WrongState) {
				t.Fatalf("event %s from first = %v, want wrong_state", e, err)
			}
		}
		got, _ := fs.Get(ctx, db, machine, f.ID)
		if got.State != "first" || got.Data["k"] != "v" {
			t.Fatalf("refused events changed the flow: %+v", got)
		}
		for _, step := range []struct {
			e    flow.Event
			want flow.State
		}{{"one", "second"}, {"two", "third"}, {"back", "second"}, {"two", "third"}, {"done", flow.Completed}} {
			got, err := fs.Fire(ctx, db, machine, f.ID, step.e, nil)
			if err != nil || got.State != step.want {
				t.Fatalf("event %s = %v, %v; want %s", step.e, got.State, err, step.want)
			}
		}
		if _, err := fs.Fire(ctx, db, machine, f.ID, flow.Cancel, nil); !apperr.Is(err, apperr.WrongState) {
			t.Fatalf("cancel after completion = %v, want wrong_state", err)
		}
	})
}

func TestExpiredAndCancelledFlowsAreGone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		fs := flow.NewStore(clk)
		acc := storetest.Account(t, db)
		f := create(t, db, fs, acc)
		clk.Advance(30 * time.Minute)
		if _, err := fs.Fire(ctx, db, machine, f.ID, "one", nil); !apperr.Is(err, apperr.FlowExpired) {
			t.Fatalf("step after the lifetime = %v, want flow_expired", err)
		}
		if got, _ := fs.Get(ctx, db, machine, f.ID); got.Shown(machine, clk.Now()) != flow.Expired {
			t.Fatalf("expired flow shows as %s", got.Shown(machine, clk.Now()))
		}
		g := create(t, db, fs, acc)
		if _, err := fs.Fire(ctx, db, machine, g.ID, flow.Cancel, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Require(ctx, db, machine, g.ID, "first"); !apperr.Is(err, apperr.FlowExpired) {
			t.Fatalf("step on a cancelled flow = %v, want flow_expired", err)
		}
		if _, err := fs.Get(ctx, db, machine, token.NewID()); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("unknown flow = %v", err)
		}
		if _, err := fs.Get(ctx, db, machine, "../../etc"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("junk id = %v", err)
		}
	})
}

// SEC-REC-9 (v5.0.0-2.3.2): one open flow per account; a new one cancels
// the old, and concurrent creations leave exactly one open.
func TestOneOpenFlowPerAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fs := flow.NewStore(clock.Real{})
		acc := storetest.Account(t, db)
		a := create(t, db, fs, acc)
		b := create(t, db, fs, acc)
		if got, _ := fs.Get(ctx, db, machine, a.ID); got.State != flow.Cancelled {
			t.Fatalf("the older flow is %s, want cancelled", got.State)
		}
		if _, err := fs.Fire(ctx, db, machine, b.ID, "one", nil); err != nil {
			t.Fatalf("the newer flow: %v", err)
		}
		var created atomic.Int32
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() {
				err := db.Tx(ctx, func(tx *sql.Tx) error {
					_, err := fs.Create(ctx, tx, machine, acc, "", nil)
					return err
				})
				if err == nil {
					created.Add(1)
				} else if !apperr.Is(err, apperr.Conflict) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		open := storetest.Count(t, db, "SELECT count(*) FROM flows WHERE account_id = $1 AND state NOT IN ('cancelled', 'completed')", acc)
		if open != 1 || created.Load() == 0 {
			t.Fatalf("%d flows open after %d concurrent creations, want 1", open, created.Load())
		}
		if id, err := fs.CancelExclusive(ctx, db, flow.MobileReset, acc); err != nil || id == "" {
			t.Fatalf("CancelExclusive = %q, %v", id, err)
		}
		if id, err := fs.CancelExclusive(ctx, db, flow.MobileReset, acc); err != nil || id != "" {
			t.Fatalf("CancelExclusive found a second open flow: %q, %v", id, err)
		}
	})
}

// Concurrent identical steps: exactly one moves the flow.
func TestConcurrentStepsMoveOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fs := flow.NewStore(clock.Real{})
		f := create(t, db, fs, storetest.Account(t, db))
		var moved atomic.Int32
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() {
				if _, err := fs.Fire(context.Background(), db, machine, f.ID, "one", nil); err == nil {
					moved.Add(1)
				}
			})
		}
		wg.Wait()
		if moved.Load() != 1 {
			t.Fatalf("%d concurrent steps succeeded, want 1", moved.Load())
		}
	})
}

func TestOpenStates(t *testing.T) {
	got := map[flow.State]bool{}
	for _, s := range machine.OpenStates() {
		got[s] = true
	}
	if len(got) != 3 || !got["first"] || !got["second"] || !got["third"] {
		t.Fatalf("OpenStates = %v", machine.OpenStates())
	}
}
