package staff

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// Enrolment is an enrolment link that can still be used: whose it is, and
// the key their authenticator app is to take.
type Enrolment struct {
	Member Member
	Key    Key
}

// linkGone is the one answer to a link that is unknown, used, expired,
// replaced by a newer one, or of a member who enrolled or was disabled.
func linkGone() error {
	return apperr.New(apperr.NotFound, "this enrolment link cannot be used: it was used already, it expired or a newer one replaced it. Ask an admin for a new link")
}

// Enrolment returns the enrolment of a link's token. The member's TOTP
// secret is made the first time the link is opened and kept (sealed), so
// opening the link again shows the same QR code.
func (s *Service) Enrolment(ctx context.Context, tok string) (Enrolment, error) {
	r, err := s.pending(ctx, s.DB, tok)
	if err != nil {
		return Enrolment{}, err
	}
	if !r.TOTPSealed.Valid {
		if _, err := s.DB.ExecContext(ctx, "UPDATE staff SET totp_sealed = $1 WHERE id = $2 AND totp_sealed IS NULL",
			s.sealSecret(r.ID, newSecret()), r.ID); err != nil {
			return Enrolment{}, fmt.Errorf("staff: keep totp secret: %w", store.Translate(err))
		}
		// Read back whichever secret was kept, in case another request
		// kept one first.
		if r, err = s.pending(ctx, s.DB, tok); err != nil {
			return Enrolment{}, err
		}
	}
	secret, err := s.openSecret(r.ID, r.TOTPSealed.String)
	if err != nil {
		return Enrolment{}, err
	}
	k, err := s.key(r.Email, secret)
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Member: r.Member, Key: k}, nil
}

// pending returns the member of a usable link's token.
func (s *Service) pending(ctx context.Context, q store.Querier, tok string) (record, error) {
	if tok == "" || len(tok) > 128 {
		return record{}, linkGone()
	}
	r, err := scanRecord(q.QueryRowContext(ctx, `SELECT s.id, s.email, s.role, s.password_hash, s.totp_sealed,
		s.created_at, s.enrolled_at, s.disabled_at
		FROM staff_enrolments e JOIN staff s ON s.id = e.staff_id
		WHERE e.token_hash = $1 AND e.used_at IS NULL AND e.expires_at > $2
		AND s.enrolled_at IS NULL AND s.disabled_at IS NULL`, token.Digest(tok), store.Millis(s.Clock.Now())))
	if store.IsNoRows(err) {
		return record{}, linkGone()
	}
	if err != nil {
		return record{}, fmt.Errorf("staff: enrolment: %w", store.Translate(err))
	}
	return r, nil
}

// Enrol completes the enrolment of a link's token: the new password (held
// to the users' strength rules), and a first code from the authenticator
// app, which proves it took the secret. The link is spent, the code's
// time step is recorded as used, and the member is signed in, in one
// transaction: of two enrolments with one link, one wins.
func (s *Service) Enrol(ctx context.Context, tok, pw, code, userAgent string) (SignedIn, error) {
	r, err := s.pending(ctx, s.DB, tok)
	if err != nil {
		return SignedIn{}, err
	}
	if err := password.Check(pw, r.Email); err != nil {
		return SignedIn{}, apperr.New(apperr.InvalidRequest, err.Error())
	}
	if !r.TOTPSealed.Valid {
		return SignedIn{}, apperr.New(apperr.WrongState, "open the enrolment link again to see the QR code")
	}
	secret, err := s.openSecret(r.ID, r.TOTPSealed.String)
	if err != nil {
		return SignedIn{}, err
	}
	step, ok := matchCode(secret, code, s.Clock.Now())
	if !ok {
		return SignedIn{}, apperr.New(apperr.InvalidCode, "the code is not right; enter the 6 digits your authenticator app shows now")
	}
	hash, err := s.Hasher.Hash(ctx, pw)
	if err != nil {
		return SignedIn{}, apperr.Busy(password.RetryAfter, err)
	}
	return s.complete(ctx, r, tok, hash, step, userAgent)
}

// complete spends the link, sets the password and the used time step, and
// signs the member in, in one transaction. The sealed secret must still be
// the one the code was checked against: a newer link clears it.
func (s *Service) complete(ctx context.Context, r record, tok, hash string, step int64, userAgent string) (SignedIn, error) {
	var out SignedIn
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := store.Millis(s.Clock.Now())
		res, err := tx.ExecContext(ctx, `UPDATE staff_enrolments SET used_at = $1
			WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1`, now, token.Digest(tok))
		if err != nil {
			return fmt.Errorf("staff: spend link: %w", store.Translate(err))
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return linkGone()
		}
		res, err = tx.ExecContext(ctx, `UPDATE staff SET password_hash = $1, totp_step = $2, enrolled_at = $3
			WHERE id = $4 AND enrolled_at IS NULL AND disabled_at IS NULL AND totp_sealed = $5`,
			hash, step, now, r.ID, r.TOTPSealed.String)
		if err != nil {
			return fmt.Errorf("staff: enrol: %w", store.Translate(err))
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return linkGone()
		}
		if out, err = s.createSession(ctx, tx, r.Member, userAgent); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, event(r.Member, audit.StaffEnrolled, r.Member, nil))
	})
	return out, err
}
