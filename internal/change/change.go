package change

import (
	"context"
	"database/sql"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/consequence"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/store"
)

// Service runs changes and binds.
type Service struct {
	DB       *store.DB
	Clock    clock.Clock
	Accounts *account.Store
	Codes    *code.Service
	Flows    *flow.Store
	Audit    *audit.Log
	// Consequences applies a change's or bind's outcome.
	Consequences *consequence.Service
	Captcha      captcha.Provider
	// CaptchaOff sends the SMS to a new number without a puzzle solved
	// (REBIND_CAPTCHA=off, for load tests; app never sets it in production).
	CaptchaOff bool
	// Limiter counts the codes sent without the puzzle (WithoutPuzzle).
	Limiter *ratelimit.Limiter
	// Hold is how long withdrawals are held after a change or bind.
	Hold time.Duration
}

// View is where a change or bind stands.
type View struct {
	FlowID    string
	Kind      flow.Kind
	State     flow.State
	ExpiresAt time.Time
	// EmailVerified and SMSVerified say which codes of the first step are
	// done.
	EmailVerified, SMSVerified bool
	// Current is the bound number, masked (change only).
	Current string
	// NewNumber is the number being confirmed, masked; NewE164 in full,
	// for its owner's pages (it is the number they typed).
	NewNumber string
	NewE164   string
	// Email is the account's email, masked.
	Email string
	// EmailResendAt, SMSResendAt and NewResendAt are when the first
	// step's email code, its code to the current number, and the new
	// number's code may be asked for again (zero: now).
	EmailResendAt, SMSResendAt, NewResendAt time.Time
}

// Caller is the signed-in user acting.
type Caller struct {
	AccountID string
	SessionID string
	// Account, when its ID is AccountID, is the account as the session
	// lookup of this request read it; the service then does not read it
	// again. Every read here is outside a transaction, so a second one a
	// moment later decides nothing the first cannot; what must not race
	// (the number bound) is decided in the transaction that binds it.
	Account account.Account
}

// account returns the caller's account: as the request read it, or else
// from the database.
func (s *Service) account(ctx context.Context, c Caller) (account.Account, error) {
	if c.AccountID != "" && c.Account.ID == c.AccountID {
		return c.Account, nil
	}
	return s.Accounts.ByID(ctx, s.DB, c.AccountID)
}

func machineOf(k flow.Kind) *flow.Machine {
	if k == flow.MobileBind {
		return BindMachine
	}
	return ChangeMachine
}

// actions are each kind's audit actions: started, completed, cancelled.
var actions = map[flow.Kind][3]audit.Action{
	flow.MobileChange: {audit.MobileChangeStarted, audit.MobileChangeCompleted, audit.MobileChangeCancelled},
	flow.MobileBind:   {audit.MobileBindStarted, audit.MobileBindCompleted, audit.MobileBindCancelled},
}

// Start opens a change (a number is bound) or a bind (none is); the wrong
// one for the account is wrong_state. Opening one cancels an open one of
// the same kind.
func (s *Service) Start(ctx context.Context, c Caller, kind flow.Kind) (View, error) {
	a, err := s.account(ctx, c)
	if err != nil {
		return View{}, err
	}
	switch {
	case kind == flow.MobileChange && a.Mobile == "":
		return View{}, apperr.New(apperr.WrongState, "no mobile number is bound; bind one instead")
	case kind == flow.MobileBind && a.Mobile != "":
		return View{}, apperr.New(apperr.WrongState, "a mobile number is already bound; change it instead")
	}
	var f flow.Flow
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err = s.Flows.Create(ctx, tx, machineOf(kind), a.ID, client.From(ctx).IP, data{Session: c.SessionID}.fields())
		if err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: a.ID, Action: actions[kind][0],
			Result: audit.OK, FlowID: f.ID})
	})
	if err != nil {
		return View{}, err
	}
	// The flow was created just now under a new random id: no code hangs
	// on it yet.
	return s.viewOf(f, a, nil), nil
}

// Status returns where a flow of the caller stands.
func (s *Service) Status(ctx context.Context, c Caller, kind flow.Kind, flowID string) (View, error) {
	f, a, err := s.own(ctx, c, kind, flowID)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, f, a)
}

// Cancel ends a change or bind of the caller at their request.
func (s *Service) Cancel(ctx context.Context, c Caller, kind flow.Kind, flowID string) error {
	f, _, err := s.own(ctx, c, kind, flowID)
	if err != nil {
		return err
	}
	_, err = s.Flows.Step(ctx, s.DB, machineOf(kind), f.ID, flow.Cancel, nil, s.cancelled)
	return err
}

// cancelled is Cancel's effect: the audit event.
func (s *Service) cancelled(ctx context.Context, tx *sql.Tx, f flow.Flow) error {
	return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: f.AccountID, Action: actions[f.Kind][2],
		Result: audit.OK, FlowID: f.ID})
}

// own returns the caller's flow and account. Someone else's flow is
// not_found, as an unknown one is. With states, the flow must be open and
// in one of them (flow.Store.Require's errors): the flow is read once.
func (s *Service) own(ctx context.Context, c Caller, kind flow.Kind, flowID string, states ...flow.State) (flow.Flow, account.Account, error) {
	m := machineOf(kind)
	f, err := s.Flows.Get(ctx, s.DB, m, flowID)
	if err != nil {
		return flow.Flow{}, account.Account{}, err
	}
	if f.AccountID != c.AccountID {
		return flow.Flow{}, account.Account{}, apperr.New(apperr.NotFound, "no such flow")
	}
	if len(states) > 0 {
		if err := s.Flows.InState(m, f, states...); err != nil {
			return flow.Flow{}, account.Account{}, err
		}
	}
	a, err := s.account(ctx, c)
	return f, a, err
}

// view describes f for its owner a, reading its codes in one statement.
func (s *Service) view(ctx context.Context, f flow.Flow, a account.Account) (View, error) {
	first := firstStep(f.Kind, "", "")
	purposes := []code.Purpose{code.ChangeNewSMS}
	for _, c := range first {
		purposes = append(purposes, c.purpose)
	}
	slots, err := s.Codes.Slots(ctx, s.DB, f.ID, purposes...)
	if err != nil {
		return View{}, err
	}
	return s.viewOf(f, a, slots), nil
}

// viewOf describes f for its owner a, with its codes as they stand.
func (s *Service) viewOf(f flow.Flow, a account.Account, slots map[code.Purpose]code.Slot) View {
	v := View{FlowID: f.ID, Kind: f.Kind, State: f.Shown(machineOf(f.Kind), s.Clock.Now()), ExpiresAt: f.ExpiresAt,
		Current: a.MaskedMobile(), Email: account.MaskEmail(a.Email), NewE164: dataOf(f).NewNumber}
	if v.NewE164 != "" {
		v.NewNumber = account.MaskMobile(v.NewE164)
	}
	first := firstStep(f.Kind, "", "")
	email := slots[first[0].purpose]
	v.EmailVerified, v.EmailResendAt = email.Consumed, email.ResendAt
	if len(first) > 1 {
		sms := slots[first[1].purpose]
		v.SMSVerified, v.SMSResendAt = sms.Consumed, sms.ResendAt
	}
	v.NewResendAt = slots[code.ChangeNewSMS].ResendAt
	return v
}

// SendEmailCode sends the email code of the first step.
func (s *Service) SendEmailCode(ctx context.Context, c Caller, kind flow.Kind, flowID string) (code.Sent, error) {
	p := code.ChangeEmail
	if kind == flow.MobileBind {
		p = code.BindEmail
	}
	return s.sendFirst(ctx, c, kind, flowID, p, outbox.Email)
}

// SendSMSCode sends the code to the current number (change only).
func (s *Service) SendSMSCode(ctx context.Context, c Caller, flowID string) (code.Sent, error) {
	return s.sendFirst(ctx, c, flow.MobileChange, flowID, code.ChangeOldSMS, outbox.SMS)
}

func (s *Service) sendFirst(ctx context.Context, c Caller, kind flow.Kind, flowID string, p code.Purpose, ch outbox.Channel) (code.Sent, error) {
	f, a, err := s.own(ctx, c, kind, flowID, machineOf(kind).Initial)
	if err != nil {
		return code.Sent{}, err
	}
	to := a.Email
	if ch == outbox.SMS {
		to = a.Mobile
	}
	var sent code.Sent
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if sent, err = s.Codes.Send(ctx, tx, code.Request{FlowID: f.ID, Purpose: p, Channel: ch, To: to, AccountID: a.ID}); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: a.ID, Action: audit.AuthnCodeSent, Result: audit.OK,
			FlowID: f.ID, Detail: map[string]string{"channel": string(ch), "purpose": string(p)}})
	})
	return sent, err
}
