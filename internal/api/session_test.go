package api_test

import (
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
)

// SEC-SES-6 (v5.0.0-7.3.1): the idle limit (30 minutes) counts from the last
// use, not from sign-in. Used every 20 minutes for an hour the session
// stays, and GET /api/v1/sessions/current's expires_at moves with each use;
// 31 minutes unused end it.
func TestSessionIdleExpiryMovesWithUse(t *testing.T) {
	apptest.EachDatabase(t, idleExpiryMovesWithUse)
}

func idleExpiryMovesWithUse(t *testing.T, opts apptest.Options) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	opts.Clock = clk
	s := apptest.Start(t, opts)
	s.CreateAccount(t, "idle@example.com", pw, "", false)
	tok := s.SignIn(t, "idle@example.com", pw, "idle@example.com")
	expiresAt := func() time.Time {
		t.Helper()
		r := s.Do(t, "GET", "/api/v1/sessions/current", tok, nil)
		if r.Status != 200 {
			t.Fatalf("at %v: %d %s", clk.Now(), r.Status, r.Raw)
		}
		at, err := time.Parse(time.RFC3339Nano, r.Body["expires_at"].(string))
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	last := expiresAt()
	for range 3 {
		clk.Advance(20 * time.Minute)
		if r := s.Do(t, "GET", "/api/v1/account", tok, nil); r.Status != 200 {
			t.Fatalf("used after 20 minutes, at %v: %d %s", clk.Now(), r.Status, r.Raw)
		}
		at := expiresAt()
		if want := clk.Now().Add(30 * time.Minute); !at.After(last) || at.Before(want.Add(-time.Minute)) || at.After(want) {
			t.Fatalf("at %v expires_at is %v (before: %v), want 30 minutes from now", clk.Now(), at, last)
		}
		last = at
	}
	clk.Advance(31 * time.Minute)
	if r := s.Do(t, "GET", "/api/v1/account", tok, nil); r.Status != 401 || r.ErrorCode() != "unauthorized" {
		t.Fatalf("after 31 idle minutes: %d %s", r.Status, r.Raw)
	}
}
