// Package signin runs the sign-in flow: email and password, then the second
// factor (an SMS code to the bound mobile while mobile verification is on,
// an email code when the account has no active second factor; never the
// password alone), then a new session.
package signin

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
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/session"
	"github.com/rebindhq/rebind/internal/store"
)

// The sign-in machine: one step after the password, then done.
const (
	CodeRequired flow.State = "code_required"
	Verify       flow.Event = "verify"
)

// Machine is the sign-in flow. Its lifetime matches the email code's.
var Machine = &flow.Machine{
	Kind:        flow.Login,
	Initial:     CodeRequired,
	Lifetime:    10 * time.Minute,
	Transitions: map[flow.Event]flow.Transition{Verify: {From: []flow.State{CodeRequired}, To: flow.Completed}},
	Terminal:    []flow.State{flow.Completed},
}

// Limits on password attempts. They count every attempt, right or wrong,
// and are kept for addresses that have no account, so they say nothing
// about which accounts exist. The per-address limit is loose because many
// users share one address behind carrier NAT; the per-email limit is the
// tight one. Anyone can spend both, so a device that signed in to the
// account before is held to PerDevice instead (device.go).
var (
	PerIP    = ratelimit.Rule{Name: "signin_ip", Limit: 100, Window: 10 * time.Minute, Refusal: "too many sign-in attempts from your network"}
	PerEmail = ratelimit.Rule{Name: "signin_email", Limit: 10, Window: 15 * time.Minute, Refusal: "too many sign-in attempts for this email"}
)

// Service signs users in.
type Service struct {
	DB       *store.DB
	Clock    clock.Clock
	Accounts *account.Store
	Hasher   *password.Hasher
	Codes    *code.Service
	Flows    *flow.Store
	Sessions *session.Manager
	Audit    *audit.Log
	Limiter  *ratelimit.Limiter
	// DeviceKey signs device tokens.
	DeviceKey []byte
}

// Credentials are what a caller presents to start a sign-in or a reset.
type Credentials struct {
	Email    string
	Password string
	// Device is a device token from an earlier sign-in, if any.
	Device string
}

// Pending is a sign-in waiting for its second factor.
type Pending struct {
	LoginID string
	// Method is "sms" or "email".
	Method string
	// SentTo is the masked destination of the code.
	SentTo   string
	ResendAt time.Time
}

// CheckPassword checks an email and password for any procedure that starts
// with them (sign-in, mobile reset). Attempts count against limits per
// client address and per email, whether or not the account exists, or,
// from a device that signed in to the account before, against that
// device's own limit. A wrong email and a wrong password give the same
// error after the same work: an unknown email is checked against a dummy
// hash. A frozen account is forbidden, after the right password only.
func (s *Service) CheckPassword(ctx context.Context, c Credentials) (account.Account, error) {
	ip := client.From(ctx).IP
	_, norm, _ := account.NormalizeEmail(c.Email)
	if norm == "" {
		norm = c.Email
	}
	a, err := s.Accounts.ByEmail(ctx, s.DB, c.Email)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return account.Account{}, err
	}
	if device := s.trustedDevice(c.Device, a); device != "" {
		err = s.Limiter.Take(ctx, s.DB, "device:"+device, PerDevice)
	} else if err = s.Limiter.Take(ctx, s.DB, "ip:"+ip, PerIP); err == nil {
		err = s.Limiter.Take(ctx, s.DB, "email:"+norm, PerEmail)
	}
	if err != nil {
		return account.Account{}, s.refuse(ctx, "", c.Email, err)
	}
	ok, err := s.Hasher.Verify(ctx, c.Password, a.PasswordHash)
	if err != nil {
		return account.Account{}, apperr.Wrap(apperr.Unavailable, "too busy; try again shortly", err)
	}
	if !ok {
		s.failed(ctx, a.ID, c.Email, "password")
		return account.Account{}, apperr.New(apperr.InvalidCredentials, "the email or password is not right")
	}
	if a.Frozen {
		s.failed(ctx, a.ID, c.Email, "frozen")
		return account.Account{}, apperr.New(apperr.Forbidden, "this account is frozen; contact support to unlock it")
	}
	return a, nil
}

// Start checks email and password and sends the second-factor code.
//
// Once the password is right the sign-in exists even when a limit refuses
// the code: the error then carries the login id and says when to ask
// again, and the returned Pending lets a page offer the second-factor step
// and its way out, "Security authentication unavailable?".
func (s *Service) Start(ctx context.Context, c Credentials) (Pending, error) {
	a, err := s.CheckPassword(ctx, c)
	if err != nil {
		return Pending{}, err
	}
	ip := client.From(ctx).IP
	var f flow.Flow
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if f, err = s.Flows.Create(ctx, tx, Machine, a.ID, ip, map[string]string{"method": a.SecondFactor()}); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: a.ID, Action: audit.AuthnPasswordOK,
			Result: audit.OK, FlowID: f.ID, Detail: map[string]string{"method": a.SecondFactor()}})
	})
	if err != nil {
		return Pending{}, err
	}
	var p Pending
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		p, err = s.send(ctx, tx, f, a)
		return err
	})
	if apperr.Is(err, apperr.RateLimited) {
		p = pendingOf(f, a)
		p.ResendAt = s.Clock.Now().Add(apperr.RetryIn(err))
		return p, s.refuse(ctx, a.ID, c.Email, apperr.As(err).With("login_id", f.ID))
	}
	return p, err
}

// pendingOf describes sign-in f of account a, before any code is sent.
func pendingOf(f flow.Flow, a account.Account) Pending {
	p := Pending{LoginID: f.ID, Method: a.SecondFactor(), SentTo: account.MaskEmail(a.Email)}
	if p.Method == "sms" {
		p.SentTo = a.MaskedMobile()
	}
	return p
}

// send issues the second-factor code for flow f and audits it, in tx.
func (s *Service) send(ctx context.Context, tx *sql.Tx, f flow.Flow, a account.Account) (Pending, error) {
	p := pendingOf(f, a)
	req := code.Request{FlowID: f.ID, Purpose: code.Login, Channel: outbox.Email, To: a.Email, AccountID: a.ID}
	if p.Method == "sms" {
		req.Channel, req.To = outbox.SMS, a.Mobile
	}
	sent, err := s.Codes.Send(ctx, tx, req)
	if err != nil {
		return Pending{}, err
	}
	p.ResendAt = sent.ResendAt
	return p, s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: a.ID, Action: audit.AuthnCodeSent,
		Result: audit.OK, FlowID: f.ID, Detail: map[string]string{"channel": string(req.Channel), "purpose": string(code.Login)}})
}

// Resend sends a new code for a pending sign-in.
func (s *Service) Resend(ctx context.Context, loginID string) (Pending, error) {
	f, err := s.Flows.Require(ctx, s.DB, Machine, loginID, CodeRequired)
	if err != nil {
		return Pending{}, err
	}
	var p Pending
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		a, err := s.Accounts.ByID(ctx, tx, f.AccountID)
		if err != nil {
			return err
		}
		p, err = s.send(ctx, tx, f, a)
		return err
	})
	if apperr.Is(err, apperr.RateLimited) {
		s.refuse(ctx, f.AccountID, "", err)
	}
	return p, err
}

// Status describes a pending sign-in, for the second-factor page.
func (s *Service) Status(ctx context.Context, loginID string) (Pending, error) {
	f, err := s.Flows.Require(ctx, s.DB, Machine, loginID, CodeRequired)
	if err != nil {
		return Pending{}, err
	}
	a, err := s.Accounts.ByID(ctx, s.DB, f.AccountID)
	if err != nil {
		return Pending{}, err
	}
	p := Pending{LoginID: f.ID, Method: f.Data["method"], SentTo: account.MaskEmail(a.Email)}
	if p.Method == "sms" {
		p.SentTo = a.MaskedMobile()
	}
	p.ResendAt, err = s.Codes.ResendAt(ctx, s.DB, f.ID, code.Login)
	return p, err
}

// failed audits a refused password (reason "password") or a frozen account.
func (s *Service) failed(ctx context.Context, accountID, email, reason string) {
	actor := audit.ActorUser
	if accountID == "" {
		actor = audit.ActorAnonymous
	}
	s.Audit.Write(ctx, s.DB, audit.Event{Actor: actor, AccountID: accountID, Action: audit.AuthnLoginFail, Result: audit.Failed,
		Detail: map[string]string{"reason": reason, "email": account.MaskEmail(email)}})
}

// refuse audits a rate-limited attempt and returns its error.
func (s *Service) refuse(ctx context.Context, accountID, email string, err error) error {
	actor := audit.ActorUser
	if accountID == "" {
		actor = audit.ActorAnonymous
	}
	limit, _ := apperr.As(err).Fields["limit"].(string)
	detail := map[string]string{"limit": limit}
	if email != "" {
		detail["email"] = account.MaskEmail(email)
	}
	s.Audit.Write(ctx, s.DB, audit.Event{Actor: actor, AccountID: accountID, Action: audit.ExcessRateLimit,
		Result: audit.Refused, Detail: detail})
	return err
}
