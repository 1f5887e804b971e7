package api_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// startOfDay puts a test at 01:00 UTC today, so that hours of traffic stay
// in one daily window.
func startOfDay() *clock.Fake {
	return clock.NewFake(time.Now().UTC().Truncate(24 * time.Hour).Add(time.Hour))
}

// floodPasswordResets asks for password resets for email, 5 an hour (the
// per-email limit of a password reset) for hours hours.
func floodPasswordResets(t *testing.T, s *apptest.Server, clk *clock.Fake, email string, hours int) {
	t.Helper()
	for range hours {
		for i := range 5 {
			if r := s.Do(t, "POST", "/api/v1/password-reset", "", map[string]string{"email": email}); r.Status != 202 {
				t.Fatalf("password reset %d: %d %s", i+1, r.Status, r.Raw)
			}
		}
		clk.Advance(time.Hour)
	}
}

// Issue 7, SEC-REC-3 (CS-FP: accounts are not locked out by a
// forgotten-password attack): anyone can ask for password resets for an
// email, and the owner is mailed every time, but those sends draw on their
// own budget. The owner, who has the password, still signs in by email
// code and still starts a mobile reset.
func TestPasswordResetsDoNotLockTheOwnerOut(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		clk := startOfDay()
		s := apptest.Start(t, apptest.Options{Clock: clk})
		s.CreateAccount(t, "quiet@example.com", pw, "", false)
		s.CreateAccount(t, "phoned@example.com", pw, "+6581237001", false)
		floodPasswordResets(t, s, clk, "quiet@example.com", 2)
		floodPasswordResets(t, s, clk, "phoned@example.com", 2)
		// Ten a day: the eleventh password reset mails nobody.
		r := s.Do(t, "POST", "/api/v1/password-reset", "", map[string]string{"email": "quiet@example.com"})
		if r.Status != 429 || r.Body["error"].(map[string]any)["limit"] != code.AnonymousDay {
			t.Fatalf("11th password reset in a day: %d %s", r.Status, r.Raw)
		}
		// Every password-reset email delivered (or expired with its code)
		// first: SignIn reads the first new code, and a late one would be
		// taken for the sign-in's.
		apptest.Eventually(t, 10*time.Second, "the password-reset emails to leave the outbox", func() bool {
			return storetest.Count(t, s.DB, "SELECT COUNT(*) FROM outbox WHERE recipient = $1 AND state IN ('pending', 'sending')", "quiet@example.com") == 0
		})
		if tok := s.SignIn(t, "quiet@example.com", pw, "quiet@example.com"); tok == "" {
			t.Fatal("the owner could not sign in by email code")
		}
		r = s.Do(t, "POST", "/api/v1/mobile-reset", "", map[string]any{"email": "phoned@example.com", "password": pw, "agree": true})
		if r.Status != 201 {
			t.Fatalf("the owner's mobile reset after password-reset floods: %d %s", r.Status, r.Raw)
		}
	})
}

// bindingAttacker signs in a new account of an attacker and takes its bind
// flow to the new-number step.
func bindingAttacker(t *testing.T, s *apptest.Server, i int) (tok, flowID string) {
	t.Helper()
	email := fmt.Sprintf("attacker%d@example.com", i)
	s.CreateAccount(t, email, pw, "", false)
	tok = s.SignIn(t, email, pw, email)
	return tok, verified(t, s, tok, "mobile-bind", email, "")
}

// nameNumber sends the bind flow's new-number step for a Singapore number.
func nameNumber(t *testing.T, s *apptest.Server, tok, flowID, number string) apptest.Response {
	t.Helper()
	return s.Do(t, "POST", "/api/v1/mobile-bind/"+flowID+"/new-number", tok,
		map[string]string{"country": "SG", "number": number, "captcha_token": solve(t, s, tok, flowID, "SG", number)})
}

// Issue 7: other accounts that name the owner's number as their new
// number, from the owner's own address (carrier NAT), spend their own
// budgets, the address's cap for named numbers and the prefix's; the
// owner's SMS sign-in from that address is not refused by any of them.
func TestNamingTheOwnersNumberDoesNotLockTheOwnerOut(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		rules := code.DefaultRules
		rules.SMS.PerIPHour = 5
		s := apptest.Start(t, apptest.Options{CodeRules: &rules})
		s.CreateAccount(t, "owner@example.com", pw, "+6581237002", false)
		for i := range 6 {
			tok, id := bindingAttacker(t, s, i)
			r := nameNumber(t, s, tok, id, "81237002")
			if i < 5 && r.Status != 202 {
				t.Fatalf("attacker %d naming the owner's number: %d %s", i, r.Status, r.Raw)
			}
			if i == 5 && (r.Status != 429 || r.Body["error"].(map[string]any)["limit"] != code.AddressLimit) {
				t.Fatalf("6th named number from one address: %d %s", r.Status, r.Raw)
			}
		}
		r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "owner@example.com", "password": pw})
		if r.Status != 200 || r.Body["method"] != "sms" {
			t.Fatalf("the owner's SMS sign-in after strangers named the number: %d %s", r.Status, r.Raw)
		}
	})
}

// The owner's own budget still ends (5 codes an hour); the refusal says
// when to come back and keeps the sign-in, so an app can offer the way
// out for a phone that is not at hand.
func TestOwnersOwnBudgetSaysWhen(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		clk := startOfDay()
		s := apptest.Start(t, apptest.Options{Clock: clk})
		s.CreateAccount(t, "eager@example.com", pw, "+6581237003", false)
		for i := range 5 {
			if r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "eager@example.com", "password": pw}); r.Status != 200 {
				t.Fatalf("sign-in %d: %d %s", i+1, r.Status, r.Raw)
			}
		}
		clk.Advance(20 * time.Minute)
		r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "eager@example.com", "password": pw})
		e, _ := r.Body["error"].(map[string]any)
		if r.Status != 429 || e["limit"] != code.OwnerHour || e["retry_after_seconds"] != float64(40*60) || r.Header.Get("Retry-After") != "2400" {
			t.Fatalf("6th sign-in in an hour: %d %s", r.Status, r.Raw)
		}
		if msg := e["message"].(string); !strings.Contains(msg, "try again in 40 minutes") {
			t.Fatalf("the refusal does not say when: %q", msg)
		}
		id, _ := e["login_id"].(string)
		if id == "" {
			t.Fatalf("the refusal carries no login_id: %s", r.Raw)
		}
		// After the wait, signing in sends a code again.
		clk.Advance(40 * time.Minute)
		if r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "eager@example.com", "password": pw}); r.Status != 200 {
			t.Fatalf("sign-in after the wait: %d %s", r.Status, r.Raw)
		}
	})
}

// SEC-RACE-6 across two instances on one PostgreSQL: 30 password resets for
// the owner's email, 10 other accounts naming the owner's number and 5 of
// the owner's sign-ins, all at once, half on each instance. Every sign-in
// of the owner gets its code; the strangers get exactly their limits.
func TestOwnerBudgetAcrossTwoInstances(t *testing.T) {
	url := storetest.PostgresURL(t)
	a := apptest.Start(t, apptest.Options{DatabaseURL: url})
	b := apptest.Start(t, apptest.Options{DatabaseURL: url, Env: map[string]string{"REBIND_SECRET": a.Secret}})
	a.CreateAccount(t, "twin-owner@example.com", pw, "+6581237004", false)
	type attacker struct{ tok, flowID, captcha string }
	attackers := make([]attacker, 10)
	for i := range attackers {
		srv := []*apptest.Server{a, b}[i%2]
		tok, id := bindingAttacker(t, srv, i)
		attackers[i] = attacker{tok, id, solve(t, srv, tok, id, "SG", "81237004")}
	}
	var signIns, resets, named atomic.Int32
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range 45 {
		srv := []*apptest.Server{a, b}[i%2]
		wg.Go(func() {
			<-gate
			switch {
			case i < 5:
				r := srv.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "twin-owner@example.com", "password": pw})
				if r.Status != 200 {
					t.Errorf("owner's sign-in: %d %s", r.Status, r.Raw)
					return
				}
				signIns.Add(1)
			case i < 15:
				at := attackers[i-5]
				r := srv.Do(t, "POST", "/api/v1/mobile-bind/"+at.flowID+"/new-number", at.tok,
					map[string]string{"country": "SG", "number": "81237004", "captcha_token": at.captcha})
				if r.Status == 202 {
					named.Add(1)
				} else if r.Status != 429 {
					t.Errorf("stranger naming the number: %d %s", r.Status, r.Raw)
				}
			default:
				r := srv.Do(t, "POST", "/api/v1/password-reset", "", map[string]string{"email": "twin-owner@example.com"})
				if r.Status == 202 {
					resets.Add(1)
				} else if r.Status != 429 {
					t.Errorf("password reset: %d %s", r.Status, r.Raw)
				}
			}
		})
	}
	close(gate)
	wg.Wait()
	if signIns.Load() != 5 || resets.Load() != 5 || named.Load() != 10 {
		t.Fatalf("owner's sign-ins %d of 5, password resets %d (want 5), named %d (want the prefix cap, 10)",
			signIns.Load(), resets.Load(), named.Load())
	}
	a.WaitMessages(t, "+6581237004", 15)
}

// Issue 7: puzzles for a change or bind count against the flow's account,
// which only its owner can spend; puzzles for no flow count against the
// address. Strangers at the owner's address who spend the address's
// puzzles do not keep the owner from the puzzle; 40 of the owner's puzzle
// requests at once draw exactly the account's 30 (SEC-RACE-6). The clock
// stands still, so the strangers' 31 requests never straddle two of the
// address's 10-minute windows.
func TestStrangersCannotSpendTheOwnersPuzzles(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		opts.Clock = startOfDay()
		strangersAndOwnersPuzzles(t, apptest.Start(t, opts))
	})
}

func strangersAndOwnersPuzzles(t *testing.T, s *apptest.Server) {
	for i := range 31 {
		r := s.Do(t, "POST", "/api/v1/captcha", "", nil)
		if want := map[bool]int{true: 201, false: 429}[i < 30]; r.Status != want {
			t.Fatalf("stranger's puzzle %d: %d %.200s", i+1, r.Status, r.Raw)
		}
	}
	tok, id := bindingAttacker(t, s, 0) // an account with a bind flow at the new-number step
	body := map[string]string{"flow_id": id, "country": "SG", "number": "81237005"}
	var drawn, limited atomic.Int32
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for range 40 {
		wg.Go(func() {
			<-gate
			r := s.Do(t, "POST", "/api/v1/captcha", tok, body)
			switch {
			case r.Status == 201:
				drawn.Add(1)
			case r.Status == 429 && r.Body["error"].(map[string]any)["limit"] == "captcha_account":
				limited.Add(1)
			default:
				t.Errorf("owner's puzzle: %d %.200s", r.Status, r.Raw)
			}
		})
	}
	close(gate)
	wg.Wait()
	if drawn.Load() != 30 || limited.Load() != 10 {
		t.Fatalf("%d puzzles drawn and %d refused for one account; want 30 and 10", drawn.Load(), limited.Load())
	}
}
