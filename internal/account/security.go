package account

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"strings"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// UnbindMobile removes the account's mobile number and turns mobile
// verification off, asking the owner to bind one again; the number goes
// into the history of bound numbers with the reason, address and flow. It
// returns the number that was bound (empty if none was).
func (s *Store) UnbindMobile(ctx context.Context, tx *sql.Tx, accountID, reason, ip, flowID string) (string, error) {
	now := store.Millis(s.clock.Now())
	var old sql.NullString
	err := tx.QueryRowContext(ctx, "SELECT mobile FROM accounts WHERE id = $1", accountID).Scan(&old)
	if err != nil {
		return "", fmt.Errorf("account: unbind mobile: %w", store.Translate(err))
	}
	if old.Valid {
		if _, err := tx.ExecContext(ctx, `INSERT INTO mobile_history (account_id, mobile, ended_at, reason, ip, flow_id)
			VALUES ($1, $2, $3, $4, $5, $6)`, accountID, old.String, now, reason, ip, nullable(flowID)); err != nil {
			return "", fmt.Errorf("account: mobile history: %w", store.Translate(err))
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE accounts SET mobile = NULL, mobile_verification = FALSE, rebind_required = TRUE,
		updated_at = $2 WHERE id = $1`, accountID, now)
	if err != nil {
		return "", fmt.Errorf("account: unbind mobile: %w", store.Translate(err))
	}
	return old.String, nil
}

// MobileRecord is a number that was bound to the account.
type MobileRecord struct {
	Mobile  string
	EndedAt int64
	Reason  string
	IP      string
	FlowID  string
}

// MobileHistory returns the numbers the account had, most recent first.
func (s *Store) MobileHistory(ctx context.Context, q store.Querier, accountID string) ([]MobileRecord, error) {
	rows, err := q.QueryContext(ctx, `SELECT mobile, ended_at, reason, ip, flow_id FROM mobile_history
		WHERE account_id = $1 ORDER BY ended_at DESC`, accountID)
	if err != nil {
		return nil, fmt.Errorf("account: mobile history: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []MobileRecord
	for rows.Next() {
		var r MobileRecord
		var flow sql.NullString
		if err := rows.Scan(&r.Mobile, &r.EndedAt, &r.Reason, &r.IP, &flow); err != nil {
			return nil, fmt.Errorf("account: mobile history: %w", err)
		}
		r.FlowID = flow.String
		out = append(out, r)
	}
	return out, store.Translate(rows.Err())
}

// SetFrozen freezes or unfreezes the account. It reports whether the state
// changed; an id no account can have is not_found before any query.
func (s *Store) SetFrozen(ctx context.Context, q store.Querier, accountID string, frozen bool) (bool, error) {
	if !token.ValidID(accountID) {
		return false, apperr.New(apperr.NotFound, "no such account")
	}
	now := store.Millis(s.clock.Now())
	var at any
	if frozen {
		at = now
	}
	res, err := q.ExecContext(ctx, "UPDATE accounts SET frozen = $2, frozen_at = $3, updated_at = $4 WHERE id = $1 AND frozen <> $2",
		accountID, frozen, at, now)
	if err != nil {
		return false, fmt.Errorf("account: freeze: %w", store.Translate(err))
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		if _, err := s.ByID(ctx, q, accountID); err != nil {
			return false, err
		}
	}
	return n == 1, nil
}

// SetPasswordHash replaces the account's password hash.
func (s *Store) SetPasswordHash(ctx context.Context, q store.Querier, accountID, hash string) error {
	res, err := q.ExecContext(ctx, "UPDATE accounts SET password_hash = $2, updated_at = $3 WHERE id = $1",
		accountID, hash, store.Millis(s.clock.Now()))
	if err != nil {
		return fmt.Errorf("account: set password: %w", store.Translate(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.New(apperr.NotFound, "no such account")
	}
	return nil
}

// HasTransfers reports whether the account ever deposited or withdrew.
func (s *Store) HasTransfers(ctx context.Context, q store.Querier, accountID string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM transfers WHERE account_id = $1 LIMIT 1", accountID).Scan(&one)
	if store.IsNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("account: transfers: %w", store.Translate(err))
	}
	return true, nil
}

// BindMobile binds number to the account with mobile verification on and
// no rebind asked for; the number bound before, if any, goes into the
// history with the reason. A number another account holds is
// mobile_unavailable (the unique index decides, so two accounts racing for
// one number cannot both get it). It returns the number bound before.
func (s *Store) BindMobile(ctx context.Context, tx *sql.Tx, accountID, number, reason, ip, flowID string) (string, error) {
	now := store.Millis(s.clock.Now())
	var old sql.NullString
	if err := tx.QueryRowContext(ctx, "SELECT mobile FROM accounts WHERE id = $1", accountID).Scan(&old); err != nil {
		return "", fmt.Errorf("account: bind mobile: %w", store.Translate(err))
	}
	_, err := tx.ExecContext(ctx, `UPDATE accounts SET mobile = $2, mobile_verification = TRUE, rebind_required = FALSE,
		updated_at = $3 WHERE id = $1`, accountID, number, now)
	if store.IsUniqueViolation(err) {
		return "", apperr.Wrap(apperr.MobileUnavailable, "this number cannot be bound to your account; use another", err)
	}
	if err != nil {
		return "", fmt.Errorf("account: bind mobile: %w", store.Translate(err))
	}
	if old.Valid && old.String != number {
		if _, err := tx.ExecContext(ctx, `INSERT INTO mobile_history (account_id, mobile, ended_at, reason, ip, flow_id)
			VALUES ($1, $2, $3, $4, $5, $6)`, accountID, old.String, now, reason, ip, nullable(flowID)); err != nil {
			return "", fmt.Errorf("account: mobile history: %w", store.Translate(err))
		}
	}
	return old.String, nil
}

// Recorded is a deposit or withdrawal on record with a given TXID.
type Recorded struct {
	Direction    string // deposit or withdrawal
	Coin, Amount string
}

// TransfersByTxID returns the account's deposits and withdrawals with txid
// (case as recorded; a chain's TXIDs are case-insensitive hex, so compared
// without case).
func (s *Store) TransfersByTxID(ctx context.Context, q store.Querier, accountID, txid string) ([]Recorded, error) {
	rows, err := q.QueryContext(ctx, "SELECT direction, coin, amount FROM transfers WHERE account_id = $1 AND LOWER(txid) = $2",
		accountID, strings.ToLower(txid))
	if err != nil {
		return nil, fmt.Errorf("account: transfers by txid: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []Recorded
	for rows.Next() {
		var r Recorded
		if err := rows.Scan(&r.Direction, &r.Coin, &r.Amount); err != nil {
			return nil, fmt.Errorf("account: transfers by txid: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("account: transfers by txid: %w", err)
	}
	return out, nil
}

// BalanceValue sums the US-dollar values the exchange pushed with the
// account's balances; known is false when no balance carries one.
func (s *Store) BalanceValue(ctx context.Context, q store.Querier, accountID string) (total *big.Rat, known bool, err error) {
	rows, err := q.QueryContext(ctx, "SELECT usd_value FROM balances WHERE account_id = $1 AND usd_value IS NOT NULL", accountID)
	if err != nil {
		return nil, false, fmt.Errorf("account: balance value: %w", store.Translate(err))
	}
	defer rows.Close()
	total = new(big.Rat)
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, false, fmt.Errorf("account: balance value: %w", err)
		}
		r, ok := new(big.Rat).SetString(v)
		if !ok {
			return nil, false, fmt.Errorf("account: balance value %q is not a decimal", v)
		}
		total.Add(total, r)
		known = true
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("account: balance value: %w", err)
	}
	return total, known, nil
}
