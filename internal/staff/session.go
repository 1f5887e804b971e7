package staff

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// Session is a staff session.
type Session struct {
	ID         string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end; SessionIdle without use ends it
	// sooner.
	ExpiresAt time.Time
}

// EndsAt is when the session ends if it is not used again.
func (s Session) EndsAt() time.Time {
	if idle := s.LastSeenAt.Add(SessionIdle); idle.Before(s.ExpiresAt) {
		return idle
	}
	return s.ExpiresAt
}

// SignedIn is a session just begun: its bearer token, for the console's
// cookie, shown once and stored only as its digest.
type SignedIn struct {
	Token   string
	Member  Member
	Session Session
}

// createSession starts a session for m in tx.
func (s *Service) createSession(ctx context.Context, tx *sql.Tx, m Member, userAgent string) (SignedIn, error) {
	now := s.Clock.Now().Truncate(time.Millisecond)
	out := SignedIn{Token: token.NewSecret(), Member: m,
		Session: Session{ID: token.NewID(), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(SessionAbsolute)}}
	if len(userAgent) > 256 {
		userAgent = userAgent[:256]
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO staff_sessions (token_hash, id, staff_id, created_at, last_seen_at, expires_at, ip, user_agent)
		VALUES ($1, $2, $3, $4, $4, $5, $6, $7)`, token.Digest(out.Token), out.Session.ID, m.ID,
		store.Millis(now), store.Millis(out.Session.ExpiresAt), client.From(ctx).IP, userAgent)
	if err != nil {
		return SignedIn{}, fmt.Errorf("staff: create session: %w", store.Translate(err))
	}
	return out, nil
}

// touchEvery limits writes: a session's last use is recorded at most once
// a minute.
const touchEvery = time.Minute

func signInAgain() error {
	return apperr.New(apperr.Unauthorized, "your staff session has ended; sign in again")
}

// Current returns the member and session of a staff session's token and
// records its use. A token that is unknown here (a user's session token
// among them), ended, idle, past its absolute end or of a disabled member
// is unauthorized.
func (s *Service) Current(ctx context.Context, tok string) (Member, Session, error) {
	if tok == "" || len(tok) > 128 {
		return Member{}, Session{}, signInAgain()
	}
	now := s.Clock.Now()
	var m Member
	var ss Session
	var created, seen, expires int64
	err := s.DB.QueryRowContext(ctx, `SELECT s.id, s.email, s.role, x.id, x.created_at, x.last_seen_at, x.expires_at
		FROM staff_sessions x JOIN staff s ON s.id = x.staff_id
		WHERE x.token_hash = $1 AND x.expires_at > $2 AND x.last_seen_at > $3 AND s.disabled_at IS NULL`,
		token.Digest(tok), store.Millis(now), store.Millis(now.Add(-SessionIdle))).
		Scan(&m.ID, &m.Email, &m.Role, &ss.ID, &created, &seen, &expires)
	if store.IsNoRows(err) {
		return Member{}, Session{}, signInAgain()
	}
	if err != nil {
		return Member{}, Session{}, fmt.Errorf("staff: session: %w", store.Translate(err))
	}
	ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = store.Time(created), store.Time(seen), store.Time(expires)
	if now.Sub(ss.LastSeenAt) >= touchEvery {
		if _, err := s.DB.ExecContext(ctx, "UPDATE staff_sessions SET last_seen_at = $1 WHERE id = $2", store.Millis(now), ss.ID); err != nil {
			return Member{}, Session{}, fmt.Errorf("staff: touch session: %w", store.Translate(err))
		}
		ss.LastSeenAt = now.Truncate(time.Millisecond)
	}
	return m, ss, nil
}

// SignOut ends the session of a token, if it is one, and records
// staff_logout.
func (s *Service) SignOut(ctx context.Context, tok string) error {
	if tok == "" || len(tok) > 128 {
		return nil
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var m Member
		err := tx.QueryRowContext(ctx, `DELETE FROM staff_sessions WHERE token_hash = $1 RETURNING staff_id`, token.Digest(tok)).Scan(&m.ID)
		if store.IsNoRows(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("staff: sign out: %w", store.Translate(err))
		}
		if err := tx.QueryRowContext(ctx, "SELECT email, role FROM staff WHERE id = $1", m.ID).Scan(&m.Email, &m.Role); err != nil {
			return fmt.Errorf("staff: sign out: %w", store.Translate(err))
		}
		return s.Audit.Append(ctx, tx, event(m, audit.StaffLogout, m, nil))
	})
}

// Purge deletes staff sessions that have ended and enrolment links that
// were used or expired.
func (s *Service) Purge(ctx context.Context) (int64, error) {
	now := s.Clock.Now()
	res, err := s.DB.ExecContext(ctx, "DELETE FROM staff_sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
		store.Millis(now), store.Millis(now.Add(-SessionIdle)))
	if err != nil {
		return 0, fmt.Errorf("staff: purge sessions: %w", store.Translate(err))
	}
	n, _ := res.RowsAffected()
	res, err = s.DB.ExecContext(ctx, "DELETE FROM staff_enrolments WHERE used_at IS NOT NULL OR expires_at <= $1", store.Millis(now))
	if err != nil {
		return n, fmt.Errorf("staff: purge enrolment links: %w", store.Translate(err))
	}
	m, _ := res.RowsAffected()
	return n + m, nil
}
