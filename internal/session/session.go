// Package session owns signed-in sessions: a server-side table keyed by the
// digest of a 256-bit bearer token, with an idle and an absolute lifetime.
// The same token is the API's bearer token and the pages' cookie value.
package session

import (
	"context"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// Session is a signed-in session.
type Session struct {
	ID         string
	AccountID  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end; the idle timeout may end it sooner.
	ExpiresAt time.Time
}

// Manager creates, looks up and revokes sessions.
type Manager struct {
	clock    clock.Clock
	idle     time.Duration
	absolute time.Duration
}

// NewManager returns a manager whose sessions end after idle without use or
// absolute after sign-in, whichever comes first.
func NewManager(c clock.Clock, idle, absolute time.Duration) *Manager {
	return &Manager{clock: c, idle: idle, absolute: absolute}
}

// EndsAt is when s ends if it is not used again.
func (m *Manager) EndsAt(s Session) time.Time {
	idleEnd := s.LastSeenAt.Add(m.idle)
	if idleEnd.Before(s.ExpiresAt) {
		return idleEnd
	}
	return s.ExpiresAt
}

// Create starts a session for the account and returns its bearer token,
// which is shown once and stored only as its digest.
func (m *Manager) Create(ctx context.Context, q store.Querier, accountID, ip, userAgent string) (string, Session, error) {
	now := m.clock.Now().Truncate(time.Millisecond)
	secret := token.NewSecret()
	s := Session{ID: token.NewID(), AccountID: accountID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(m.absolute)}
	if len(userAgent) > 256 {
		userAgent = userAgent[:256]
	}
	_, err := q.ExecContext(ctx, `INSERT INTO sessions (token_hash, id, account_id, created_at, last_seen_at, expires_at, ip, user_agent)
		VALUES ($1, $2, $3, $4, $4, $5, $6, $7)`,
		token.Digest(secret), s.ID, accountID, store.Millis(now), store.Millis(s.ExpiresAt), ip, userAgent)
	if err != nil {
		return "", Session{}, fmt.Errorf("session: create: %w", store.Translate(err))
	}
	return secret, s, nil
}

// touchEvery limits writes: last use is recorded at most once a minute.
const touchEvery = time.Minute

// Lookup returns the live session of a bearer token and records its use; an
// unknown, revoked, idle or expired token is unauthorized.
func (m *Manager) Lookup(ctx context.Context, q store.Querier, secret string) (Session, error) {
	return m.lookup(ctx, q, secret, nil)
}

// LookupAccount is Lookup that also reads the session's account, in the
// same statement: every signed-in request needs both.
func (m *Manager) LookupAccount(ctx context.Context, q store.Querier, secret string) (Session, account.Account, error) {
	var r account.Row
	s, err := m.lookup(ctx, q, secret, r.Dest())
	if err != nil {
		return Session{}, account.Account{}, err
	}
	return s, r.Account(), nil
}

// lookup reads the session and, when dest is given, its account's
// account.Columns into dest.
func (m *Manager) lookup(ctx context.Context, q store.Querier, secret string, dest []any) (Session, error) {
	if secret == "" || len(secret) > 128 {
		return Session{}, apperr.New(apperr.Unauthorized, "sign in first")
	}
	now := m.clock.Now()
	var s Session
	var created, seen, expires int64
	query := `SELECT s.id, s.account_id, s.created_at, s.last_seen_at, s.expires_at FROM sessions s
		WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3`
	if dest != nil {
		query = `SELECT s.id, s.account_id, s.created_at, s.last_seen_at, s.expires_at, ` + account.Columns("a") + `
		FROM sessions s JOIN accounts a ON a.id = s.account_id
		WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3`
	}
	err := q.QueryRowContext(ctx, query, token.Digest(secret), store.Millis(now), store.Millis(now.Add(-m.idle))).
		Scan(append([]any{&s.ID, &s.AccountID, &created, &seen, &expires}, dest...)...)
	if store.IsNoRows(err) {
		return Session{}, apperr.New(apperr.Unauthorized, "your session has ended; sign in again")
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: lookup: %w", store.Translate(err))
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = store.Time(created), store.Time(seen), store.Time(expires)
	if now.Sub(s.LastSeenAt) >= touchEvery {
		if _, err := q.ExecContext(ctx, "UPDATE sessions SET last_seen_at = $1 WHERE id = $2", store.Millis(now), s.ID); err != nil {
			return Session{}, fmt.Errorf("session: touch: %w", store.Translate(err))
		}
		s.LastSeenAt = now.Truncate(time.Millisecond)
	}
	return s, nil
}

// Revoke ends the session of a bearer token, if there is one.
func (m *Manager) Revoke(ctx context.Context, q store.Querier, secret string) error {
	if secret == "" {
		return nil
	}
	if _, err := q.ExecContext(ctx, "DELETE FROM sessions WHERE token_hash = $1", token.Digest(secret)); err != nil {
		return fmt.Errorf("session: revoke: %w", store.Translate(err))
	}
	return nil
}

// RevokeAll ends every session of the account, except keepID when it is not
// empty, in one statement. It returns how many ended.
func (m *Manager) RevokeAll(ctx context.Context, q store.Querier, accountID, keepID string) (int64, error) {
	res, err := q.ExecContext(ctx, "DELETE FROM sessions WHERE account_id = $1 AND id <> $2", accountID, keepID)
	if err != nil {
		return 0, fmt.Errorf("session: revoke all: %w", store.Translate(err))
	}
	return res.RowsAffected()
}

// Purge deletes up to limit sessions that ended before before, and returns
// how many it deleted (the retention job, REBIND_RETAIN_SESSIONS). It finds
// them by their last use: a session ends at the latest the idle timeout
// after it, so one that reached its absolute end while in use is deleted up
// to the idle timeout later than one that went idle. Several instances may
// purge at once: on PostgreSQL each skips the rows another is deleting.
func (m *Manager) Purge(ctx context.Context, db *store.DB, before time.Time, limit int) (int64, error) {
	res, err := db.ExecContext(ctx, `WITH old AS MATERIALIZED (
			SELECT token_hash FROM sessions WHERE last_seen_at <= $1 LIMIT $2`+db.SkipLocked()+`)
		DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM old)`, store.Millis(before.Add(-m.idle)), limit)
	if err != nil {
		return 0, fmt.Errorf("session: purge: %w", store.Translate(err))
	}
	return res.RowsAffected()
}

// CookieName is the name of the session cookie. Outside dev the __Host-
// prefix makes browsers accept it only when Secure, host-only and Path=/,
// so a sibling subdomain cannot plant or read it.
func CookieName(secure bool) string {
	if secure {
		return "__Host-rebind_session"
	}
	return "rebind_session"
}
