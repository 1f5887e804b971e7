package account_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// The readers behind a reviewer's view of an account: newest first, at
// most n, only the account's own, deposits and withdrawals apart.
func TestRecentActivity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := account.NewStore(clock.NewFake(now))
		mine, other := storetest.Account(t, db), storetest.Account(t, db)
		var act account.Activity
		for i := range 5 {
			at := now.Add(-time.Duration(10-i) * time.Hour) // i = 4 is the newest
			act.Logins = append(act.Logins, account.Login{ExternalID: fmt.Sprintf("l%d", i), At: at, IP: "192.0.2.1", Country: "SG",
				City: "Singapore", Device: "Pixel"})
			act.Deposits = append(act.Deposits, account.Transfer{ExternalID: fmt.Sprintf("d%d", i), Coin: "BTC", Network: "BTC",
				Amount: "0.5", Address: "bc1qaddr", TxID: fmt.Sprintf("tx%d", i), At: at})
		}
		act.Withdrawals = []account.Transfer{{ExternalID: "w0", Coin: "USDT", Network: "TRC20", Amount: "12", Address: "TAddr",
			TxID: "wtx0", At: now.Add(-time.Hour)}}
		for _, id := range []string{mine, other} {
			if _, err := push(t, db, s, id, act); err != nil {
				t.Fatal(err)
			}
		}
		logins, err := s.RecentLogins(ctx, db, mine, 3)
		if err != nil || len(logins) != 3 || logins[0].ExternalID != "l4" || logins[2].ExternalID != "l2" ||
			!logins[0].At.Equal(now.Add(-6*time.Hour)) || logins[0].City != "Singapore" {
			t.Fatalf("RecentLogins = %+v, %v", logins, err)
		}
		deposits, err := s.RecentTransfers(ctx, db, mine, "deposit", 10)
		if err != nil || len(deposits) != 5 || deposits[0].TxID != "tx4" || deposits[4].TxID != "tx0" || deposits[0].Amount != "0.5" {
			t.Fatalf("RecentTransfers(deposit) = %+v, %v", deposits, err)
		}
		withdrawals, err := s.RecentTransfers(ctx, db, mine, "withdrawal", 10)
		if err != nil || len(withdrawals) != 1 || withdrawals[0].Address != "TAddr" {
			t.Fatalf("RecentTransfers(withdrawal) = %+v, %v", withdrawals, err)
		}
		none, err := s.RecentLogins(ctx, db, "aaaaaaaaaaaaaaaaaaaaaaaaaa", 20)
		if err != nil || none == nil || len(none) != 0 {
			t.Fatalf("an account without logins = %#v, %v; want an empty list", none, err)
		}
	})
}
