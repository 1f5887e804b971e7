package account

import (
	"context"
	"fmt"

	"github.com/rebindhq/rebind/internal/store"
)

// RecentLogins returns the account's last n logins, newest first: what a
// reviewer compares with where an application came from.
func (s *Store) RecentLogins(ctx context.Context, q store.Querier, accountID string, n int) ([]Login, error) {
	rows, err := q.QueryContext(ctx, `SELECT external_id, at, ip, country, city, device FROM logins
		WHERE account_id = $1 ORDER BY at DESC, external_id DESC LIMIT $2`, accountID, n)
	if err != nil {
		return nil, fmt.Errorf("account: recent logins: %w", store.Translate(err))
	}
	defer rows.Close()
	out := []Login{}
	for rows.Next() {
		var l Login
		var at int64
		if err := rows.Scan(&l.ExternalID, &at, &l.IP, &l.Country, &l.City, &l.Device); err != nil {
			return nil, fmt.Errorf("account: recent logins: %w", err)
		}
		l.At = store.Time(at)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("account: recent logins: %w", err)
	}
	return out, nil
}

// RecentTransfers returns the account's last n deposits or withdrawals
// (direction "deposit" or "withdrawal"), newest first: what a reviewer
// compares with the transactions an application shows.
func (s *Store) RecentTransfers(ctx context.Context, q store.Querier, accountID, direction string, n int) ([]Transfer, error) {
	rows, err := q.QueryContext(ctx, `SELECT external_id, coin, network, amount, address, txid, at FROM transfers
		WHERE account_id = $1 AND direction = $2 ORDER BY at DESC, external_id DESC LIMIT $3`, accountID, direction, n)
	if err != nil {
		return nil, fmt.Errorf("account: recent transfers: %w", store.Translate(err))
	}
	defer rows.Close()
	out := []Transfer{}
	for rows.Next() {
		var t Transfer
		var at int64
		if err := rows.Scan(&t.ExternalID, &t.Coin, &t.Network, &t.Amount, &t.Address, &t.TxID, &at); err != nil {
			return nil, fmt.Errorf("account: recent transfers: %w", err)
		}
		t.At = store.Time(at)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("account: recent transfers: %w", err)
	}
	return out, nil
}
