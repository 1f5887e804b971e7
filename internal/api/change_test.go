package api_test

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/captcha"
)

// solve asks for a puzzle (bound to flow and number when given, as the
// flow's owner tok) and solves it like a person would; it returns the token.
func solve(t *testing.T, s *apptest.Server, tok, flowID, country, number string) string {
	t.Helper()
	body := map[string]string{}
	if flowID != "" {
		body = map[string]string{"flow_id": flowID, "country": country, "number": number}
	}
	r := s.Do(t, "POST", "/api/v1/captcha", tok, body)
	if r.Status != 201 || r.Body["width"] != float64(captcha.Width) || !strings.HasPrefix(r.Body["background"].(string), "data:image/") {
		t.Fatalf("captcha: %d %.200s", r.Status, r.Raw)
	}
	id := r.Body["captcha_id"].(string)
	x, err := s.Captcha.AnswerForTest(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var trail [][3]int
	for _, p := range captcha.HumanTrail(rand.New(rand.NewPCG(uint64(x), 1)), x) {
		trail = append(trail, [3]int{p.T, p.X, p.Y})
	}
	r = s.Do(t, "POST", "/api/v1/captcha/"+id, "", map[string]any{"x": x, "trail": trail})
	if r.Status != 200 {
		t.Fatalf("solve: %d %s", r.Status, r.Raw)
	}
	return r.Body["captcha_token"].(string)
}

// verified opens a change (or bind) and passes its first step.
func verified(t *testing.T, s *apptest.Server, tok, kind, email, mobile string) string {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/"+kind, tok, nil)
	if r.Status != 201 {
		t.Fatalf("start %s: %d %s", kind, r.Status, r.Raw)
	}
	id := r.Body["flow_id"].(string)
	base := "/api/v1/" + kind + "/" + id
	mark := s.Mark(t, email)
	if r := s.Do(t, "POST", base+"/email-code", tok, nil); r.Status != 202 {
		t.Fatalf("email code: %d %s", r.Status, r.Raw)
	}
	codes := map[string]string{"email_code": s.CodeSince(t, email, mark)}
	if mobile != "" {
		mark := s.Mark(t, mobile)
		if r := s.Do(t, "POST", base+"/sms-code", tok, nil); r.Status != 202 {
			t.Fatalf("sms code: %d %s", r.Status, r.Raw)
		}
		codes["sms_code"] = s.CodeSince(t, mobile, mark)
	}
	if r := s.Do(t, "POST", base+"/verify", tok, codes); r.Status != 200 || r.Body["state"] != "new_number" {
		t.Fatalf("verify: %d %s", r.Status, r.Raw)
	}
	return id
}

func TestChangeMobile(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := s.CreateAccount(t, "ch@example.com", pw, "+6581240001", false)
		tok := s.SignIn(t, "ch@example.com", pw, "+6581240001")
		other := s.SignIn(t, "ch@example.com", pw, "+6581240001")
		flowID := verified(t, s, tok, "mobile-change", "ch@example.com", "+6581240001")
		base := "/api/v1/mobile-change/" + flowID
		captchaTok := solve(t, s, tok, flowID, "SG", "9123 4567")
		mark := s.Mark(t, "+6591234567")
		r := s.Do(t, "POST", base+"/new-number", tok, map[string]string{"country": "SG", "number": "9123 4567", "captcha_token": captchaTok})
		if r.Status != 202 || r.Body["sent_to"] != "+65 ****4567" {
			t.Fatalf("new number: %d %s", r.Status, r.Raw)
		}
		code := s.CodeSince(t, "+6591234567", mark)
		if r := s.Do(t, "POST", base+"/confirm", tok, map[string]string{"sms_code": code}); r.Status != 200 || r.Body["state"] != "completed" {
			t.Fatalf("confirm: %d %s", r.Status, r.Raw)
		}
		acc := s.Admin(t, "GET", "/admin/v1/accounts/"+id, nil)
		if acc.Body["mobile"] != "+6591234567" || acc.Body["mobile_verification"] != true {
			t.Fatalf("account: %s", acc.Raw)
		}
		e := s.Admin(t, "GET", "/admin/v1/accounts/"+id+"/withdrawal-eligibility", nil)
		if e.Body["allowed"] != false || e.Body["reasons"].([]any)[0] != "mobile_change" {
			t.Fatalf("eligibility: %s", e.Raw)
		}
		if r := s.Do(t, "GET", "/api/v1/account", tok, nil); r.Status != 200 || r.Body["mobile"] != "+65 ****4567" {
			t.Fatalf("the acting session: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "GET", "/api/v1/account", other, nil); r.Status != 401 {
			t.Fatalf("another session survived: %d", r.Status)
		}
		mail := s.WaitMessages(t, "ch@example.com", 2)[0]
		if !strings.Contains(mail.Subject, "mobile number") || !strings.Contains(mail.Body, "/stop?t=") {
			t.Fatalf("owner email: %q", mail.Subject)
		}
		// The SMS may leave after the emails: wait for it.
		apptest.Eventually(t, 10*time.Second, "the SMS to the old number", func() bool {
			for _, m := range s.Messages(t, "+6581240001") {
				if strings.Contains(m.Body, "replaced") {
					return true
				}
			}
			return false
		})
		// Sign-in now sends the SMS to the new number.
		s.SignIn(t, "ch@example.com", pw, "+6591234567")
	})
}

// The contract's order of checks on new-number: state, number, captcha,
// limits; and the errors of each endpoint.
func TestChangeErrors(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "err2@example.com", pw, "+6581240002", false)
		s.CreateAccount(t, "nomob@example.com", pw, "", false)
		tok := s.SignIn(t, "err2@example.com", pw, "+6581240002")
		nomob := s.SignIn(t, "nomob@example.com", pw, "nomob@example.com")
		if r := s.Do(t, "POST", "/api/v1/mobile-change", "", nil); r.Status != 401 {
			t.Errorf("no session: %d", r.Status)
		}
		if r := s.Do(t, "POST", "/api/v1/mobile-change", nomob, nil); r.Status != 409 || r.ErrorCode() != "wrong_state" {
			t.Errorf("change without a number: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", "/api/v1/mobile-bind", tok, nil); r.Status != 409 {
			t.Errorf("bind with a number: %d %s", r.Status, r.Raw)
		}
		r := s.Do(t, "POST", "/api/v1/mobile-change", tok, nil)
		flowID := r.Body["flow_id"].(string)
		base := "/api/v1/mobile-change/" + flowID
		good := solve(t, s, "", "", "", "")
		if r := s.Do(t, "POST", base+"/new-number", tok, map[string]string{"country": "XX", "number": "bad", "captcha_token": good}); r.Status != 409 {
			t.Errorf("new number before verifying (state comes first): %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "GET", base, nomob, nil); r.Status != 404 {
			t.Errorf("someone else's flow: %d", r.Status)
		}
		if r := s.Do(t, "POST", base+"/verify", tok, map[string]string{"email_code": "000000", "sms_code": "000000"}); r.Status != 422 || r.ErrorCode() != "code_expired" {
			t.Errorf("verify before any code: %d %s", r.Status, r.Raw)
		}
		flowID = verified(t, s, tok, "mobile-change", "err2@example.com", "+6581240002")
		base = "/api/v1/mobile-change/" + flowID
		for name, c := range map[string]struct {
			body   map[string]string
			status int
			code   string
		}{
			"unknown country": {map[string]string{"country": "XX", "number": "91234567", "captcha_token": "x"}, 400, "invalid_request"},
			"fixed line":      {map[string]string{"country": "SG", "number": "6123 4567", "captcha_token": "x"}, 400, "invalid_mobile"},
			"not a number":    {map[string]string{"country": "SG", "number": "abc", "captcha_token": "x"}, 400, "invalid_mobile"},
			"the current one": {map[string]string{"country": "SG", "number": "8124 0002", "captcha_token": "x"}, 422, "mobile_unavailable"},
			"no captcha":      {map[string]string{"country": "SG", "number": "9123 0002"}, 422, "captcha_invalid"},
			"forged captcha":  {map[string]string{"country": "SG", "number": "9123 0002", "captcha_token": "aaaaaaaaaaaaaaaaaaaaaaaaaa"}, 422, "captcha_invalid"},
			"missing country": {map[string]string{"number": "91230002"}, 400, "invalid_request"},
		} {
			if r := s.Do(t, "POST", base+"/new-number", tok, c.body); r.Status != c.status || r.ErrorCode() != c.code {
				t.Errorf("%s: %d %s, want %d %s", name, r.Status, r.Raw, c.status, c.code)
			}
		}
		// A token solved for another number or flow does not serve this one.
		bound := solve(t, s, tok, flowID, "SG", "9123 0003")
		if r := s.Do(t, "POST", base+"/new-number", tok, map[string]string{"country": "SG", "number": "9123 0004", "captcha_token": bound}); r.ErrorCode() != "captcha_invalid" {
			t.Errorf("captcha of another number: %d %s", r.Status, r.Raw)
		}
		// A token works once.
		once := solve(t, s, "", "", "", "")
		if r := s.Do(t, "POST", base+"/new-number", tok, map[string]string{"country": "SG", "number": "9123 0005", "captcha_token": once}); r.Status != 202 {
			t.Fatalf("new number: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", base+"/new-number", tok, map[string]string{"country": "SG", "number": "9123 0005", "captcha_token": once}); r.ErrorCode() != "captcha_invalid" {
			t.Errorf("reused captcha: %d %s", r.Status, r.Raw)
		}
		// The resend cooldown applies behind a fresh captcha too: the captcha
		// never bypasses a limit.
		again := solve(t, s, "", "", "", "")
		if r := s.Do(t, "POST", base+"/new-number", tok, map[string]string{"country": "SG", "number": "9123 0005", "captcha_token": again}); r.Status != 429 || r.Header.Get("Retry-After") == "" {
			t.Errorf("send within the cooldown: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", base+"/confirm", tok, map[string]string{"sms_code": "000000"}); r.Status != 422 || r.ErrorCode() != "invalid_code" {
			t.Errorf("wrong code: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", base+"/confirm", tok, map[string]string{}); r.Status != 400 {
			t.Errorf("no code: %d %s", r.Status, r.Raw)
		}
	})
}

// SEC-ENUM-2 and SEC-RACE-5: a number another account holds is refused
// only after its code is proven, and two flows confirming one number at
// once cannot both get it.
func TestTakenNumberAndRace(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "holder@example.com", pw, "+6591110000", false)
		for _, e := range []string{"a@example.com", "b@example.com"} {
			s.CreateAccount(t, e, pw, "", false)
		}
		// The taken number gets its code like a free one.
		ta := s.SignIn(t, "a@example.com", pw, "a@example.com")
		fa := verified(t, s, ta, "mobile-bind", "a@example.com", "")
		mark := s.Mark(t, "+6591110000")
		r := s.Do(t, "POST", "/api/v1/mobile-bind/"+fa+"/new-number", ta, map[string]string{"country": "SG", "number": "91110000", "captcha_token": solve(t, s, ta, fa, "SG", "91110000")})
		if r.Status != 202 {
			t.Fatalf("taken number before proof: %d %s", r.Status, r.Raw)
		}
		right := s.CodeSince(t, "+6591110000", mark)
		wrong := "000000"
		if right == wrong {
			wrong = "000001"
		}
		if r := s.Do(t, "POST", "/api/v1/mobile-bind/"+fa+"/confirm", ta, map[string]string{"sms_code": wrong}); r.Status != 422 || r.ErrorCode() != "invalid_code" {
			t.Fatalf("a wrong code: %d %s", r.Status, r.Raw)
		}
		r = s.Do(t, "POST", "/api/v1/mobile-bind/"+fa+"/confirm", ta, map[string]string{"sms_code": right})
		if r.Status != 422 || r.ErrorCode() != "mobile_unavailable" {
			t.Fatalf("taken number after proof: %d %s", r.Status, r.Raw)
		}
		// The code is checked in the binding's transaction: the wrong entry
		// stayed counted, and the right code, whose binding failed, is not
		// used up (a crash between the two would leave it the same way).
		var attempts int
		var consumed sql.NullInt64
		if err := s.DB.QueryRowContext(context.Background(), "SELECT attempts, consumed_at FROM codes WHERE flow_id = $1 AND purpose = 'change_new_sms'",
			fa).Scan(&attempts, &consumed); err != nil {
			t.Fatal(err)
		}
		if attempts != 1 || consumed.Valid {
			t.Fatalf("after a wrong code and a refused binding: %d attempts counted, used up %v; want 1 and not used up", attempts, consumed.Valid)
		}
		// Two accounts race for one free number.
		tb := s.SignIn(t, "b@example.com", pw, "b@example.com")
		fb := verified(t, s, tb, "mobile-bind", "b@example.com", "")
		fa = verified(t, s, ta, "mobile-bind", "a@example.com", "")
		codes := map[string]string{}
		for _, c := range []struct{ tok, flow string }{{ta, fa}, {tb, fb}} {
			mark := s.Mark(t, "+6591110001")
			r := s.Do(t, "POST", "/api/v1/mobile-bind/"+c.flow+"/new-number", c.tok, map[string]string{"country": "SG", "number": "91110001",
				"captcha_token": solve(t, s, c.tok, c.flow, "SG", "91110001")})
			if r.Status != 202 {
				t.Fatalf("new number: %d %s", r.Status, r.Raw)
			}
			codes[c.flow] = s.CodeSince(t, "+6591110001", mark)
		}
		var wg sync.WaitGroup
		results := make(chan apptest.Response, 2)
		for _, c := range []struct{ tok, flow string }{{ta, fa}, {tb, fb}} {
			wg.Go(func() {
				results <- s.Do(t, "POST", "/api/v1/mobile-bind/"+c.flow+"/confirm", c.tok, map[string]string{"sms_code": codes[c.flow]})
			})
		}
		wg.Wait()
		close(results)
		won, lost := 0, 0
		for r := range results {
			switch {
			case r.Status == 200:
				won++
			case r.ErrorCode() == "mobile_unavailable":
				lost++
			default:
				t.Errorf("unexpected %d %s", r.Status, r.Raw)
			}
		}
		if won != 1 || lost != 1 {
			t.Fatalf("%d won, %d lost; want exactly one of each", won, lost)
		}
	})
}

// Bind after a reset: email code only, then the number; mobile
// verification comes back on and no rebind is asked for.
func TestBindMobile(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := s.CreateAccount(t, "bind@example.com", pw, "", false)
		tok := s.SignIn(t, "bind@example.com", pw, "bind@example.com")
		flowID := verified(t, s, tok, "mobile-bind", "bind@example.com", "")
		base := "/api/v1/mobile-bind/" + flowID
		if r := s.Do(t, "POST", base+"/sms-code", tok, nil); r.Status != 404 && r.Status != 405 {
			t.Errorf("a bind has no old-number code: %d", r.Status)
		}
		mark := s.Mark(t, "+6591230077")
		r := s.Do(t, "POST", base+"/new-number", tok, map[string]string{"country": "sg", "number": "+65 9123 0077", "captcha_token": solve(t, s, "", "", "", "")})
		if r.Status != 202 {
			t.Fatalf("new number: %d %s", r.Status, r.Raw)
		}
		r = s.Do(t, "POST", base+"/confirm", tok, map[string]string{"sms_code": s.CodeSince(t, "+6591230077", mark)})
		if r.Status != 200 {
			t.Fatalf("confirm: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "GET", "/api/v1/account", tok, nil); r.Body["mobile"] != "+65 ****0077" || r.Body["mobile_verification"] != true || r.Body["rebind_required"] != false {
			t.Fatalf("account: %s", r.Raw)
		}
		e := s.Admin(t, "GET", "/admin/v1/accounts/"+id+"/withdrawal-eligibility", nil)
		if e.Body["reasons"].([]any)[0] != "mobile_bind" {
			t.Fatalf("eligibility: %s", e.Raw)
		}
	})
}

func TestCaptchaEndpoints(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		r := s.Do(t, "POST", "/api/v1/captcha", "", nil)
		if r.Status != 201 {
			t.Fatalf("captcha: %d %s", r.Status, r.Raw)
		}
		id := r.Body["captcha_id"].(string)
		x, _ := s.Captcha.AnswerForTest(context.Background(), id)
		// A straight, constant-speed drag is refused, and the puzzle is spent.
		var bot [][3]int
		for i := 0; i <= 20; i++ {
			bot = append(bot, [3]int{i * 30, x * i / 20, 50})
		}
		if r := s.Do(t, "POST", "/api/v1/captcha/"+id, "", map[string]any{"x": x, "trail": bot}); r.Status != 422 || r.ErrorCode() != "captcha_invalid" {
			t.Fatalf("bot trail: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", "/api/v1/captcha/"+id, "", map[string]any{"x": x, "trail": bot}); r.ErrorCode() != "captcha_invalid" {
			t.Fatalf("second answer: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", "/api/v1/captcha/"+id, "", map[string]any{"trail": bot}); r.Status != 400 {
			t.Fatalf("no x: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", "/api/v1/captcha", "", map[string]string{"flow_id": "x", "country": "SG", "number": "123"}); r.Status != 400 {
			t.Fatalf("bad number in the binding: %d %s", r.Status, r.Raw)
		}
	})
}
