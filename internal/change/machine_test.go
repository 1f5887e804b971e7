package change_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/change"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// TestEveryTransition fires every event from every state of the change
// and bind machines: only the listed transitions move a flow; every other
// step is refused and changes nothing (SEC-REC-1).
func TestEveryTransition(t *testing.T) {
	for _, m := range []*flow.Machine{change.ChangeMachine, change.BindMachine} {
		t.Run(string(m.Kind), func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				allowed := map[flow.State]map[flow.Event]flow.State{
					m.Initial:         {change.Verified: change.NewNumber, flow.Cancel: flow.Cancelled},
					change.NewNumber:  {change.SendNew: change.ConfirmNew, flow.Cancel: flow.Cancelled},
					change.ConfirmNew: {change.SendNew: change.ConfirmNew, change.Confirm: flow.Completed, flow.Cancel: flow.Cancelled},
				}
				states := []flow.State{m.Initial, change.NewNumber, change.ConfirmNew, flow.Completed, flow.Cancelled}
				events := []flow.Event{change.Verified, change.SendNew, change.Confirm, flow.Cancel}
				ctx := context.Background()
				fs := flow.NewStore(clock.Real{})
				for _, from := range states {
					for _, e := range events {
						var f flow.Flow
						acc := storetest.Account(t, db) // before the transaction: SQLite has one writer
						err := db.Tx(ctx, func(tx *sql.Tx) error {
							var err error
							f, err = fs.Create(ctx, tx, m, acc, "", nil)
							return err
						})
						if err != nil {
							t.Fatal(err)
						}
						db.ExecContext(ctx, "UPDATE flows SET state = $1 WHERE id = $2", string(from), f.ID)
						got, err := fs.Fire(ctx, db, m, f.ID, e, nil)
						want, ok := allowed[from][e]
						switch {
						case ok && (err != nil || got.State != want):
							t.Errorf("%s --%s--> %v, %v; want %s", from, e, got.State, err, want)
						case !ok && (err == nil || !(apperr.Is(err, apperr.WrongState) || apperr.Is(err, apperr.FlowExpired))):
							t.Errorf("%s --%s--> %v, %v; want a refusal", from, e, got.State, err)
						}
					}
				}
			})
		})
	}
}
