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
	"github.com/rebindhq/rebind/internal/credential"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/outbox"
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

// Service signs users in.
type Service struct {
	DB       *store.DB
	Clock    clock.Clock
	Accounts *account.Store
	// Check checks the email and password and issues device tokens.
	Check    *credential.Checker
	Codes    *code.Service
	Flows    *flow.Store
	Sessions *session.Manager
	Audit    *audit.Log
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

// Start checks email and password and sends the second-factor code.
//
// Once the password is right the sign-in exists even when a limit refuses
// the code: the error then carries the login id and says when to ask
// again, and the returned Pending lets a page offer the second-factor step
// and its way out, "Security authentication unavailable?".
func (s *Service) Start(ctx context.Context, c credential.Credentials) (Pending, error) {
	a, err := s.Check.Check(ctx, c)
	if err != nil {
		return Pending{}, err
	}
	ip := client.From(ctx).IP
	var f flow.Flow
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if f, err = s.Flows.Create(ctx, tx, Machine, a.ID, ip, data{Method: a.SecondFactor()}.fields()); err != nil {
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
		return p, s.Check.Refused(ctx, a.ID, c.Email, apperr.As(err).With("login_id", f.ID))
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
		s.Check.Refused(ctx, f.AccountID, "", err)
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
	p := Pending{LoginID: f.ID, Method: dataOf(f).Method, SentTo: account.MaskEmail(a.Email)}
	if p.Method == "sms" {
		p.SentTo = a.MaskedMobile()
	}
	p.ResendAt, err = s.Codes.ResendAt(ctx, s.DB, f.ID, code.Login)
	return p, err
}
