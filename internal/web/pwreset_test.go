package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

// tokensOut blanks what differs between two browsers on the same page: the
// form token and the second the resend countdown ends.
var tokensOut = regexp.MustCompile(`name="csrf" value="[^"]+"|data-resend-at="-?\d+"`)

func TestPasswordResetThroughForms(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "known@example.com", pw, "", false)
		if _, page := get(t, s.Client(), s.URL+"/login"); !strings.Contains(page, `<a href="/password-reset">Forgot password?</a>`) {
			t.Fatal("the login page does not link the password reset")
		}
		// A session from before the reset, to see it end.
		before := s.SignIn(t, "known@example.com", pw, "known@example.com")

		// A known and an unknown email walk identical pages.
		walk := func(email string) (*http.Client, string, []string) {
			c := s.Client()
			_, page := get(t, c, s.URL+"/password-reset")
			tok := csrf(t, page)
			var pages []string
			resp, page := post(t, c, s.URL+"/password-reset", url.Values{"csrf": {tok}, "email": {email}})
			if resp.StatusCode != 200 || resp.Request.URL.Path != "/password-reset/confirm" {
				t.Fatalf("%s: start went to %d %s", email, resp.StatusCode, resp.Request.URL)
			}
			pages = append(pages, page)
			for _, form := range []url.Values{
				{"csrf": {tok}}, // resend during the cooldown
				{"csrf": {tok}, "code": {"000000"}, "password": {"password"}, "repeat": {"password"}},                   // common
				{"csrf": {tok}, "code": {"000000"}, "password": {"short"}, "repeat": {"short"}},                         // short
				{"csrf": {tok}, "code": {"000000"}, "password": {"xx" + email + "xx"}, "repeat": {"xx" + email + "xx"}}, // has the email
				{"csrf": {tok}, "code": {"000000"}, "password": {"violet-anchor-93"}, "repeat": {"violet-anchor-39"}},   // differ
				{"csrf": {tok}, "code": {"000000"}, "password": {"violet-anchor-93"}, "repeat": {"violet-anchor-93"}},   // wrong code
			} {
				path := "/password-reset/confirm"
				if form.Get("code") == "" {
					path = "/password-reset/code"
				}
				resp, page := post(t, c, s.URL+path, form)
				pages = append(pages, resp.Status+page)
			}
			return c, tok, pages
		}
		c, tok, known := walk("known@example.com")
		_, _, unknown := walk("nobody@example.com")
		for i := range known {
			if tokensOut.ReplaceAllString(known[i], "") != tokensOut.ReplaceAllString(unknown[i], "") {
				t.Fatalf("page %d differs:\n%s\n----\n%s", i, known[i], unknown[i])
			}
		}
		for i, want := range []string{`data-page="password_reset_confirm"`, "429 Too Many Requests", "The password is too common.",
			"at least 8 characters", "must not contain your email address", "The two new passwords are not the same.", "Attempts left: 4"} {
			if !strings.Contains(known[i], want) {
				t.Fatalf("page %d lacks %q:\n%s", i, want, known[i])
			}
		}
		if msgs := s.Messages(t, "nobody@example.com"); len(msgs) != 0 {
			t.Fatalf("an unknown email was sent %d messages", len(msgs))
		}
		code := s.Code(t, "known@example.com", 2)
		resp, page := post(t, c, s.URL+"/password-reset/confirm", url.Values{"csrf": {tok}, "code": {code},
			"password": {"violet-anchor-93"}, "repeat": {"violet-anchor-93"}})
		if resp.Request.URL.Path != "/password-reset/done" || !strings.Contains(page, "Your password was changed.") ||
			!strings.Contains(page, "signed out on every device") || !strings.Contains(page, "on hold for 24 hours") || !strings.Contains(page, `href="/login"`) {
			t.Fatalf("done: %s\n%s", resp.Request.URL, page)
		}
		if r := s.Do(t, "GET", "/api/v1/account", before, nil); r.Status != 401 {
			t.Fatalf("a session survived the password reset: %d", r.Status)
		}
		// Only the new password signs in now.
		_, page = get(t, c, s.URL+"/login")
		tok = csrf(t, page)
		if resp, _ := post(t, c, s.URL+"/login", url.Values{"csrf": {tok}, "email": {"known@example.com"}, "password": {pw}}); resp.StatusCode != 401 {
			t.Fatalf("old password: %d", resp.StatusCode)
		}
		resp, _ = post(t, c, s.URL+"/login", url.Values{"csrf": {tok}, "email": {"known@example.com"}, "password": {"violet-anchor-93"}})
		if resp.Request.URL.Path != "/login/verify" {
			t.Fatalf("new password went to %s", resp.Request.URL)
		}
	})
}

func TestPasswordResetWithoutFlow(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		c := s.Client()
		resp, page := get(t, c, s.URL+"/password-reset/confirm")
		if resp.Request.URL.Path != "/password-reset" || !strings.Contains(page, `data-page="password_reset"`) {
			t.Fatalf("confirm page without a reset: %s", resp.Request.URL)
		}
		resp, page = post(t, c, s.URL+"/password-reset", url.Values{"csrf": {csrf(t, page)}, "email": {"not an email"}})
		if resp.StatusCode != 400 || !strings.Contains(page, "Email is not a valid address.") {
			t.Fatalf("bad email: %d\n%s", resp.StatusCode, page)
		}
	})
}
