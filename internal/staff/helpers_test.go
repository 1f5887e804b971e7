package staff_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/staff"
	"github.com/rebindhq/rebind/internal/store"
)

const pw = "violet-harbour-71"

// fixture is a staff service on a real database with a fake clock.
type fixture struct {
	db  *store.DB
	clk *clock.Fake
	svc *staff.Service
	ctx context.Context
}

func newFixture(t *testing.T, db *store.DB) fixture {
	t.Helper()
	// Mid-step, so a code's step is not the clock's edge.
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 10, 0, time.UTC))
	key := make([]byte, 32)
	rand.Read(key)
	h := password.NewHasher(password.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 0)
	svc, err := staff.New(db, clk, h, ratelimit.New(clk), audit.New(clk), keys.Set{key}, "Rebind")
	if err != nil {
		t.Fatal(err)
	}
	ctx := client.With(context.Background(), client.Info{IP: "192.0.2.7", RequestID: "test"})
	return fixture{db: db, clk: clk, svc: svc, ctx: ctx}
}

// code is the TOTP code of secret now, on the fixture's clock.
func (f fixture) code(t *testing.T, secret string) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, f.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolled adds a member and enrols them, and returns them with their TOTP
// secret. The clock then moves to the next time step, so the next code is
// one they have not used.
func (f fixture) enrolled(t *testing.T, email string, role staff.Role) (staff.Member, string) {
	t.Helper()
	m, tok, err := f.svc.Add(f.ctx, staff.Operator, email, role)
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.svc.Enrolment(f.ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Enrol(f.ctx, tok, pw, f.code(t, e.Key.Secret), "test"); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(staff.Period * time.Second)
	return m, e.Key.Secret
}

// signIn signs in with the current code.
func (f fixture) signIn(t *testing.T, email, secret string) staff.SignedIn {
	t.Helper()
	out, err := f.svc.SignIn(f.ctx, staff.Attempt{Email: email, Password: pw, Code: f.code(t, secret)})
	if err != nil {
		t.Fatalf("sign in %s: %v", email, err)
	}
	return out
}

// events counts the audit events of action whose detail has key = value
// (every event of action when key is empty).
func events(t *testing.T, db *store.DB, action audit.Action, key, value string) int {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SELECT detail FROM audit_events WHERE action = $1", string(action))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var raw string
		var detail map[string]string
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		json.Unmarshal([]byte(raw), &detail)
		if key == "" || detail[key] == value {
			n++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}
