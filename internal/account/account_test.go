package account_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

var now = time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)

func TestCreateAndFind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := account.NewStore(clock.NewFake(now))
		a, err := s.Create(ctx, db, account.New{Email: " Alice@Example.com ", PasswordHash: "h", Mobile: "+6581234567", MobileVerification: true, KYC: true})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ByEmail(ctx, db, "ALICE@example.COM")
		if err != nil || got.ID != a.ID || got.Email != "Alice@Example.com" || got.Mobile != "+6581234567" ||
			!got.MobileVerification || !got.KYC || got.SecondFactor() != "sms" || !got.RegisteredAt.Equal(now) {
			t.Fatalf("ByEmail = %+v, %v", got, err)
		}
		if got.MaskedMobile() != "+65 ****4567" {
			t.Fatalf("MaskedMobile = %q", got.MaskedMobile())
		}
		if _, err := s.Create(ctx, db, account.New{Email: "alice@example.com", PasswordHash: "h"}); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("same email in another case = %v, want conflict", err)
		}
		if _, err := s.Create(ctx, db, account.New{Email: "bob@example.com", PasswordHash: "h", Mobile: "+6581234567"}); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("taken mobile = %v, want conflict", err)
		}
		b, _ := s.Create(ctx, db, account.New{Email: "bob@example.com", PasswordHash: "h"})
		if b.SecondFactor() != "email" {
			t.Fatal("an account without a mobile does not fall back to email")
		}
		if _, err := s.ByEmail(ctx, db, "nobody@example.com"); !apperr.Is(err, apperr.NotFound) {
			t.Fatal("unknown email found")
		}
	})
}

func TestNormalizeEmail(t *testing.T) {
	for _, bad := range []string{"", "plain", "a@b", "Alice <a@example.com>", "a@example.com\r\nBcc: x@y.z", strings.Repeat("a", 250) + "@example.com"} {
		if _, _, err := account.NormalizeEmail(bad); !apperr.Is(err, apperr.InvalidRequest) {
			t.Errorf("NormalizeEmail(%q) accepted", bad)
		}
	}
	if _, norm, _ := account.NormalizeEmail("MiXed@Example.org"); norm != "mixed@example.org" {
		t.Errorf("norm = %q", norm)
	}
}

func TestMasks(t *testing.T) {
	if got := account.MaskEmail("alice@example.com"); got != "a****@example.com" {
		t.Errorf("MaskEmail = %q", got)
	}
	if got := account.MaskMobile("+4915123456789"); got != "+49 ****6789" {
		t.Errorf("MaskMobile = %q", got)
	}
}

func push(t *testing.T, db *store.DB, s *account.Store, id string, a account.Activity) (account.Pushed, error) {
	t.Helper()
	if err := a.Validate(now); err != nil {
		return account.Pushed{}, err
	}
	var p account.Pushed
	err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		var err error
		p, err = s.AddActivity(context.Background(), tx, id, a)
		return err
	})
	return p, err
}

func TestActivityIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := account.NewStore(clock.NewFake(now))
		a, _ := s.Create(context.Background(), db, account.New{Email: "c@example.com", PasswordHash: "h"})
		at := now.Add(-90 * 24 * time.Hour)
		balances := []account.Balance{{Asset: "BTC", Amount: "0.5"}, {Asset: "USDT", Amount: "120"}}
		act := account.Activity{
			Deposits:    []account.Transfer{{ExternalID: "d1", Coin: "BTC", Network: "BTC", Amount: "0.01", Address: "bc1qxyz", TxID: "ab12", At: at}},
			Withdrawals: []account.Transfer{{ExternalID: "d1", Coin: "USDT", Network: "TRC20", Amount: "50", Address: "TXyz", TxID: "cd34", At: at}},
			Logins:      []account.Login{{ExternalID: "l1", At: at, IP: "203.0.113.9", Country: "SG", City: "Singapore", Device: "iPhone"}},
			Trades:      []account.Trade{{ExternalID: "t1", Market: "BTC/USDT", Side: "buy", At: at}},
			Balances:    &balances,
		}
		p, err := push(t, db, s, a.ID, act)
		if err != nil || p.Inserted != 6 || p.Duplicates != 0 {
			t.Fatalf("first push = %+v, %v", p, err)
		}
		one := []account.Balance{{Asset: "ETH", Amount: "2"}}
		act.Balances = &one
		p, err = push(t, db, s, a.ID, act)
		if err != nil || p.Inserted != 1 || p.Duplicates != 4 {
			t.Fatalf("repeated push = %+v, %v", p, err)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM balances WHERE account_id = $1", a.ID); n != 1 {
			t.Fatalf("balances not replaced: %d rows", n)
		}
	})
}

func TestActivityValidation(t *testing.T) {
	at := now.Add(-time.Hour)
	ok := account.Transfer{ExternalID: "x", Coin: "BTC", Network: "BTC", Amount: "1.5", Address: "bc1q", TxID: "ff", At: at}
	cases := map[string]account.Activity{
		"deposits[0].coin":      {Deposits: []account.Transfer{func() account.Transfer { t := ok; t.Coin = "btc"; return t }()}},
		"deposits[0].amount":    {Deposits: []account.Transfer{func() account.Transfer { t := ok; t.Amount = "0"; return t }()}},
		"withdrawals[0].amount": {Withdrawals: []account.Transfer{func() account.Transfer { t := ok; t.Amount = "1e5"; return t }()}},
		"withdrawals[0].at":     {Withdrawals: []account.Transfer{func() account.Transfer { t := ok; t.At = now.Add(time.Hour); return t }()}},
		"deposits[0].txid":      {Deposits: []account.Transfer{func() account.Transfer { t := ok; t.TxID = "a b"; return t }()}},
		"logins[0].ip":          {Logins: []account.Login{{ExternalID: "l", At: at, IP: "999.1.1.1", Country: "SG", City: "S", Device: "d"}}},
		"logins[0].country":     {Logins: []account.Login{{ExternalID: "l", At: at, IP: "1.1.1.1", Country: "sgp", City: "S", Device: "d"}}},
		"trades[0].market":      {Trades: []account.Trade{{ExternalID: "t", Market: "BTCUSDT", Side: "buy", At: at}}},
		"trades[0].side":        {Trades: []account.Trade{{ExternalID: "t", Market: "BTC/USDT", Side: "long", At: at}}},
		"trades[0].external_id": {Trades: []account.Trade{{ExternalID: "", Market: "BTC/USDT", Side: "buy", At: at}}},
		"balances[1].asset":     {Balances: &[]account.Balance{{Asset: "BTC", Amount: "1"}, {Asset: "BTC", Amount: "2"}}},
		"logins[0].device":      {Logins: []account.Login{{ExternalID: "l", At: at, IP: "1.1.1.1", Country: "SG", City: "S", Device: "a\nb"}}},
	}
	for field, a := range cases {
		err := a.Validate(now)
		if !apperr.Is(err, apperr.InvalidRequest) || !strings.HasPrefix(apperr.As(err).Message, field) {
			t.Errorf("%s: Validate = %v", field, err)
		}
	}
	big := account.Activity{Trades: make([]account.Trade, account.MaxItems+1)}
	if err := big.Validate(now); !apperr.Is(err, apperr.InvalidRequest) {
		t.Error("oversized push accepted")
	}
}
