// Package consequence applies what a security change of an account brings
// with it, inside the caller's transaction: withdrawals held, sessions
// ended, the account's other open flows cancelled, a "This wasn't me"
// link, the notice to the owner and the audit event. The change itself (a
// number unbound or bound, a password set, the account frozen) is the
// caller's; every procedure that changes an account's security describes
// the rest as a Change, so a staff-approved document reset is one more
// Change, not another copy of the recipe.
package consequence

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/notify"
	"github.com/rebindhq/rebind/internal/session"
	"github.com/rebindhq/rebind/internal/stoplink"
	"github.com/rebindhq/rebind/internal/store"
)

// Sessions says which of the account's sessions a change ends.
type Sessions int

// Which sessions end.
const (
	KeepSessions     Sessions = iota // none
	EndSessions                      // every one
	EndOtherSessions                 // every one but Change.Session
)

// Change describes a security change's consequences.
type Change struct {
	AccountID string
	// FlowID is the flow that made the change, if any: the audit event
	// names it and CancelFlows leaves it alone.
	FlowID string
	// Hold, when set, holds withdrawals for HoldFor with this reason,
	// extending any hold the account has.
	Hold    string
	HoldFor time.Duration
	// Sessions says which sessions end; Session is the one
	// EndOtherSessions keeps.
	Sessions Sessions
	Session  string
	// CancelFlows cancels every other open flow of the account.
	CancelFlows bool
	// Link, when set, is the event a "This wasn't me" link is made for;
	// the notice carries it.
	Link string
	// Notice, when its Event is set, is queued to the account's email
	// (unless SMSOnly) and to Mobile (none when empty); its link, time,
	// address and hold end are filled in.
	Notice  notify.Notice
	Mobile  string
	SMSOnly bool
	// Actor, Action, Result and Detail make the audit event; the hold's
	// end and the sessions ended and flows cancelled are added to Detail.
	Actor, Result string
	Action        audit.Action
	Detail        map[string]string
}

// Outcome is what applying a change did.
type Outcome struct {
	HoldUntil      time.Time // zero without a hold
	SessionsEnded  int64
	FlowsCancelled int64
	Link           string
}

// Service applies changes.
type Service struct {
	Clock    clock.Clock
	Accounts *account.Store
	Flows    *flow.Store
	Holds    *hold.Store
	Sessions *session.Manager
	Links    *stoplink.Service
	Notifier *notify.Notifier
	Audit    *audit.Log
}

// Apply applies c's consequences in tx, all or nothing with the change
// the caller made in it.
func (s *Service) Apply(ctx context.Context, tx *sql.Tx, c Change) (Outcome, error) {
	var out Outcome
	detail := maps.Clone(c.Detail)
	if detail == nil {
		detail = map[string]string{}
	}
	var err error
	if c.Hold != "" {
		if out.HoldUntil, err = s.Holds.Extend(ctx, tx, c.AccountID, c.Hold, c.HoldFor); err != nil {
			return Outcome{}, err
		}
		detail["hold_until"] = fmt.Sprint(store.Millis(out.HoldUntil))
	}
	if c.Sessions != KeepSessions {
		keep := ""
		if c.Sessions == EndOtherSessions {
			keep = c.Session
		}
		if out.SessionsEnded, err = s.Sessions.RevokeAll(ctx, tx, c.AccountID, keep); err != nil {
			return Outcome{}, err
		}
		detail["sessions_ended"] = fmt.Sprint(out.SessionsEnded)
	}
	if c.CancelFlows {
		if out.FlowsCancelled, err = s.Flows.CancelAllOpen(ctx, tx, c.AccountID, c.FlowID); err != nil {
			return Outcome{}, err
		}
		detail["flows_cancelled"] = fmt.Sprint(out.FlowsCancelled)
	}
	if c.Link != "" {
		if out.Link, err = s.Links.Create(ctx, tx, c.AccountID, c.Link); err != nil {
			return Outcome{}, err
		}
	}
	if c.Notice.Event != "" {
		if err := s.notify(ctx, tx, c, out); err != nil {
			return Outcome{}, err
		}
	}
	err = s.Audit.Append(ctx, tx, audit.Event{Actor: c.Actor, AccountID: c.AccountID, Action: c.Action, Result: c.Result,
		FlowID: c.FlowID, Detail: detail})
	if err != nil {
		return Outcome{}, err
	}
	return out, nil
}

// notify queues c's notice to the account's email (as it is after the
// change) and to c.Mobile.
func (s *Service) notify(ctx context.Context, tx *sql.Tx, c Change, out Outcome) error {
	email := ""
	if !c.SMSOnly {
		a, err := s.Accounts.ByID(ctx, tx, c.AccountID)
		if err != nil {
			return err
		}
		email = a.Email
	}
	n := c.Notice
	n.StopLink, n.At, n.IP, n.HoldUntil = out.Link, s.Clock.Now(), client.From(ctx).IP, out.HoldUntil
	return s.Notifier.Notify(ctx, tx, email, c.Mobile, n)
}

// Freeze freezes the account of a "This wasn't me" link being used, in tx
// (stoplink.Service.Freeze): sign-in and withdrawals stop until staff lift
// the freeze, every open flow is cancelled, every session ends, and the
// owner is told by email.
func (s *Service) Freeze(ctx context.Context, tx *sql.Tx, l stoplink.Link) error {
	if _, err := s.Accounts.SetFrozen(ctx, tx, l.AccountID, true); err != nil {
		return err
	}
	_, err := s.Apply(ctx, tx, Change{AccountID: l.AccountID, Sessions: EndSessions, CancelFlows: true,
		Notice: notify.Notice{Event: notify.AccountFrozen}, Actor: audit.ActorUser, Action: audit.AccountFrozenByOwner,
		Result: audit.OK, Detail: map[string]string{"event": l.Event}})
	return err
}
