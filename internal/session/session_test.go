package session_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/session"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// withFakeClock returns a fake clock, a manager on it whose sessions end
// after 30 idle minutes or 12 hours, and an account.
func withFakeClock(t *testing.T, db *store.DB) (*clock.Fake, *session.Manager, string) {
	clk := clock.NewFake(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	return clk, session.NewManager(clk, 30*time.Minute, 12*time.Hour), storetest.Account(t, db)
}

// SEC-SES-6 (v5.0.0-7.3.1, 7.3.2): idle and absolute lifetimes.
func TestLifetimes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk, m, acc := withFakeClock(t, db)
		tok, s, err := m.Create(ctx, db, acc, "192.0.2.1", "test")
		if err != nil || len(tok) < 43 {
			t.Fatalf("Create = %q, %v", tok, err)
		}
		if stored := storetest.Value[string](t, db, "SELECT token_hash FROM sessions WHERE id = $1", s.ID); strings.Contains(stored, tok) {
			t.Fatal("token stored in clear")
		}
		// Used every 29 minutes, it lives until the absolute end.
		for clk.Now().Before(s.ExpiresAt.Add(-29 * time.Minute)) {
			clk.Advance(29 * time.Minute)
			if _, err := m.Lookup(ctx, db, tok); err != nil {
				t.Fatalf("at %v: %v", clk.Now(), err)
			}
		}
		clk.Set(s.ExpiresAt)
		if _, err := m.Lookup(ctx, db, tok); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("after the absolute end = %v", err)
		}
		tok2, _ := create(t, m, db, acc)
		clk.Advance(30 * time.Minute)
		if _, err := m.Lookup(ctx, db, tok2); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("after 30 idle minutes = %v", err)
		}
		if n, err := m.Purge(ctx, db, clk.Now(), 500); err != nil || n != 2 {
			t.Fatalf("Purge removed %d (%v), want 2", n, err)
		}
	})
}

func TestRevoke(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := session.NewManager(clock.Real{}, time.Hour, 12*time.Hour)
		acc, other := storetest.Account(t, db), storetest.Account(t, db)
		a, _ := create(t, m, db, acc)
		b, sb := create(t, m, db, acc)
		c, _ := create(t, m, db, acc)
		o, _ := create(t, m, db, other)
		if err := m.Revoke(ctx, db, a); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Lookup(ctx, db, a); err == nil {
			t.Fatal("revoked token still works")
		}
		if n, err := m.RevokeAll(ctx, db, acc, sb.ID); err != nil || n != 1 {
			t.Fatalf("RevokeAll(keep b) ended %d sessions (%v), want 1", n, err)
		}
		if _, err := m.Lookup(ctx, db, c); err == nil {
			t.Fatal("session c survived RevokeAll")
		}
		if _, err := m.Lookup(ctx, db, b); err != nil {
			t.Fatal("the kept session was revoked")
		}
		if _, err := m.RevokeAll(ctx, db, acc, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Lookup(ctx, db, b); err == nil {
			t.Fatal("RevokeAll without keep left a session")
		}
		if _, err := m.Lookup(ctx, db, o); err != nil {
			t.Fatal("another account's session was revoked")
		}
		for _, bad := range []string{"", "x", strings.Repeat("a", 500)} {
			if _, err := m.Lookup(ctx, db, bad); !apperr.Is(err, apperr.Unauthorized) {
				t.Fatalf("Lookup(%q) = %v", bad, err)
			}
		}
	})
}

// create starts a session and fails the test if it cannot.
func create(t *testing.T, m *session.Manager, db *store.DB, accountID string) (string, session.Session) {
	t.Helper()
	tok, s, err := m.Create(context.Background(), db, accountID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return tok, s
}

// LookupAccount reads the session and its account in one statement, with
// the same refusals as Lookup.
func TestLookupAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk, m, acc := withFakeClock(t, db)
		tok, s, err := m.Create(ctx, db, acc, "192.0.2.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		email := storetest.Value[string](t, db, "SELECT email FROM accounts WHERE id = $1", acc)
		got, a, err := m.LookupAccount(ctx, db, tok)
		if err != nil || got.ID != s.ID || a.ID != acc || a.Email != email || a.RegisteredAt.IsZero() {
			t.Fatalf("LookupAccount = %+v, %+v, %v; want session %s of account %s <%s>", got, a, err, s.ID, acc, email)
		}
		clk.Advance(30 * time.Minute)
		if _, _, err := m.LookupAccount(ctx, db, tok); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("after 30 idle minutes = %v", err)
		}
		if _, _, err := m.LookupAccount(ctx, db, "not-a-token"); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("an unknown token = %v", err)
		}
	})
}

// Issue 13, item 11: with REBIND_RETAIN_SESSIONS, an ended session is kept
// for the period after it ended (and never authenticates meanwhile), then
// purged; the other waits for its own period.
func TestPurgeKeepsEndedSessionsForTheirPeriod(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk, m, acc := withFakeClock(t, db)
		ended, _ := create(t, m, db, acc)
		clk.Advance(2 * time.Hour)
		second, _ := create(t, m, db, acc)
		keep := 24 * time.Hour
		if n, err := m.Purge(ctx, db, clk.Now().Add(-keep), 500); err != nil || n != 0 {
			t.Fatalf("Purge an hour and a half after the end = %d, %v; want 0 within the period", n, err)
		}
		if _, err := m.Lookup(ctx, db, ended); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("a kept ended session: %v", err)
		}
		clk.Advance(keep)
		if _, err := m.Lookup(ctx, db, second); err == nil {
			t.Fatal("the second session outlived its idle timeout")
		}
		if n, err := m.Purge(ctx, db, clk.Now().Add(-keep), 500); err != nil || n != 1 {
			t.Fatalf("Purge past the period = %d, %v; want the first session", n, err)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM sessions"); n != 1 {
			t.Fatalf("%d sessions left, want the second (ended less than the period ago)", n)
		}
	})
}
