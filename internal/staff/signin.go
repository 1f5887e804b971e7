package staff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// Attempt is what the sign-in form sends.
type Attempt struct {
	Email    string
	Password string
	Code     string
	// Previous is the staff session token the browser held, if any: it
	// ends when the new one begins.
	Previous  string
	UserAgent string
}

// maxChecked bounds the bytes of a password that is hashed at all.
const maxChecked = 1024

// wrong is the one answer to an unknown email, a wrong password, a wrong
// or used code and a disabled member.
func wrong() error {
	return apperr.New(apperr.InvalidCredentials, "the email, password or code is not right")
}

// errReplayed is a right code whose time step was used already.
var errReplayed = errors.New("staff: code already used")

// SignIn checks an email, password and TOTP code and starts a staff
// session. Each attempt counts against PerIP and PerEmail first (emails
// that are no member's included); an unknown email is checked against a
// dummy hash so it costs what a wrong password does. A right code is
// accepted only if its time step is later than the last one accepted for
// the member, in one conditional statement: of two sign-ins with one code,
// however close together, one wins. Every refusal is the same error and is
// audited with its reason.
func (s *Service) SignIn(ctx context.Context, a Attempt) (SignedIn, error) {
	norm := strings.ToLower(strings.TrimSpace(a.Email))
	if len(a.Password) > maxChecked || len(norm) > 254 {
		return SignedIn{}, wrong()
	}
	r, err := s.byEmail(ctx, s.DB, norm)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return SignedIn{}, err
	}
	if err := s.Limiter.Take(ctx, s.DB, "ip:"+client.From(ctx).IP, s.PerIP); err != nil {
		return SignedIn{}, s.refused(ctx, r, a.Email, err)
	}
	if err := s.Limiter.Take(ctx, s.DB, "email:"+norm, s.PerEmail); err != nil {
		return SignedIn{}, s.refused(ctx, r, a.Email, err)
	}
	ok, err := s.Hasher.Verify(ctx, a.Password, r.PasswordHash)
	if err != nil {
		return SignedIn{}, apperr.Busy(password.RetryAfter, err)
	}
	step, reason := s.secondFactor(r, ok, strings.TrimSpace(a.Code))
	if reason != "" {
		s.failed(ctx, r, a.Email, reason)
		return SignedIn{}, wrong()
	}
	out, err := s.begin(ctx, r.Member, step, a)
	if errors.Is(err, errReplayed) {
		s.failed(ctx, r, a.Email, "replayed")
		return SignedIn{}, wrong()
	}
	return out, err
}

// secondFactor returns the time step of a right code, or why the attempt
// fails: "unknown" email, wrong "password" (a member who never enrolled
// has none), "disabled" member, wrong "code".
func (s *Service) secondFactor(r record, passwordOK bool, code string) (int64, string) {
	switch {
	case r.ID == "":
		return 0, "unknown"
	case !passwordOK:
		return 0, "password"
	case !r.DisabledAt.IsZero():
		return 0, "disabled"
	case !r.TOTPSealed.Valid || r.EnrolledAt.IsZero():
		return 0, "password"
	}
	secret, err := s.openSecret(r.ID, r.TOTPSealed.String)
	if err != nil {
		return 0, "code"
	}
	step, ok := matchCode(secret, code, s.Clock.Now())
	if !ok {
		return 0, "code"
	}
	return step, ""
}

// begin records the code's time step as used and starts the session, in
// one transaction; errReplayed if that step (or a later one) was used.
func (s *Service) begin(ctx context.Context, m Member, step int64, a Attempt) (SignedIn, error) {
	var out SignedIn
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE staff SET totp_step = $1
			WHERE id = $2 AND totp_step < $1 AND disabled_at IS NULL AND enrolled_at IS NOT NULL`, step, m.ID)
		if err != nil {
			return fmt.Errorf("staff: use code: %w", store.Translate(err))
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errReplayed
		}
		if a.Previous != "" {
			if _, err := tx.ExecContext(ctx, "DELETE FROM staff_sessions WHERE token_hash = $1", token.Digest(a.Previous)); err != nil {
				return fmt.Errorf("staff: end previous session: %w", store.Translate(err))
			}
		}
		if out, err = s.createSession(ctx, tx, m, a.UserAgent); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, event(m, audit.StaffLoginSuccess, m, nil))
	})
	return out, err
}

// failed audits a refused sign-in with its reason. A member is named; an
// email that is no member's is recorded masked.
func (s *Service) failed(ctx context.Context, r record, typed, reason string) {
	e := audit.Event{Actor: audit.ActorAnonymous, Action: audit.StaffLoginFail, Result: audit.Failed,
		Detail: map[string]string{"reason": reason}}
	if r.ID != "" {
		e.Actor, e.Detail["staff"] = audit.ActorStaff, r.Email
	} else {
		e.Detail["email"] = account.MaskEmail(typed)
	}
	s.Audit.Write(ctx, s.DB, e)
}

// refused audits an attempt a limit refused and returns its error.
func (s *Service) refused(ctx context.Context, r record, typed string, err error) error {
	limit, _ := apperr.As(err).Fields["limit"].(string)
	e := audit.Event{Actor: audit.ActorAnonymous, Action: audit.ExcessRateLimit, Result: audit.Refused,
		Detail: map[string]string{"limit": limit}}
	if r.ID != "" {
		e.Actor, e.Detail["staff"] = audit.ActorStaff, r.Email
	} else {
		e.Detail["email"] = account.MaskEmail(typed)
	}
	s.Audit.Write(ctx, s.DB, e)
	return err
}
