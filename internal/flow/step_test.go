package flow_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// A step is the event and its effect in one transaction: an effect that
// fails undoes the move, one that succeeds sees the moved flow and its
// writes stay; an event out of order runs no effect.
func TestStepIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fs := flow.NewStore(clock.Real{})
		acc := storetest.Account(t, db)
		f := create(t, db, fs, acc)
		mark := func(ctx context.Context, tx *sql.Tx, f flow.Flow) error {
			_, err := tx.ExecContext(ctx, "UPDATE accounts SET quiz_used = quiz_used + 1 WHERE id = $1", f.AccountID)
			return err
		}
		failing := func(ctx context.Context, tx *sql.Tx, f flow.Flow) error {
			if err := mark(ctx, tx, f); err != nil {
				return err
			}
			return errors.New("the effect failed")
		}
		if _, err := fs.Step(ctx, db, machine, f.ID, "one", nil, failing); err == nil {
			t.Fatal("a failed effect reported success")
		}
		if got, _ := fs.Get(ctx, db, machine, f.ID); got.State != "first" {
			t.Fatalf("after a failed effect the flow is %s, want first", got.State)
		}
		if n := storetest.Value[int](t, db, "SELECT quiz_used FROM accounts WHERE id = $1", acc); n != 0 {
			t.Fatalf("a failed effect's write stayed (%d)", n)
		}
		var seen flow.State
		moved, err := fs.Step(ctx, db, machine, f.ID, "one", map[string]string{"k": "w"}, func(ctx context.Context, tx *sql.Tx, f flow.Flow) error {
			seen = f.State
			return mark(ctx, tx, f)
		})
		if err != nil || moved.State != "second" || seen != "second" || moved.Data["k"] != "w" {
			t.Fatalf("step: %+v, effect saw %s, %v", moved, seen, err)
		}
		if n := storetest.Value[int](t, db, "SELECT quiz_used FROM accounts WHERE id = $1", acc); n != 1 {
			t.Fatalf("the effect's write is missing (%d)", n)
		}
		ran := false
		_, err = fs.Step(ctx, db, machine, f.ID, "one", nil, func(context.Context, *sql.Tx, flow.Flow) error { ran = true; return nil })
		if !apperr.Is(err, apperr.WrongState) || ran {
			t.Fatalf("an event out of order: %v, effect ran %v", err, ran)
		}
	})
}
