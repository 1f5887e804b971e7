package api_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/change"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// skipped counts the account's code sends to a new number whose audit
// event says the puzzle was skipped, and those that say it was solved.
func skipped(t *testing.T, s *apptest.Server, accountID string) (skips, solved int) {
	t.Helper()
	events, err := s.Audit.List(context.Background(), s.DB, accountID, 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Action != "authn_code_sent" || e.Detail["purpose"] != string(code.ChangeNewSMS) {
			continue
		}
		switch e.Detail["puzzle"] {
		case "skipped":
			skips++
		case "solved":
			solved++
		default:
			t.Errorf("a send to a new number without a puzzle mark: %v", e.Detail)
		}
	}
	return skips, solved
}

// A user who cannot do the visual puzzle has the code sent without it:
// "no_puzzle": true in its place, in the contract's order of checks, from
// a quota of 3 a day per account that only sends draw on, with the send
// limits as always and the audit event marked (SEC-SMS-2, SEC-AUD-3).
func TestNewNumberWithoutPuzzle(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		clk := clock.NewFake(time.Now().Truncate(24 * time.Hour).Add(time.Hour))
		s := apptest.Start(t, apptest.Options{Clock: clk})
		id := s.CreateAccount(t, "nopuzzle@example.com", pw, "+6581240101", false)
		tok := s.SignIn(t, "nopuzzle@example.com", pw, "+6581240101")
		left := func() int {
			n, err := s.Limiter.Remaining(context.Background(), s.DB, "account:"+id, change.WithoutPuzzle)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		r := s.Do(t, "POST", "/api/v1/mobile-change", tok, nil)
		early := "/api/v1/mobile-change/" + r.Body["flow_id"].(string) + "/new-number"
		if r := s.Do(t, "POST", early, tok, map[string]any{"country": "SG", "number": "9124 0101", "no_puzzle": true}); r.Status != 409 {
			t.Errorf("before the codes (state comes first): %d %s", r.Status, r.Raw)
		}
		base := "/api/v1/mobile-change/" + verified(t, s, tok, "mobile-change", "nopuzzle@example.com", "+6581240101")
		for name, c := range map[string]struct {
			body   map[string]any
			status int
			code   string
		}{
			"both":            {map[string]any{"country": "SG", "number": "9124 0101", "no_puzzle": true, "captcha_token": "x"}, 400, "invalid_request"},
			"fixed line":      {map[string]any{"country": "SG", "number": "6123 4567", "no_puzzle": true}, 400, "invalid_mobile"},
			"the current one": {map[string]any{"country": "SG", "number": "8124 0101", "no_puzzle": true}, 422, "mobile_unavailable"},
			"neither":         {map[string]any{"country": "SG", "number": "9124 0101", "no_puzzle": false}, 422, "captcha_invalid"},
			"not a boolean":   {map[string]any{"country": "SG", "number": "9124 0101", "no_puzzle": "yes"}, 400, "invalid_request"},
		} {
			if r := s.Do(t, "POST", base+"/new-number", tok, c.body); r.Status != c.status || r.ErrorCode() != c.code {
				t.Errorf("%s: %d %s, want %d %s", name, r.Status, r.Raw, c.status, c.code)
			}
		}
		if n := left(); n != 3 {
			t.Fatalf("refused requests took from the quota: %d left", n)
		}
		for i, number := range []string{"9124 0102", "9124 0103", "9124 0104"} {
			mark := s.Mark(t, "+65"+number[:4]+number[5:])
			r := s.Do(t, "POST", base+"/new-number", tok, map[string]any{"country": "SG", "number": number, "no_puzzle": true})
			if r.Status != 202 || r.Body["state"] != "confirm_new" {
				t.Fatalf("send %d without the puzzle: %d %s", i+1, r.Status, r.Raw)
			}
			s.CodeSince(t, "+65"+number[:4]+number[5:], mark)
			if i == 0 { // within the cooldown: refused, and the quota is given back
				again := s.Do(t, "POST", base+"/new-number", tok, map[string]any{"country": "SG", "number": number, "no_puzzle": true})
				if again.Status != 429 || again.Body["error"].(map[string]any)["limit"] == change.WithoutPuzzle.Name || left() != 2 {
					t.Fatalf("within the cooldown: %d %s, %d left", again.Status, again.Raw, left())
				}
			}
			clk.Advance(61 * time.Second)
		}
		r = s.Do(t, "POST", base+"/new-number", tok, map[string]any{"country": "SG", "number": "9124 0105", "no_puzzle": true})
		if r.Status != 429 || r.Body["error"].(map[string]any)["limit"] != change.WithoutPuzzle.Name || r.Header.Get("Retry-After") == "" {
			t.Fatalf("a fourth send without the puzzle: %d %s", r.Status, r.Raw)
		}
		// The puzzle still works, and is marked as solved.
		solvedTok := solve(t, s, tok, base[len("/api/v1/mobile-change/"):], "SG", "9124 0106")
		if r := s.Do(t, "POST", base+"/new-number", tok, map[string]any{"country": "SG", "number": "9124 0106", "captcha_token": solvedTok}); r.Status != 202 {
			t.Fatalf("with the puzzle after the quota: %d %s", r.Status, r.Raw)
		}
		if skips, solved := skipped(t, s, id); skips != 3 || solved != 1 {
			t.Fatalf("audit: %d skipped, %d solved", skips, solved)
		}
	})
}

// SEC-RACE-6: 40 sends without the puzzle at once, with nothing else in
// their way (no cooldown), make exactly 3 codes on each database: the
// quota is one conditional statement in the transaction of the send.
func TestConcurrentSendsWithoutPuzzle(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		rules := code.DefaultRules
		rules.Cooldown, rules.MaxSends, rules.PerHour, rules.PerDay = 0, 1000, 1000, 1000
		opts.CodeRules = &rules
		s := apptest.Start(t, opts)
		id := s.CreateAccount(t, "race-nopuzzle@example.com", pw, "+6581240201", false)
		tok := s.SignIn(t, "race-nopuzzle@example.com", pw, "+6581240201")
		base := "/api/v1/mobile-change/" + verified(t, s, tok, "mobile-change", "race-nopuzzle@example.com", "+6581240201")
		const n = 40
		status := make([]int, n)
		limit := make([]any, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				r := s.Do(t, "POST", base+"/new-number", tok, map[string]any{"country": "SG", "number": "9124 0201", "no_puzzle": true})
				status[i] = r.Status
				if e, ok := r.Body["error"].(map[string]any); ok {
					limit[i] = e["limit"]
				}
			})
		}
		close(start)
		wg.Wait()
		sent := 0
		for i, st := range status {
			switch {
			case st == 202:
				sent++
			case st != 429 || limit[i] != change.WithoutPuzzle.Name:
				t.Errorf("request %d: %d, limit %v", i, st, limit[i])
			}
		}
		skips, _ := skipped(t, s, id)
		if sent != 3 || skips != 3 {
			t.Fatalf("%d sent, %d audited, want 3", sent, skips)
		}
		flowID := base[len("/api/v1/mobile-change/"):]
		if codes := storetest.Count(t, s.DB, "SELECT sends FROM codes WHERE flow_id = $1 AND purpose = $2", flowID, string(code.ChangeNewSMS)); codes != 3 {
			t.Fatalf("%d codes sent to the new number", codes)
		}
	})
}

// A keyboard answer in the API: "keys" instead of "trail", judged by the
// keyboard checks; both at once is malformed (SEC-CAP-1).
func TestCaptchaWithTheKeyboard(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		newPuzzle := func() (string, int) {
			r := s.Do(t, "POST", "/api/v1/captcha", "", nil)
			if r.Status != 201 {
				t.Fatalf("captcha: %d %s", r.Status, r.Raw)
			}
			id := r.Body["captcha_id"].(string)
			x, err := s.Captcha.AnswerForTest(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			return id, x
		}
		keysOf := func(keys []captcha.Key) [][2]int {
			out := make([][2]int, len(keys))
			for i, k := range keys {
				out[i] = [2]int{k.T, k.X}
			}
			return out
		}
		id, x := newPuzzle()
		human := keysOf(captcha.HumanKeys(rand.New(rand.NewPCG(3, 3)), x))
		if r := s.Do(t, "POST", "/api/v1/captcha/"+id, "", map[string]any{"x": x, "keys": human, "trail": [][3]int{{0, 0, 0}}}); r.Status != 400 || r.ErrorCode() != "invalid_request" {
			t.Fatalf("keys and trail: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", "/api/v1/captcha/"+id, "", map[string]any{"x": x, "keys": human}); r.Status != 200 || r.Body["captcha_token"] == nil {
			t.Fatalf("keys: %d %s", r.Status, r.Raw)
		}
		id, x = newPuzzle()
		var burst [][2]int // every key at once, then Enter
		for at := 1; at <= x; at++ {
			burst = append(burst, [2]int{0, at})
		}
		if r := s.Do(t, "POST", "/api/v1/captcha/"+id, "", map[string]any{"x": x, "keys": append(burst, [2]int{400, x})}); r.Status != 422 || r.ErrorCode() != "captcha_invalid" {
			t.Fatalf("keys all at once: %d %s", r.Status, r.Raw)
		}
	})
}
