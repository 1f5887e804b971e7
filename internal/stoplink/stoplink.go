// Package stoplink owns the "This wasn't me" links that every notice of a
// security event carries (SPEC §3.2.1): making them, checking them, and
// using one once. The owner confirms on a page (a mail scanner that
// fetches links must not set it off); using the link runs Freeze, which
// the consequence package provides (it freezes the account as one more
// security change), in the same transaction. The package sits low: the
// procedures that make links reach it through consequence.
package stoplink

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/notify"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// TTL is how long a link works: long enough for an owner who reads mail
// late.
const TTL = 30 * 24 * time.Hour

// Service makes and honours the links.
type Service struct {
	DB       *store.DB
	Clock    clock.Clock
	Notifier *notify.Notifier // makes the links' addresses
	// Freeze is what using a link does, in the transaction that marks
	// it used (consequence.Service.Freeze).
	Freeze func(ctx context.Context, tx *sql.Tx, l Link) error
}

// Create stores a new link for an event on the account, in the event's
// transaction, and returns its address. The token (128 random bits) is
// stored only as its digest.
func (s *Service) Create(ctx context.Context, q store.Querier, accountID, event string) (string, error) {
	tok := token.NewID()
	now := s.Clock.Now()
	_, err := q.ExecContext(ctx, `INSERT INTO stop_tokens (token_hash, account_id, event, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, token.Digest(tok), accountID, event, store.Millis(now), store.Millis(now.Add(TTL)))
	if err != nil {
		return "", fmt.Errorf("stoplink: create: %w", store.Translate(err))
	}
	return s.Notifier.Link(notify.StopPath, url.Values{"t": {tok}}), nil
}

// Link is a valid link's target.
type Link struct {
	AccountID string
	Event     string
	Used      bool
}

// Check returns the link of tok, or not_found when it is unknown or
// expired. It changes nothing.
func (s *Service) Check(ctx context.Context, tok string) (Link, error) {
	if !token.ValidID(tok) {
		return Link{}, apperr.New(apperr.NotFound, "this link is not valid or has expired; contact support")
	}
	var l Link
	var used sql.NullInt64
	err := s.DB.QueryRowContext(ctx, "SELECT account_id, event, used_at FROM stop_tokens WHERE token_hash = $1 AND expires_at > $2",
		token.Digest(tok), store.Millis(s.Clock.Now())).Scan(&l.AccountID, &l.Event, &used)
	if store.IsNoRows(err) {
		return Link{}, apperr.New(apperr.NotFound, "this link is not valid or has expired; contact support")
	}
	if err != nil {
		return Link{}, fmt.Errorf("stoplink: check: %w", store.Translate(err))
	}
	l.Used = used.Valid
	return l, nil
}

// Use freezes the account of tok. Using a link again is harmless: the
// account stays frozen and nothing is sent twice.
func (s *Service) Use(ctx context.Context, tok string) (Link, error) {
	l, err := s.Check(ctx, tok)
	if err != nil {
		return Link{}, err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE stop_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
			store.Millis(s.Clock.Now()), token.Digest(tok))
		if err != nil {
			return fmt.Errorf("stoplink: use: %w", store.Translate(err))
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // used before
		}
		return s.Freeze(ctx, tx, l)
	})
	return l, err
}
