package staff_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/staff"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// SEC-CODE-3 for TOTP: a code is accepted once. The same code again in its
// time step is refused, and so is the code of the step before once a later
// one was used, though it is within the allowed skew.
func TestTOTPCodeWorksOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		m, secret := f.enrolled(t, "once@example.com", staff.Reviewer)
		code := f.code(t, secret)
		f.signIn(t, m.Email, secret)
		if _, err := f.svc.SignIn(f.ctx, staff.Attempt{Email: m.Email, Password: pw, Code: code}); !apperr.Is(err, apperr.InvalidCredentials) {
			t.Fatalf("the same code again: %v", err)
		}
		// The next step's code is accepted early (skew); after it, the
		// current step's code is an earlier one.
		f.clk.Advance(staff.Period * time.Second)
		current := f.code(t, secret)
		f.clk.Advance(staff.Period * time.Second)
		next := f.code(t, secret)
		f.clk.Advance(-staff.Period * time.Second)
		if _, err := f.svc.SignIn(f.ctx, staff.Attempt{Email: m.Email, Password: pw, Code: next}); err != nil {
			t.Fatalf("the next step's code (skew +1): %v", err)
		}
		if _, err := f.svc.SignIn(f.ctx, staff.Attempt{Email: m.Email, Password: pw, Code: current}); !apperr.Is(err, apperr.InvalidCredentials) {
			t.Fatalf("an earlier step's code after a later one: %v", err)
		}
		if n := events(t, db, audit.StaffLoginFail, "reason", "replayed"); n != 2 {
			t.Fatalf("%d replays audited, want 2", n)
		}
		// Two steps old is outside the skew: refused as a wrong code.
		f.clk.Advance(3 * staff.Period * time.Second)
		old := f.code(t, secret)
		f.clk.Advance(2 * staff.Period * time.Second)
		if _, err := f.svc.SignIn(f.ctx, staff.Attempt{Email: m.Email, Password: pw, Code: old}); !apperr.Is(err, apperr.InvalidCredentials) {
			t.Fatalf("a code two steps old: %v", err)
		}
		if n := events(t, db, audit.StaffLoginFail, "reason", "code"); n != 1 {
			t.Fatalf("%d wrong codes audited, want 1", n)
		}
	})
}

// SEC-RACE-2 for TOTP: 30 sign-ins with one right code at once start
// exactly one session; the other 29 are refused as replays.
func TestTOTPCodeWorksOnceUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		// Limits high enough that every attempt reaches the code.
		f.svc.PerEmail = ratelimit.Rule{Name: "staff_signin_email", Limit: 100, Window: time.Minute}
		m, secret := f.enrolled(t, "race@example.com", staff.Reviewer)
		code := f.code(t, secret)
		const n = 30
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				<-start
				_, errs[i] = f.svc.SignIn(f.ctx, staff.Attempt{Email: m.Email, Password: pw, Code: code, UserAgent: strconv.Itoa(i)})
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !apperr.Is(err, apperr.InvalidCredentials) {
				t.Errorf("unexpected error: %v", err)
			}
		}
		sessions := storetest.Count(t, db, "SELECT count(*) FROM staff_sessions WHERE staff_id = $1", m.ID)
		// The enrolment's own session is one more.
		if ok != 1 || sessions != 2 {
			t.Fatalf("%d sign-ins passed, %d sessions; want 1 and 2", ok, sessions)
		}
		if r := events(t, db, audit.StaffLoginFail, "reason", "replayed"); r != n-1 {
			t.Fatalf("%d replays audited, want %d", r, n-1)
		}
	})
}

// SEC-ENUM-1 for staff: an unknown email, a wrong password, a wrong code, a
// member who never enrolled and a disabled member get the same error, each
// after one password hash, and each is audited with its reason.
func TestFailedSignInsLookAlike(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		m, secret := f.enrolled(t, "alike@example.com", staff.Reviewer)
		off, offSecret := f.enrolled(t, "off@example.com", staff.Reviewer)
		if _, err := f.svc.Disable(f.ctx, staff.Operator, off.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Add(f.ctx, staff.Operator, "pending@example.com", staff.Reviewer); err != nil {
			t.Fatal(err)
		}
		wrongCode := "000000"
		if f.code(t, secret) == wrongCode {
			wrongCode = "111111"
		}
		cases := []struct {
			attempt staff.Attempt
			reason  string
		}{
			{staff.Attempt{Email: "nobody@example.com", Password: pw, Code: f.code(t, secret)}, "unknown"},
			{staff.Attempt{Email: m.Email, Password: "wrong-password-1", Code: f.code(t, secret)}, "password"},
			{staff.Attempt{Email: m.Email, Password: pw, Code: wrongCode}, "code"},
			{staff.Attempt{Email: "pending@example.com", Password: pw, Code: "123456"}, "password"},
			{staff.Attempt{Email: off.Email, Password: pw, Code: f.code(t, offSecret)}, "disabled"},
		}
		var first *apperr.Error
		for _, c := range cases {
			before := f.svc.Hasher.Checks()
			_, err := f.svc.SignIn(f.ctx, c.attempt)
			e := apperr.As(err)
			if first == nil {
				first = e
			}
			if e.Code != apperr.InvalidCredentials || e.Message != first.Message || f.svc.Hasher.Checks() != before+1 {
				t.Errorf("%s: %v after %d hashes", c.reason, err, f.svc.Hasher.Checks()-before)
			}
		}
		for reason, want := range map[string]int{"unknown": 1, "password": 2, "code": 1, "disabled": 1} {
			if n := events(t, db, audit.StaffLoginFail, "reason", reason); n != want {
				t.Errorf("%d failures audited with reason %s, want %d", n, reason, want)
			}
		}
		if n := events(t, db, audit.StaffLoginFail, "email", "n****@example.com"); n != 1 {
			t.Errorf("the unknown email is not recorded masked (%d)", n)
		}
	})
}

// Failure limits: past 10 attempts in 15 minutes for one email, even the
// right password and code are refused (rate_limited, audited), while
// another member is not; the client address has its own limit.
func TestSignInLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		m, secret := f.enrolled(t, "limit@example.com", staff.Reviewer)
		other, otherSecret := f.enrolled(t, "other@example.com", staff.Reviewer)
		for i := range staff.PerEmail.Limit {
			if _, err := f.svc.SignIn(f.ctx, staff.Attempt{Email: m.Email, Password: "wrong-" + strconv.Itoa(i), Code: "123456"}); !apperr.Is(err, apperr.InvalidCredentials) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		_, err := f.svc.SignIn(f.ctx, staff.Attempt{Email: m.Email, Password: pw, Code: f.code(t, secret)})
		if !apperr.Is(err, apperr.RateLimited) || apperr.As(err).Fields["limit"] != "staff_signin_email" {
			t.Fatalf("the right credentials past the limit: %v", err)
		}
		if n := events(t, db, audit.ExcessRateLimit, "staff", m.Email); n != 1 {
			t.Fatalf("%d refusals audited", n)
		}
		f.signIn(t, other.Email, otherSecret)
		f.clk.Advance(staff.PerEmail.Window)
		f.signIn(t, m.Email, secret)

		// A tight address limit of its own name, so the counts above do
		// not share its window.
		f.svc.PerIP = ratelimit.Rule{Name: "staff_ip_tight", Limit: 3, Window: time.Hour}
		for range 3 {
			f.svc.SignIn(f.ctx, staff.Attempt{Email: "x@example.com", Password: "x", Code: "1"})
		}
		f.clk.Advance(staff.Period * time.Second)
		_, err = f.svc.SignIn(f.ctx, staff.Attempt{Email: other.Email, Password: pw, Code: f.code(t, otherSecret)})
		if !apperr.Is(err, apperr.RateLimited) || apperr.As(err).Fields["limit"] != "staff_ip_tight" {
			t.Fatalf("past the address's limit: %v", err)
		}
	})
}

// Disabling a member ends their sessions at once and they cannot sign in;
// an admin cannot disable themselves.
func TestDisable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		boss, bossSecret := f.enrolled(t, "boss@example.com", staff.Admin)
		m, secret := f.enrolled(t, "gone@example.com", staff.Reviewer)
		in := f.signIn(t, m.Email, secret)
		byBoss := f.signIn(t, boss.Email, bossSecret).Member
		if _, err := f.svc.Disable(f.ctx, byBoss, boss.ID); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("disable yourself: %v", err)
		}
		if got, err := f.svc.Disable(f.ctx, byBoss, m.ID); err != nil || got.Email != m.Email {
			t.Fatalf("Disable = %+v, %v", got, err)
		}
		if _, _, err := f.svc.Current(f.ctx, in.Token); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("the disabled member's session: %v", err)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM staff_sessions WHERE staff_id = $1", m.ID); n != 0 {
			t.Fatalf("%d sessions left", n)
		}
		f.clk.Advance(staff.Period * time.Second)
		if _, err := f.svc.SignIn(f.ctx, staff.Attempt{Email: m.Email, Password: pw, Code: f.code(t, secret)}); !apperr.Is(err, apperr.InvalidCredentials) {
			t.Fatalf("a disabled member signs in: %v", err)
		}
		if _, err := f.svc.Disable(f.ctx, byBoss, m.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("disable twice: %v", err)
		}
		if n := events(t, db, audit.StaffDisabled, "staff", boss.Email); n != 1 {
			t.Fatalf("%d staff_disabled events by the admin", n)
		}
	})
}

// SEC-SES-6: a staff session ends after 15 minutes unused and 8 hours
// after sign-in however much it is used; signing out ends it at once.
func TestStaffSessionLifetimes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		m, secret := f.enrolled(t, "life@example.com", staff.Reviewer)
		in := f.signIn(t, m.Email, secret)
		for f.clk.Now().Before(in.Session.ExpiresAt.Add(-14 * time.Minute)) {
			f.clk.Advance(14 * time.Minute)
			if _, _, err := f.svc.Current(f.ctx, in.Token); err != nil {
				t.Fatalf("used every 14 minutes, at %v: %v", f.clk.Now().Sub(in.Session.CreatedAt), err)
			}
		}
		f.clk.Set(in.Session.ExpiresAt)
		if _, _, err := f.svc.Current(f.ctx, in.Token); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("at the absolute end: %v", err)
		}
		f.clk.Advance(staff.Period * time.Second)
		idle := f.signIn(t, m.Email, secret)
		f.clk.Advance(staff.SessionIdle - time.Second)
		if _, _, err := f.svc.Current(f.ctx, idle.Token); err != nil {
			t.Fatalf("a second before the idle end: %v", err)
		}
		f.clk.Advance(staff.SessionIdle)
		if _, _, err := f.svc.Current(f.ctx, idle.Token); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("after 15 idle minutes: %v", err)
		}
		f.clk.Advance(staff.Period * time.Second)
		out := f.signIn(t, m.Email, secret)
		if err := f.svc.SignOut(f.ctx, out.Token); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Current(f.ctx, out.Token); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("after signing out: %v", err)
		}
		if n := events(t, db, audit.StaffLogout, "staff", m.Email); n != 1 {
			t.Fatalf("%d staff_logout events", n)
		}
		if n, err := f.svc.Purge(f.ctx); err != nil || n < 2 {
			t.Fatalf("Purge = %d, %v", n, err)
		}
	})
}

func TestRoleAtLeast(t *testing.T) {
	roles := []staff.Role{staff.Reviewer, staff.Supervisor, staff.Admin}
	for i, r := range roles {
		for j, o := range roles {
			if got := r.AtLeast(o); got != (i >= j) {
				t.Errorf("%s.AtLeast(%s) = %v", r, o, got)
			}
		}
		if staff.Role("root").AtLeast(r) || staff.Role("").AtLeast(r) {
			t.Errorf("an unknown role passes as %s", r)
		}
	}
}
