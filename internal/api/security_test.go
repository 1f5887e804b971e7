package api_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

var stopLink = regexp.MustCompile(`/stop\?t=([a-z2-7]{26})`)

// SEC-REC-4 / SPEC §3.2.1: "This wasn't me" cancels the open reset and
// freezes the account until staff lift it.
func TestThisWasntMeStopsAResetAndFreezes(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := resetAccount(t, s, "victim@example.com", "+6581230010", 0)
		tok := s.SignIn(t, "victim@example.com", pw, "+6581230010")
		flowID := startReset(t, s, "victim@example.com")
		// The owner still holds the phone: the notice there carries the link.
		notice := s.WaitMessages(t, "+6581230010", 2)[0]
		m := stopLink.FindStringSubmatch(notice.Body)
		if m == nil {
			t.Fatalf("no stop link in %q", notice.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/security/stop", "", map[string]string{"token": "aaaaaaaaaaaaaaaaaaaaaaaaaa"}); r.Status != 404 {
			t.Fatalf("unknown token: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", "/api/v1/security/stop", "", map[string]string{"token": m[1]}); r.Status != 200 || r.Body["frozen"] != true {
			t.Fatalf("stop: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz", "", nil); r.Status != 410 || r.ErrorCode() != "flow_expired" {
			t.Fatalf("the reset after stop: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "GET", "/api/v1/account", tok, nil); r.Status != 401 {
			t.Fatalf("a session survived the freeze: %d", r.Status)
		}
		e := s.Admin(t, "GET", "/admin/v1/accounts/"+id+"/withdrawal-eligibility", nil)
		if e.Body["allowed"] != false || e.Body["reasons"].([]any)[0] != "account_frozen" || e.Body["until"] != nil {
			t.Fatalf("eligibility when frozen: %s", e.Raw)
		}
		if r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "victim@example.com", "password": pw}); r.Status != 403 {
			t.Fatalf("sign-in when frozen: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", "/api/v1/mobile-reset", "", map[string]any{"email": "victim@example.com", "password": pw, "agree": true}); r.Status != 403 {
			t.Fatalf("reset when frozen: %d %s", r.Status, r.Raw)
		}
		frozen := s.WaitMessages(t, "victim@example.com", 2)[0]
		if !strings.Contains(frozen.Subject, "frozen") {
			t.Fatalf("freeze email: %q", frozen.Subject)
		}
		// Using the link again changes nothing and sends nothing.
		s.Do(t, "POST", "/api/v1/security/stop", "", map[string]string{"token": m[1]})
		if n := len(s.Messages(t, "victim@example.com")); n != 2 {
			t.Fatalf("%d emails after a second use", n)
		}
		// Staff lift the freeze through the admin API.
		r := s.Admin(t, "POST", "/admin/v1/accounts/"+id+"/unfreeze", nil)
		if r.Status != 200 || r.Body["frozen"] != false {
			t.Fatalf("unfreeze: %d %s", r.Status, r.Raw)
		}
		s.SignIn(t, "victim@example.com", pw, "+6581230010")
	})
}

func TestPasswordReset(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := s.CreateAccount(t, "pw@example.com", pw, "+6581230011", false)
		old := s.SignIn(t, "pw@example.com", pw, "+6581230011")
		known := s.Do(t, "POST", "/api/v1/password-reset", "", map[string]string{"email": "PW@example.com"})
		unknown := s.Do(t, "POST", "/api/v1/password-reset", "", map[string]string{"email": "nobody@example.com"})
		if known.Status != 202 || unknown.Status != 202 || len(known.Raw) != len(unknown.Raw) {
			t.Fatalf("known %d %s, unknown %d %s", known.Status, known.Raw, unknown.Status, unknown.Raw)
		}
		if n := len(s.Messages(t, "nobody@example.com")); n != 0 {
			t.Fatal("a code was sent to an address without an account")
		}
		// Wrong codes look the same for both.
		for _, r := range []apptest.Response{known, unknown} {
			w := s.Do(t, "POST", "/api/v1/password-reset/"+r.Body["flow_id"].(string)+"/confirm", "",
				map[string]string{"code": "000000", "new_password": "a-fresh-long-passphrase"})
			if w.Status != 422 || w.ErrorCode() != "invalid_code" || w.Body["error"].(map[string]any)["attempts_left"] != float64(4) {
				t.Fatalf("wrong code: %d %s", w.Status, w.Raw)
			}
		}
		flowID := known.Body["flow_id"].(string)
		code := s.Code(t, "pw@example.com", 1)
		for _, weak := range []string{"short", "password123", "aaaaaaaaaaaa"} {
			r := s.Do(t, "POST", "/api/v1/password-reset/"+flowID+"/confirm", "", map[string]string{"code": code, "new_password": weak})
			if r.Status != 400 || r.ErrorCode() != "invalid_request" {
				t.Fatalf("weak password %q: %d %s", weak, r.Status, r.Raw)
			}
		}
		r := s.Do(t, "POST", "/api/v1/password-reset/"+flowID+"/confirm", "", map[string]string{"code": code, "new_password": "a-fresh-long-passphrase"})
		if r.Status != 200 || r.Body["state"] != "completed" {
			t.Fatalf("confirm: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "GET", "/api/v1/account", old, nil); r.Status != 401 {
			t.Fatal("a session survived the password reset")
		}
		e := s.Admin(t, "GET", "/admin/v1/accounts/"+id+"/withdrawal-eligibility", nil)
		if e.Body["allowed"] != false || e.Body["reasons"].([]any)[0] != "password_reset" {
			t.Fatalf("eligibility: %s", e.Raw)
		}
		if r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "pw@example.com", "password": pw}); r.Status != 401 {
			t.Fatal("the old password still works")
		}
		s.SignIn(t, "pw@example.com", "a-fresh-long-passphrase", "+6581230011")
		sms := s.WaitMessages(t, "+6581230011", 2)
		var told bool
		for _, m := range sms {
			told = told || strings.Contains(m.Body, "password was reset")
		}
		if !told {
			t.Fatal("the bound mobile was not told of the password reset")
		}
		if r := s.Do(t, "POST", "/api/v1/password-reset", "", map[string]string{"email": "not-an-email"}); r.Status != 400 {
			t.Fatalf("bad email: %d", r.Status)
		}
	})
}
