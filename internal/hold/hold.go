// Package hold owns time-boxed restrictions on accounts, today the
// withdrawal hold that follows every security change, and answers the
// wallet's question: may this account withdraw right now? A hold only ever
// extends: a new security change during a hold moves its end to the later
// of the two, never earlier.
package hold

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// Withdrawal is the kind of hold that stops withdrawals.
const Withdrawal = "withdrawal"

// Reasons for a withdrawal hold.
const (
	MobileReset   = "mobile_reset"
	MobileChange  = "mobile_change"
	MobileBind    = "mobile_bind"
	PasswordReset = "password_reset"
	// AccountFrozen is reported for a frozen account; it has no end.
	AccountFrozen = "account_frozen"
)

// Reasons lists every reason, each said in words by because.
var Reasons = []string{MobileReset, MobileChange, MobileBind, PasswordReset, AccountFrozen}

// because says each reason to the account's owner, to end the sentence
// "Withdrawals are held until <time> …": pages show these words, never the
// codes, which are for the exchange's services.
var because = map[string]string{
	MobileReset:   "because your mobile verification was reset",
	MobileChange:  "because your mobile number was changed",
	MobileBind:    "because a mobile number was bound to your account",
	PasswordReset: "because your password was reset",
	AccountFrozen: "because you reported \u201cThis wasn't me\u201d",
}

// Hold is one active restriction.
type Hold struct {
	Kind   string    `json:"kind"`
	Reason string    `json:"reason"`
	Until  time.Time `json:"until"`
}

// Because says why the hold is in place, in words for its owner.
func (h Hold) Because() string {
	if words, ok := because[h.Reason]; ok {
		return words
	}
	return "because of a security change on your account"
}

// Store reads and extends holds.
type Store struct {
	clock clock.Clock
}

// NewStore returns a hold store reading time from c.
func NewStore(c clock.Clock) *Store { return &Store{clock: c} }

// Extend puts a withdrawal hold for reason on the account until now + d, or
// leaves a later end in place. It returns the hold's end. One statement, so
// concurrent extensions cannot shorten each other.
func (s *Store) Extend(ctx context.Context, q store.Querier, accountID, reason string, d time.Duration) (time.Time, error) {
	now := s.clock.Now()
	var end int64
	err := q.QueryRowContext(ctx, `INSERT INTO holds (account_id, kind, reason, starts_at, ends_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (account_id, kind, reason) DO UPDATE SET
			starts_at = CASE WHEN holds.ends_at > $4 THEN holds.starts_at ELSE excluded.starts_at END,
			ends_at = CASE WHEN holds.ends_at > excluded.ends_at THEN holds.ends_at ELSE excluded.ends_at END
		RETURNING ends_at`, accountID, Withdrawal, reason, store.Millis(now), store.Millis(now.Add(d))).Scan(&end)
	if err != nil {
		return time.Time{}, fmt.Errorf("hold: extend: %w", store.Translate(err))
	}
	return store.Time(end), nil
}

// Active returns the account's holds that have not ended, latest end first.
func (s *Store) Active(ctx context.Context, q store.Querier, accountID string) ([]Hold, error) {
	rows, err := q.QueryContext(ctx, "SELECT kind, reason, ends_at FROM holds WHERE account_id = $1 AND ends_at > $2 ORDER BY ends_at DESC, reason",
		accountID, store.Millis(s.clock.Now()))
	if err != nil {
		return nil, fmt.Errorf("hold: active: %w", store.Translate(err))
	}
	defer rows.Close()
	list := []Hold{}
	for rows.Next() {
		var h Hold
		var end int64
		if err := rows.Scan(&h.Kind, &h.Reason, &end); err != nil {
			return nil, fmt.Errorf("hold: active: %w", err)
		}
		h.Until = store.Time(end)
		list = append(list, h)
	}
	return list, store.Translate(rows.Err())
}

// Eligibility answers whether an account may withdraw now.
type Eligibility struct {
	Allowed bool `json:"allowed"`
	// Until is when the latest hold ends; nil when allowed, or when a
	// frozen account has no end until staff lift it.
	Until   *time.Time `json:"until"`
	Reasons []string   `json:"reasons"`
}

// WithdrawalEligibility is the wallet's hot path: one indexed query. An
// unknown account is not_found; any database error is returned, and the
// wallet must treat an error as "not allowed" (fail closed). Answers
// coalesces concurrent questions into one such query.
func (s *Store) WithdrawalEligibility(ctx context.Context, q store.Querier, accountID string) (Eligibility, error) {
	if !token.ValidID(accountID) {
		return Eligibility{}, apperr.New(apperr.NotFound, "no such account")
	}
	got, err := s.eligibilities(ctx, q, []string{accountID})
	if err != nil {
		return Eligibility{}, err
	}
	e, ok := got[accountID]
	if !ok {
		return Eligibility{}, apperr.New(apperr.NotFound, "no such account")
	}
	return e, nil
}

// eligibilities answers for several accounts in one statement, read at one
// instant; an account the map lacks does not exist. ids must be valid IDs
// (token.ValidID), which keeps the statement's text to placeholders.
func (s *Store) eligibilities(ctx context.Context, q store.Querier, ids []string) (map[string]Eligibility, error) {
	args := make([]any, 0, len(ids)+2)
	args = append(args, Withdrawal, store.Millis(s.clock.Now()))
	var in strings.Builder
	for i, id := range ids {
		if i > 0 {
			in.WriteString(", ")
		}
		in.WriteString("$" + strconv.Itoa(i+3))
		args = append(args, id)
	}
	rows, err := q.QueryContext(ctx, `SELECT a.id, a.frozen, h.reason, h.ends_at FROM accounts a
		LEFT JOIN holds h ON h.account_id = a.id AND h.kind = $1 AND h.ends_at > $2
		WHERE a.id IN (`+in.String()+`) ORDER BY a.id, h.ends_at DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("hold: eligibility: %w", store.Translate(err))
	}
	defer rows.Close()
	out := make(map[string]Eligibility, len(ids))
	for rows.Next() {
		var id string
		var frozen bool
		var reason *string
		var end *int64
		if err := rows.Scan(&id, &frozen, &reason, &end); err != nil {
			return nil, fmt.Errorf("hold: eligibility: %w", store.Translate(err))
		}
		e, seen := out[id]
		if !seen {
			e = Eligibility{Allowed: !frozen, Reasons: []string{}}
			if frozen {
				e.Reasons = append(e.Reasons, AccountFrozen)
			}
		}
		if reason != nil && end != nil {
			e.Allowed = false
			e.Reasons = append(e.Reasons, *reason)
			// A frozen account has no end until staff lift it.
			if e.Until == nil && !frozen {
				t := store.Time(*end)
				e.Until = &t
			}
		}
		out[id] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hold: eligibility: %w", store.Translate(err))
	}
	return out, nil
}
