package reset_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// TestEveryTransition fires every event from every state of the reset
// machine: only the transitions of SPEC §5 move the flow; every other step
// is refused and changes nothing (SEC-REC-1).
func TestEveryTransition(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fs := flow.NewStore(clock.Real{})
		states := []flow.State{reset.EmailCodeRequired, reset.MethodRequired, reset.QuizInProgress, reset.UnderReview,
			flow.Completed, flow.Rejected, flow.Cancelled}
		events := []flow.Event{reset.VerifyEmail, reset.StartQuiz, reset.QuizPassed, reset.QuizFailed, reset.QuizTimedOut,
			reset.SubmitDocuments, reset.Approve, reset.Reject, flow.Cancel}
		allowed := map[flow.State]map[flow.Event]flow.State{
			reset.EmailCodeRequired: {reset.VerifyEmail: reset.MethodRequired, flow.Cancel: flow.Cancelled},
			reset.MethodRequired:    {reset.StartQuiz: reset.QuizInProgress, reset.SubmitDocuments: reset.UnderReview, flow.Cancel: flow.Cancelled},
			reset.QuizInProgress: {reset.QuizPassed: flow.Completed, reset.QuizFailed: reset.MethodRequired,
				reset.QuizTimedOut: reset.MethodRequired, flow.Cancel: flow.Cancelled},
			reset.UnderReview: {reset.Approve: flow.Completed, reset.Reject: flow.Rejected, flow.Cancel: flow.Cancelled},
		}
		for _, from := range states {
			for _, e := range events {
				account := storetest.Account(t, db)
				var f flow.Flow
				err := db.Tx(ctx, func(tx *sql.Tx) error {
					var err error
					f, err = fs.Create(ctx, tx, reset.Machine, account, "", nil)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.ExecContext(ctx, "UPDATE flows SET state = $1 WHERE id = $2", string(from), f.ID); err != nil {
					t.Fatal(err)
				}
				got, err := fs.Fire(ctx, db, reset.Machine, f.ID, e, nil)
				want, ok := allowed[from][e]
				switch {
				case ok && (err != nil || got.State != want):
					t.Errorf("%s --%s--> %v, %v; want %s", from, e, got.State, err, want)
				case !ok && err == nil:
					t.Errorf("%s --%s--> %s; want a refusal", from, e, got.State)
				case !ok && !apperr.Is(err, apperr.WrongState) && !apperr.Is(err, apperr.FlowExpired):
					t.Errorf("%s --%s--> error %v", from, e, err)
				}
				if !ok {
					after, _ := fs.Get(ctx, db, reset.Machine, f.ID)
					if after.State != from {
						t.Errorf("refused %s --%s-- moved the flow to %s", from, e, after.State)
					}
				}
			}
		}
	})
}

func TestMachineShape(t *testing.T) {
	if !reset.Machine.Exclusive || reset.Machine.Lifetime.Minutes() != 30 || reset.Machine.Initial != reset.EmailCodeRequired {
		t.Fatalf("machine: %+v", reset.Machine)
	}
}
