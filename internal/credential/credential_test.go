package credential_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/credential"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

const pw = "tangerine-orbit-42"

func setup(t *testing.T, db *store.DB) (*credential.Checker, account.Account) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	hasher := password.NewHasher(password.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)
	hash, err := hasher.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	accounts := account.NewStore(clk)
	a, err := accounts.Create(context.Background(), db, account.New{Email: "owner@example.com", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	return &credential.Checker{DB: db, Clock: clk, Accounts: accounts, Hasher: hasher, Limiter: ratelimit.New(clk),
		Audit: audit.New(clk), DeviceKeys: keys.Set{[]byte(strings.Repeat("k", 32))}}, a
}

// The one rule on a password's length for every surface: past MaxChecked
// bytes it is wrong, with the answer a wrong password gets, before any
// attempt is counted or any hash is computed.
func TestOverlongPasswordIsWrongAndCostsNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c, _ := setup(t, db)
		before := c.Hasher.Checks()
		_, err := c.Check(context.Background(), credential.Credentials{Email: "owner@example.com",
			Password: strings.Repeat("x", credential.MaxChecked+1)})
		if !apperr.Is(err, apperr.InvalidCredentials) {
			t.Fatalf("an overlong password: %v, want invalid_credentials", err)
		}
		if n := c.Hasher.Checks() - before; n != 0 {
			t.Errorf("%d hashes for an overlong password", n)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM rate_counters"); n != 0 {
			t.Errorf("%d attempts counted", n)
		}
		// At the bound it is checked as any other password.
		_, err = c.Check(context.Background(), credential.Credentials{Email: "owner@example.com",
			Password: strings.Repeat("x", credential.MaxChecked)})
		if !apperr.Is(err, apperr.InvalidCredentials) || c.Hasher.Checks()-before != 1 {
			t.Fatalf("a password of MaxChecked bytes: %v after %d hashes, want checked once", err, c.Hasher.Checks()-before)
		}
	})
}

// The right password opens the account; a frozen account is forbidden only
// after it, and both failures are audited.
func TestRightWrongAndFrozen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c, a := setup(t, db)
		ctx := context.Background()
		got, err := c.Check(ctx, credential.Credentials{Email: "Owner@Example.com", Password: pw})
		if err != nil || got.ID != a.ID {
			t.Fatalf("the right password: %v, %v", got.ID, err)
		}
		if _, err := c.Check(ctx, credential.Credentials{Email: "owner@example.com", Password: pw + "!"}); !apperr.Is(err, apperr.InvalidCredentials) {
			t.Fatalf("a wrong password: %v", err)
		}
		if _, err := c.Accounts.SetFrozen(ctx, db, a.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Check(ctx, credential.Credentials{Email: "owner@example.com", Password: pw + "!"}); !apperr.Is(err, apperr.InvalidCredentials) {
			t.Fatalf("a wrong password on a frozen account: %v, want invalid_credentials (frozen shows only after the right one)", err)
		}
		if _, err := c.Check(ctx, credential.Credentials{Email: "owner@example.com", Password: pw}); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("the right password on a frozen account: %v, want forbidden", err)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM audit_events WHERE action = 'authn_login_fail' AND account_id = $1", a.ID); n != 3 {
			t.Errorf("%d failures audited, want 3", n)
		}
	})
}
