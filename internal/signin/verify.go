package signin

import (
	"context"
	"database/sql"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/session"
)

// Signed is the outcome of a completed sign-in.
type Signed struct {
	Token   string
	Session session.Session
	// ExpiresAt is when the session ends if it is not used before.
	ExpiresAt time.Time
	// Device is a new device token for this browser or app (device.go).
	Device string
}

// Verify checks the second-factor code. On success it ends the sign-in flow,
// starts a new session (ending previousToken's, so the session id changes at
// sign-in), and, when the code went to the bound mobile, cancels any open
// mobile reset of the account: its owner still holds the phone.
//
// The code is checked in the step's transaction: it is used up only with
// the session's start, and a wrong entry is committed and counted even
// though nothing else is written.
func (s *Service) Verify(ctx context.Context, loginID, entered, previousToken string) (Signed, error) {
	f, err := s.Flows.Require(ctx, s.DB, Machine, loginID, CodeRequired)
	if err != nil {
		return Signed{}, err
	}
	check := func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.Codes.Check(ctx, tx, f.ID, code.Login, entered)
		return err
	}
	info := client.From(ctx)
	var out Signed
	_, err = s.Flows.StepChecked(ctx, s.DB, Machine, f.ID, Verify, nil, check, code.Refused, func(ctx context.Context, tx *sql.Tx, f flow.Flow) error {
		a, err := s.Accounts.ByID(ctx, tx, f.AccountID)
		if err != nil {
			return err
		}
		if a.Frozen {
			return apperr.New(apperr.Forbidden, "this account is frozen; contact support to unlock it")
		}
		if err := s.Sessions.Revoke(ctx, tx, previousToken); err != nil {
			return err
		}
		out.Token, out.Session, err = s.Sessions.Create(ctx, tx, a.ID, info.IP, info.UserAgent)
		if err != nil {
			return err
		}
		out.ExpiresAt = s.Sessions.EndsAt(out.Session)
		out.Device = s.Check.DeviceToken(a)
		method := dataOf(f).Method
		detail := map[string]string{"method": method, "session": out.Session.ID}
		if method == "sms" {
			cancelled, err := s.Flows.CancelExclusive(ctx, tx, flow.MobileReset, a.ID)
			if err != nil {
				return err
			}
			if cancelled != "" {
				detail["cancelled_reset"] = cancelled
			}
		}
		return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: a.ID, Action: audit.AuthnLoginSuccess,
			Result: audit.OK, FlowID: f.ID, Detail: detail})
	})
	if code.Refused(err) {
		s.Audit.Write(ctx, s.DB, audit.Event{Actor: audit.ActorUser, AccountID: f.AccountID, Action: audit.AuthnLoginFail,
			Result: audit.Failed, FlowID: f.ID, Detail: map[string]string{"reason": "code", "error": string(apperr.As(err).Code)}})
	}
	return out, err
}

// EndsAt is when session sess ends if it is not used before.
func (s *Service) EndsAt(sess session.Session) time.Time { return s.Sessions.EndsAt(sess) }

// Current returns the session of a bearer token and its account.
func (s *Service) Current(ctx context.Context, token string) (session.Session, account.Account, error) {
	return s.Sessions.LookupAccount(ctx, s.DB, token)
}

// SignOut ends the session of token.
func (s *Service) SignOut(ctx context.Context, token string) error {
	sess, err := s.Sessions.Lookup(ctx, s.DB, token)
	if err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.Sessions.Revoke(ctx, tx, token); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: sess.AccountID, Action: audit.SessionRevoked,
			Result: audit.OK, Detail: map[string]string{"session": sess.ID, "by": "sign_out"}})
	})
}
