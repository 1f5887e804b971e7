package code_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// limitOf returns the limit that refused err, or "" when err is nil.
func limitOf(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	if !apperr.Is(err, apperr.RateLimited) {
		t.Fatalf("want a rate limit, got %v", err)
	}
	name, _ := apperr.As(err).Fields["limit"].(string)
	return name
}

// Every purpose has a requester: the owner after the password or in a
// signed-in flow, nobody for a password reset, the naming account for a
// new number.
func TestEveryPurposeHasARequester(t *testing.T) {
	want := map[code.Purpose]code.Requester{
		code.Login: code.Owner, code.ResetEmail: code.Owner, code.ChangeEmail: code.Owner, code.ChangeOldSMS: code.Owner,
		code.BindEmail: code.Owner, code.PasswordReset: code.Anonymous, code.ChangeNewSMS: code.Chooser,
	}
	for p, by := range want {
		if got := code.RequesterOf(p); got != by {
			t.Errorf("RequesterOf(%s) = %q, want %q", p, got, by)
		}
	}
}

// Issue 7, SEC-REC-3 (CS-FP: no lockout by a forgotten-password attack)
// and SEC-SMS-2: no stranger can spend the owner's budgets.
// Password resets for the owner's email (anonymous), other accounts naming
// the owner's number and its neighbours as their new number, and other
// accounts' sends from the owner's address spend every budget they can;
// the owner, who proved the password, still gets every code of its own
// budget, and only its own sends end it.
func TestStrangersCannotSpendTheOwnersBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.t = t
		rules := code.DefaultSMSRules
		rules.PerIPHour, rules.PerPrefixDay = 5, 10
		withSMSShare(h, rules)
		office := client.With(context.Background(), client.Info{IP: "198.51.100.7"})
		owner, email, mobile := h.account, "owner@example.com", "+6581234567"

		// Anonymous password resets for the owner's email: 5 an hour.
		refused := map[string]int{}
		for range 12 {
			if l := limitOf(t, h.sendFor(office, code.PasswordReset, "", email)); l != "" {
				refused[l]++
			}
		}
		// Other accounts name the owner's number and its neighbours as
		// their new number: from the owner's address until its cap, then
		// from elsewhere until the prefix's cap.
		for i := range 18 {
			ctx, to := office, mobile
			if i >= 8 {
				ctx = client.With(context.Background(), client.Info{IP: fmt.Sprint("203.0.113.", i)})
			}
			if i%2 == 1 {
				to = fmt.Sprintf("+658123%04d", i)
			}
			if l := limitOf(t, h.sendFor(ctx, code.ChangeNewSMS, h.stranger(), to)); l != "" {
				refused[l]++
			}
		}
		if refused[code.AnonymousHour] != 7 || refused[code.AddressLimit] != 3 || refused[code.PrefixLimit] != 5 {
			t.Fatalf("strangers were refused by %v; want 7 by %s, 3 by %s and 5 by %s", refused,
				code.AnonymousHour, code.AddressLimit, code.PrefixLimit)
		}
		// The owner, from the same address: 5 email and 5 SMS codes an
		// hour, each to its own budget.
		for i := range 5 {
			if err := h.sendFor(office, code.Login, owner, email); err != nil {
				t.Fatalf("owner's email code %d: %v", i+1, err)
			}
			p := code.Login
			if i%2 == 1 {
				p = code.ChangeOldSMS
			}
			if err := h.sendFor(office, p, owner, mobile); err != nil {
				t.Fatalf("owner's SMS code %d: %v", i+1, err)
			}
		}
		if l := limitOf(t, h.sendFor(office, code.Login, owner, email)); l != code.OwnerHour {
			t.Fatalf("owner's 6th email code in an hour refused by %q, want %s", l, code.OwnerHour)
		}
		if l := limitOf(t, h.sendFor(office, code.ResetEmail, owner, mobile)); l != code.OwnerHour {
			t.Fatalf("owner's 6th SMS code in an hour refused by %q, want %s", l, code.OwnerHour)
		}
	})
}

// withSMSShare keeps h's per-destination rules and sets its SMS rules.
func withSMSShare(h *harness, sms code.SMSRules) {
	rules := code.DefaultRules
	rules.SMS = sms
	h.codes = code.New(h.clk, keys.Set{make([]byte, 32)}, rules, h.limiter, h.notifier)
}

// Named numbers may use only their share of the daily budget and of a
// calling code's: the rest stays for owners.
func TestNewNumbersLeaveTheOwnersShare(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, c := range []struct {
			name  string
			rules code.SMSRules
			limit string
		}{
			{"budget", code.SMSRules{GlobalDay: 10, NewNumberShare: 50}, code.NewNumberBudgetLimit},
			{"calling code", code.SMSRules{PerCallingCodeDay: 10, NewNumberShare: 50}, code.NewNumberCallingCodeLimit},
		} {
			t.Run(c.name, func(t *testing.T) {
				h := newHarness(t, db)
				h.t = t
				withSMSRules(h, c.rules)
				ctx := context.Background()
				for i := range 8 {
					err := h.sendAs(ctx, h.stranger(), fmt.Sprintf("+6581%02d%04d", 20+i, i))
					if want := map[bool]string{true: "", false: c.limit}[i < 5]; limitOf(t, err) != want {
						t.Fatalf("new number %d refused by %q, want %q", i+1, limitOf(t, err), want)
					}
				}
				// Owners' codes to their own numbers use the other half.
				for i := range 5 {
					if err := h.sendFor(ctx, code.Login, h.stranger(), fmt.Sprintf("+6591%02d%04d", 20+i, i)); err != nil {
						t.Fatalf("owner's code %d: %v", i+1, err)
					}
				}
				if l := limitOf(t, h.sendFor(ctx, code.Login, h.stranger(), "+6591230099")); l == "" {
					t.Fatal("the whole budget did not stop an owner's code")
				}
			})
		}
	})
}

// The same under concurrency (SEC-RACE-6): 45 strangers' sends and 5 of the
// owner's, all at once. The strangers get exactly their limits; every one
// of the owner's sends passes.
func TestOwnersBudgetHoldsUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.t = t
		owner, email, mobile := h.account, "owner@example.com", "+6581234567"
		type send struct {
			p       code.Purpose
			account string
			to      string
		}
		var sends []send
		for i := range 45 {
			if i%3 == 0 {
				sends = append(sends, send{code.PasswordReset, "", email})
			} else {
				sends = append(sends, send{code.ChangeNewSMS, h.stranger(), mobile})
			}
		}
		for i := range 5 {
			to := email
			if i%2 == 1 {
				to = mobile
			}
			sends = append(sends, send{code.Login, owner, to})
		}
		flows := make([]string, len(sends))
		for i := range flows {
			flows[i] = h.flow(t)
		}
		var ownerOK, anonOK, chooserOK atomic.Int32
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i, s := range sends {
			wg.Go(func() {
				<-gate
				ctx := client.With(context.Background(), client.Info{IP: "198.51.100.9"})
				err := h.send1(ctx, flows[i], s.p, s.account, s.to)
				switch {
				case err == nil && s.p == code.Login:
					ownerOK.Add(1)
				case err == nil && s.p == code.PasswordReset:
					anonOK.Add(1)
				case err == nil:
					chooserOK.Add(1)
				case !apperr.Is(err, apperr.RateLimited) || s.p == code.Login:
					t.Errorf("%s send for %q: %v", s.p, s.account, err)
				}
			})
		}
		close(gate)
		wg.Wait()
		if ownerOK.Load() != 5 || anonOK.Load() != 5 || chooserOK.Load() != 10 {
			t.Fatalf("passed: owner %d of 5, anonymous %d (want 5), new numbers %d (want the prefix cap, 10)",
				ownerOK.Load(), anonOK.Load(), chooserOK.Load())
		}
	})
}
