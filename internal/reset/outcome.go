package reset

import (
	"context"
	"database/sql"
	"time"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/consequence"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/notify"
)

// complete applies a successful reset inside tx, all or nothing: the number
// is unbound (and kept in the history of numbers), mobile verification is
// off and a rebind is asked for, the quiz chances renew, withdrawals are
// held (extending any hold), every session ends, every other open flow of
// the account is cancelled, and the owner is told by email and on the old
// number, with a "This wasn't me" link. It returns the end of the hold.
// actor is who decided: the user who passed the questions, or staff; app
// is set when staff approved documents, so the notice says so.
func (s *Service) complete(ctx context.Context, tx *sql.Tx, f flow.Flow, method, actor string, app notify.ApplicationNotice) (time.Time, error) {
	old, err := s.Accounts.UnbindMobile(ctx, tx, f.AccountID, "mobile_reset", client.From(ctx).IP, f.ID)
	if err != nil {
		return time.Time{}, err
	}
	if err := s.Quiz.Renew(ctx, tx, f.AccountID); err != nil {
		return time.Time{}, err
	}
	out, err := s.Consequences.Apply(ctx, tx, consequence.Change{AccountID: f.AccountID, FlowID: f.ID,
		Hold: hold.MobileReset, HoldFor: s.Hold, Sessions: consequence.EndSessions, CancelFlows: true,
		Link: "mobile_reset", Notice: notify.Notice{Event: notify.ResetDone, Application: app}, Mobile: old,
		Actor: actor, Action: audit.ResetCompleted, Result: audit.OK, Detail: map[string]string{"method": method}})
	return out.HoldUntil, err
}
