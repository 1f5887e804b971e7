package apptest

import (
	"fmt"
	"testing"
	"time"
)

// History is an account history rich enough for security questions, in
// the admin API's activity shape: trades on markets few accounts trade (so
// they are telling), three withdrawal addresses, an old deposit and a few
// balances. seed varies the markets and addresses.
func History(seed int) map[string]any {
	at := func(days int) string {
		return time.Now().Add(-time.Duration(days) * 24 * time.Hour).UTC().Format(time.RFC3339)
	}
	markets := []string{"ADA/USDT", "LINK/USDT", "DOT/USDT", "ATOM/USDT", "NEAR/USDT", "APT/USDT"}
	var trades []map[string]any
	for i, m := range markets[:4+seed%2] {
		trades = append(trades, map[string]any{"external_id": fmt.Sprintf("b%d", i), "market": m, "side": "buy", "at": at(300 - i)})
		trades = append(trades, map[string]any{"external_id": fmt.Sprintf("s%d", i), "market": m, "side": "sell", "at": at(200 - i)})
	}
	var withdrawals []map[string]any
	for i := range 3 {
		withdrawals = append(withdrawals, map[string]any{"external_id": fmt.Sprintf("w%d", i), "coin": "USDT", "network": "TRC20",
			"amount": "25", "address": fmt.Sprintf("TRx%d%030d", seed, i), "txid": fmt.Sprintf("wx%d", i), "at": at(90 + i)})
	}
	return map[string]any{
		"trades": trades, "withdrawals": withdrawals,
		"deposits": []map[string]any{{"external_id": "d0", "coin": "USDT", "network": "TRC20", "amount": "900", "address": "TDep",
			"txid": "dx0", "at": at(400)}},
		"balances": []map[string]any{{"asset": "ADA", "amount": "100"}, {"asset": "LINK", "amount": "3"}, {"asset": "DOT", "amount": "7"}},
	}
}

// AccountWithHistory creates a KYC account with a mobile (may be empty)
// and History(seed), and returns its id.
func (s *Server) AccountWithHistory(t testing.TB, email, pw, mobile string, seed int) string {
	t.Helper()
	id := s.CreateAccount(t, email, pw, mobile, true)
	if r := s.Admin(t, "POST", "/admin/v1/accounts/"+id+"/activity", History(seed)); r.Status != 200 {
		t.Fatalf("push history: %d %s", r.Status, r.Raw)
	}
	return id
}
