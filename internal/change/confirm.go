package change

import (
	"context"
	"database/sql"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/consequence"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/notify"
)

// Confirm checks the SMS code sent to the new number and binds the number
// the code went to, in one transaction: the code is used up only with the
// binding (a wrong code stays counted). A number another account holds is mobile_unavailable,
// said only now that the caller has proved they hold the phone; two flows
// confirming one number at once cannot both win: the number is unique in
// the database.
func (s *Service) Confirm(ctx context.Context, c Caller, kind flow.Kind, flowID, smsCode string) (View, error) {
	m := machineOf(kind)
	f, a, err := s.own(ctx, c, kind, flowID, ConfirmNew)
	if err != nil {
		return View{}, err
	}
	var checked code.Checked
	check := func(ctx context.Context, tx *sql.Tx) (err error) {
		checked, err = s.Codes.Check(ctx, tx, f.ID, code.ChangeNewSMS, smsCode)
		return err
	}
	moved, err := s.Flows.StepChecked(ctx, s.DB, m, f.ID, Confirm, nil, check, code.Refused, func(ctx context.Context, tx *sql.Tx, f flow.Flow) error {
		return s.bind(ctx, tx, f, c, checked.Destination)
	})
	if code.Refused(err) {
		s.Audit.Write(ctx, s.DB, audit.Event{Actor: audit.ActorUser, AccountID: a.ID, Action: audit.AuthnCodeFail, Result: audit.Failed,
			FlowID: f.ID, Detail: map[string]string{"purpose": string(code.ChangeNewSMS), "error": string(apperr.As(err).Code)}})
		return View{}, err
	}
	if err == nil {
		f = moved
	}
	if apperr.Is(err, apperr.MobileUnavailable) {
		s.Audit.Write(ctx, s.DB, audit.Event{Actor: audit.ActorUser, AccountID: a.ID, Action: actions[kind][1],
			Result: audit.Refused, FlowID: f.ID, Detail: map[string]string{"reason": "number bound to another account"}})
	}
	if err != nil {
		return View{}, err
	}
	if a, err = s.Accounts.ByID(ctx, s.DB, a.ID); err != nil {
		return View{}, err
	}
	return s.view(ctx, f, a)
}

// bind applies the new number in tx, all or nothing: the old number goes
// into the history, the new one is bound with mobile verification on,
// withdrawals are held (extending any hold), the caller's other sessions
// end, and the owner is told by email, and for a change on the old number,
// each time with a "This wasn't me" link.
func (s *Service) bind(ctx context.Context, tx *sql.Tx, f flow.Flow, c Caller, number string) error {
	reason, event := hold.MobileChange, notify.MobileChanged
	if f.Kind == flow.MobileBind {
		reason, event = hold.MobileBind, notify.MobileBound
	}
	old, err := s.Accounts.BindMobile(ctx, tx, c.AccountID, number, reason, client.From(ctx).IP, f.ID)
	if err != nil {
		return err
	}
	_, err = s.Consequences.Apply(ctx, tx, consequence.Change{AccountID: c.AccountID, FlowID: f.ID, Hold: reason, HoldFor: s.Hold,
		Sessions: consequence.EndOtherSessions, Session: c.SessionID, Link: string(f.Kind),
		Notice: notify.Notice{Event: event, Mobile: account.MaskMobile(number)}, Mobile: old,
		Actor: audit.ActorUser, Action: actions[f.Kind][1], Result: audit.OK,
		Detail: map[string]string{"mobile": account.MaskMobile(number), "old": account.MaskMobile(old)}})
	return err
}
