// Package pwreset runs the password reset (SPEC §3.4): email, an email code,
// a new password; then every session ends, withdrawals are held and the
// owner is told. An email without an account gets the same answers: its
// flow holds a code slot that nobody was sent.
package pwreset

import (
	"context"
	"database/sql"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/consequence"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/notify"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/store"
)

// The password reset machine.
const (
	CodeRequired flow.State = "code_required"
	Confirm      flow.Event = "confirm"
)

// Machine is the password reset: one step, 30 minutes.
var Machine = &flow.Machine{
	Kind:        flow.PasswordReset,
	Initial:     CodeRequired,
	Lifetime:    30 * time.Minute,
	Transitions: map[flow.Event]flow.Transition{Confirm: {From: []flow.State{CodeRequired}, To: flow.Completed}},
	Terminal:    []flow.State{flow.Completed},
}

// Limits on starting a reset, counted for every email, known or not.
var (
	PerIP    = ratelimit.Rule{Name: "pwreset_ip", Limit: 30, Window: time.Hour}
	PerEmail = ratelimit.Rule{Name: "pwreset_email", Limit: 5, Window: time.Hour}
)

// Service runs password resets.
type Service struct {
	DB       *store.DB
	Clock    clock.Clock
	Accounts *account.Store
	Hasher   *password.Hasher
	Codes    *code.Service
	Flows    *flow.Store
	Audit    *audit.Log
	// Consequences applies a reset password's outcome.
	Consequences *consequence.Service
	Limiter      *ratelimit.Limiter
	Hold         time.Duration
}

// View is where a password reset stands, for its page.
type View struct {
	// ResendAt is when a new code may be asked for (zero: now). An
	// unknown email's reset has a code slot too, so the page reads the
	// same for both.
	ResendAt time.Time
}

// Status returns where reset flowID stands. An id with no reset gives
// the view of one with no code sent.
func (s *Service) Status(ctx context.Context, flowID string) (View, error) {
	at, err := s.Codes.ResendAt(ctx, s.DB, flowID, code.PasswordReset)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return View{}, err
	}
	return View{ResendAt: at}, nil
}

// Start opens a reset for email and sends a code to it if it has an
// account. The answer is the same either way.
func (s *Service) Start(ctx context.Context, email string) (string, error) {
	typed, norm, err := account.NormalizeEmail(email)
	if err != nil {
		return "", err
	}
	if err := s.Limiter.Take(ctx, s.DB, "ip:"+client.From(ctx).IP, PerIP); err != nil {
		return "", err
	}
	if err := s.Limiter.Take(ctx, s.DB, "email:"+norm, PerEmail); err != nil {
		return "", err
	}
	a, err := s.Accounts.ByEmail(ctx, s.DB, typed)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return "", err
	}
	var id string
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.Flows.Create(ctx, tx, Machine, a.ID, client.From(ctx).IP, data{Email: norm}.fields())
		if err != nil {
			return err
		}
		id = f.ID
		return s.send(ctx, tx, f, a, norm)
	})
	return id, err
}

// send sends the code, or stores a decoy for an email without an account.
// Both do the same statements (a decoy message row, an audit event), so
// neither the answer nor its time tells whether the email has an account.
func (s *Service) send(ctx context.Context, tx *sql.Tx, f flow.Flow, a account.Account, norm string) error {
	req := code.Request{FlowID: f.ID, Purpose: code.PasswordReset, Channel: outbox.Email, To: norm}
	if a.ID == "" {
		if _, err := s.Codes.Decoy(ctx, tx, req); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorAnonymous, Action: audit.PasswordResetUnknown,
			Result: audit.Refused, FlowID: f.ID})
	}
	req.To = a.Email
	if _, err := s.Codes.Send(ctx, tx, req); err != nil {
		return err
	}
	return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: a.ID, Action: audit.PasswordResetStarted,
		Result: audit.OK, FlowID: f.ID})
}

// Resend sends a new code for a reset.
func (s *Service) Resend(ctx context.Context, flowID string) error {
	f, err := s.Flows.Require(ctx, s.DB, Machine, flowID, CodeRequired)
	if err != nil {
		return err
	}
	var a account.Account
	if f.AccountID != "" {
		if a, err = s.Accounts.ByID(ctx, s.DB, f.AccountID); err != nil {
			return err
		}
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error { return s.send(ctx, tx, f, a, dataOf(f).Email) })
}

// Confirm sets the new password if the code is right. A weak password is
// invalid_request and uses none of the code's entries.
func (s *Service) Confirm(ctx context.Context, flowID, entered, newPassword string) error {
	f, err := s.Flows.Require(ctx, s.DB, Machine, flowID, CodeRequired)
	if err != nil {
		return err
	}
	if err := password.Check(newPassword, dataOf(f).Email); err != nil {
		return apperr.New(apperr.InvalidRequest, err.Error())
	}
	if _, err := s.Codes.Check(ctx, s.DB, f.ID, code.PasswordReset, entered); err != nil {
		if f.AccountID != "" {
			s.Audit.Write(ctx, s.DB, audit.Event{Actor: audit.ActorUser, AccountID: f.AccountID, Action: audit.AuthnCodeFail,
				Result: audit.Failed, FlowID: f.ID, Detail: map[string]string{"purpose": string(code.PasswordReset)}})
		}
		return err
	}
	hash, err := s.Hasher.Hash(ctx, newPassword)
	if err != nil {
		return apperr.Busy(password.RetryAfter, err)
	}
	_, err = s.Flows.Step(ctx, s.DB, Machine, f.ID, Confirm, nil, s.confirmed(hash))
	return err
}

// confirmed is Confirm's effect: the new password and its consequences.
func (s *Service) confirmed(hash string) flow.Effect {
	return func(ctx context.Context, tx *sql.Tx, f flow.Flow) error { return s.apply(ctx, tx, f, hash) }
}

// apply sets the password and its consequences, in tx: every session
// ends, withdrawals are held, and the owner is told by email and on the
// bound mobile, with a "This wasn't me" link.
func (s *Service) apply(ctx context.Context, tx *sql.Tx, f flow.Flow, hash string) error {
	a, err := s.Accounts.ByID(ctx, tx, f.AccountID)
	if err != nil {
		return err
	}
	if err := s.Accounts.SetPasswordHash(ctx, tx, a.ID, hash); err != nil {
		return err
	}
	mobile := ""
	if a.MobileVerification {
		mobile = a.Mobile
	}
	_, err = s.Consequences.Apply(ctx, tx, consequence.Change{AccountID: a.ID, FlowID: f.ID, Hold: hold.PasswordReset, HoldFor: s.Hold,
		Sessions: consequence.EndSessions, Link: "password_reset", Notice: notify.Notice{Event: notify.PasswordChanged}, Mobile: mobile,
		Actor: audit.ActorUser, Action: audit.PasswordResetDone, Result: audit.OK})
	return err
}
