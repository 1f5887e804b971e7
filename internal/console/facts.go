package console

import (
	"context"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/hold"
)

// What the facts show at most.
const (
	recentLogins    = 10
	recentTransfers = 20
)

// facts are what a reviewer weighs an application against: who the
// account is, where it signed in from, what it moved, what holds it.
type facts struct {
	Account account.Account
	// Mobile is masked: a reviewer needs only to know one is bound.
	Mobile                string
	Logins                []account.Login
	Deposits, Withdrawals []account.Transfer
	Holds                 []hold.Hold
	// Value is the balances' worth in US dollars ("" when the exchange
	// gave none); NeedsTwo says it is above the second-approval threshold.
	Value    string
	NeedsTwo bool
}

func (c *Console) factsOf(ctx context.Context, acc account.Account) (*facts, error) {
	f := &facts{Account: acc, Mobile: acc.MaskedMobile()}
	var err error
	if f.Logins, err = c.Accounts.RecentLogins(ctx, c.DB, acc.ID, recentLogins); err != nil {
		return nil, err
	}
	if f.Deposits, err = c.Accounts.RecentTransfers(ctx, c.DB, acc.ID, "deposit", recentTransfers); err != nil {
		return nil, err
	}
	if f.Withdrawals, err = c.Accounts.RecentTransfers(ctx, c.DB, acc.ID, "withdrawal", recentTransfers); err != nil {
		return nil, err
	}
	if f.Holds, err = c.Holds.Active(ctx, c.DB, acc.ID); err != nil {
		return nil, err
	}
	value, known, err := c.Accounts.BalanceValue(ctx, c.DB, acc.ID)
	if err != nil {
		return nil, err
	}
	if known {
		f.Value = value.FloatString(2)
		threshold := c.Reset.Review.SecondApprovalUSD
		f.NeedsTwo = threshold != nil && value.Cmp(threshold) > 0
	}
	return f, nil
}
