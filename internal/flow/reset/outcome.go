package reset

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/notify"
	"github.com/rebindhq/rebind/internal/store"
)

// complete applies a successful reset inside tx, all or nothing: the number
// is unbound (and kept in the history of numbers), mobile verification is
// off and a rebind is asked for, the quiz chances renew, withdrawals are
// held (extending any hold), every session ends, every other open flow of
// the account is cancelled, and the owner is told by email and on the old
// number, with a "This wasn't me" link. It returns the end of the hold.
func (s *Service) complete(ctx context.Context, tx *sql.Tx, f flow.Flow, method string) (time.Time, error) {
	ip := client.From(ctx).IP
	a, err := s.Accounts.ByID(ctx, tx, f.AccountID)
	if err != nil {
		return time.Time{}, err
	}
	old, err := s.Accounts.UnbindMobile(ctx, tx, a.ID, "mobile_reset", ip, f.ID)
	if err != nil {
		return time.Time{}, err
	}
	if err := s.Quiz.Renew(ctx, tx, a.ID); err != nil {
		return time.Time{}, err
	}
	until, err := s.Holds.Extend(ctx, tx, a.ID, hold.MobileReset, s.Hold)
	if err != nil {
		return time.Time{}, err
	}
	sessions, err := s.Sessions.RevokeAll(ctx, tx, a.ID, "")
	if err != nil {
		return time.Time{}, err
	}
	if _, err := s.Flows.CancelAllOpen(ctx, tx, a.ID, f.ID); err != nil {
		return time.Time{}, err
	}
	link, err := s.StopLinks.Create(ctx, tx, a.ID, "mobile_reset")
	if err != nil {
		return time.Time{}, err
	}
	err = s.Notifier.Notify(ctx, tx, a.Email, old, notify.Notice{Event: notify.ResetDone, StopLink: link,
		At: s.Clock.Now(), IP: ip, HoldUntil: until})
	if err != nil {
		return time.Time{}, err
	}
	return until, s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: a.ID, Action: "mobile_reset_completed",
		Result: audit.OK, FlowID: f.ID, Detail: map[string]string{"method": method, "hold_until": fmt.Sprint(store.Millis(until)),
			"sessions_ended": fmt.Sprint(sessions)}})
}
