package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/admin"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

const pw = "tangerine-orbit-42"

// staff stands for a member of the staff console, which passes its own
// actor; the service records who it was.
var staff = admin.Actor{Kind: "staff", Staff: "staff-7"}

func service(db *store.DB) *admin.Service {
	clk := clock.NewFake(now)
	return &admin.Service{DB: db, Clock: clk, Accounts: account.NewStore(clk), Audit: audit.New(clk),
		Hasher: password.NewHasher(password.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)}
}

// events returns an account's events of one action.
func events(t *testing.T, db *store.DB, accountID string, action audit.Action) []audit.Record {
	t.Helper()
	all, err := audit.New(clock.NewFake(now)).List(context.Background(), db, accountID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Record
	for _, r := range all {
		if r.Action == string(action) {
			out = append(out, r)
		}
	}
	return out
}

// Creating an account stores what was asked, records account_created with
// the actor (and the staff member, when one acted), and refuses a taken
// email in any letter case with conflict and no second event.
func TestCreateAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := service(db)
		ctx := context.Background()
		registered := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
		acc, err := s.CreateAccount(ctx, admin.API, admin.NewAccount{Email: "Kim@Example.com", Password: pw,
			Mobile: "+6591234567", KYC: true, RegisteredAt: &registered})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Accounts.ByID(ctx, db, acc.ID)
		if err != nil || got.Email != "Kim@Example.com" || got.Mobile != "+6591234567" || !got.MobileVerification ||
			!got.KYC || !got.RegisteredAt.Equal(registered) {
			t.Fatalf("stored %+v (%v)", got, err)
		}
		if ok, err := s.Hasher.Verify(ctx, pw, got.PasswordHash); !ok || err != nil {
			t.Errorf("the stored hash does not verify the password (%v)", err)
		}
		ev := events(t, db, acc.ID, audit.AccountCreated)
		if len(ev) != 1 || ev[0].Actor != audit.ActorAdmin || ev[0].Result != audit.OK || ev[0].Detail["kyc"] != "true" ||
			ev[0].Detail["mobile"] != account.MaskMobile("+6591234567") || ev[0].Detail["staff"] != "" {
			t.Fatalf("account_created events: %+v", ev)
		}
		_, err = s.CreateAccount(ctx, staff, admin.NewAccount{Email: "KIM@example.com", Password: pw})
		if !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("a taken email: %v, want conflict", err)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM audit_events WHERE action = 'account_created'"); n != 1 {
			t.Fatalf("%d account_created events after a refused duplicate, want 1", n)
		}
		other, err := s.CreateAccount(ctx, staff, admin.NewAccount{Email: "lee@example.com", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		if ev := events(t, db, other.ID, audit.AccountCreated); len(ev) != 1 || ev[0].Actor != "staff" || ev[0].Detail["staff"] != "staff-7" {
			t.Fatalf("a staff member's account_created: %+v", ev)
		}
	})
}

// The rules on a new account are the service's, whoever calls it: each
// refusal stores nothing and records nothing.
func TestCreateAccountRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := service(db)
		future, early := now.Add(time.Hour), time.Date(2008, 12, 31, 0, 0, 0, 0, time.UTC)
		for _, c := range []struct {
			n    admin.NewAccount
			code apperr.Code
		}{
			{admin.NewAccount{Email: "not-an-email", Password: pw}, apperr.InvalidRequest},
			{admin.NewAccount{Email: "x@example.com", Password: "short"}, apperr.InvalidRequest},
			{admin.NewAccount{Email: "x@example.com", Password: strings.Repeat("é", password.MaxLength+1)}, apperr.InvalidRequest},
			{admin.NewAccount{Email: "x@example.com", Password: pw, Mobile: "+6561234567"}, apperr.InvalidMobile}, // fixed line
			{admin.NewAccount{Email: "x@example.com", Password: pw, Mobile: "91234567"}, apperr.InvalidMobile},    // not E.164
			{admin.NewAccount{Email: "x@example.com", Password: pw, RegisteredAt: &future}, apperr.InvalidRequest},
			{admin.NewAccount{Email: "x@example.com", Password: pw, RegisteredAt: &early}, apperr.InvalidRequest},
			{admin.NewAccount{Email: "x@example.com", Password: pw, RegisteredAt: &time.Time{}}, apperr.InvalidRequest},
		} {
			if _, err := s.CreateAccount(context.Background(), admin.API, c.n); !apperr.Is(err, c.code) {
				t.Errorf("%+v: %v, want %s", c.n, err, c.code)
			}
		}
		for _, q := range []string{"SELECT count(*) FROM accounts", "SELECT count(*) FROM audit_events"} {
			if n := storetest.Count(t, db, q); n != 0 {
				t.Errorf("%s: %d after refusals", q, n)
			}
		}
	})
}

// A push is stored once: repeated, its items are duplicates. It is not
// audited (see PushActivity), and an invalid push or an unknown account
// stores nothing.
func TestPushActivity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := service(db)
		ctx := context.Background()
		id := storetest.Account(t, db)
		at := now.Add(-24 * time.Hour)
		push := account.Activity{
			Deposits: []account.Transfer{{ExternalID: "d-1", Coin: "BTC", Network: "BTC", Amount: "0.25", Address: "bc1qexample", TxID: "a1b2c3", At: at}},
			Logins:   []account.Login{{ExternalID: "l-1", At: at, IP: "203.0.113.5", Country: "SG", City: "Singapore", Device: "iPhone"}},
			Trades:   []account.Trade{{ExternalID: "t-1", Market: "BTC/USDT", Side: "sell", At: at}},
		}
		if p, err := s.PushActivity(ctx, id, push); err != nil || p != (account.Pushed{Inserted: 3}) {
			t.Fatalf("first push: %+v, %v", p, err)
		}
		if p, err := s.PushActivity(ctx, id, push); err != nil || p != (account.Pushed{Duplicates: 3}) {
			t.Fatalf("repeated push: %+v, %v", p, err)
		}
		bad := push
		bad.Trades = []account.Trade{{ExternalID: "t-2", Market: "btc-usdt", Side: "sell", At: at}}
		bad.Deposits = []account.Transfer{{ExternalID: "d-2", Coin: "BTC", Network: "BTC", Amount: "1", Address: "bc1qexample", TxID: "d4", At: at}}
		if _, err := s.PushActivity(ctx, id, bad); !apperr.Is(err, apperr.InvalidRequest) {
			t.Fatalf("invalid push: %v", err)
		}
		if _, err := s.PushActivity(ctx, "aaaaaaaaaaaaaaaaaaaaaaaaaa", push); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("unknown account: %v", err)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM transfers"); n != 1 {
			t.Errorf("%d transfers stored, want 1", n)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM audit_events"); n != 0 {
			t.Errorf("%d audit events after pushes, want 0", n)
		}
	})
}

// Unfreezing lifts a freeze once: the first call changes the account and
// records account_unfrozen with its actor; the second changes nothing and
// records nothing.
func TestUnfreezeOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := service(db)
		ctx := context.Background()
		id := storetest.Account(t, db)
		if _, err := s.Accounts.SetFrozen(ctx, db, id, true); err != nil {
			t.Fatal(err)
		}
		for i, want := range []bool{true, false} {
			changed, err := s.Unfreeze(ctx, staff, id)
			if err != nil || changed != want {
				t.Fatalf("call %d: changed %v (%v), want %v", i+1, changed, err, want)
			}
		}
		if a, err := s.Accounts.ByID(ctx, db, id); err != nil || a.Frozen {
			t.Fatalf("still frozen (%v)", err)
		}
		if ev := events(t, db, id, audit.AccountUnfrozen); len(ev) != 1 || ev[0].Actor != "staff" || ev[0].Detail["staff"] != "staff-7" {
			t.Fatalf("account_unfrozen events: %+v", ev)
		}
		if _, err := s.Unfreeze(ctx, admin.API, "aaaaaaaaaaaaaaaaaaaaaaaaaa"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("unknown account: %v", err)
		}
	})
}

// A change and its event are one transaction: when the event cannot be
// written (here the audit table is gone), the account is neither created
// nor unfrozen.
func TestNoChangeWithoutItsEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := service(db)
		ctx := context.Background()
		id := storetest.Account(t, db)
		if _, err := s.Accounts.SetFrozen(ctx, db, id, true); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "ALTER TABLE audit_events RENAME TO audit_events_gone"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAccount(ctx, admin.API, admin.NewAccount{Email: "kim@example.com", Password: pw}); err == nil {
			t.Error("an account was created without its event")
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM accounts WHERE email_norm = 'kim@example.com'"); n != 0 {
			t.Errorf("the account is stored without its event")
		}
		if _, err := s.Unfreeze(ctx, admin.API, id); err == nil {
			t.Error("an account was unfrozen without its event")
		}
		if a, err := s.Accounts.ByID(ctx, db, id); err != nil || !a.Frozen {
			t.Errorf("the freeze is lifted without its event (%v)", err)
		}
	})
}
