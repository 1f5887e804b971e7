package web_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
)

// Issue 7: a user who gave the right password but cannot be sent a code
// right now is not left with "too many requests": the second-factor page
// says when to ask again, keeps its "Get code" button until then, and
// offers [Security authentication unavailable?].
func TestRefusedCodeAfterTheRightPassword(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		clk := clock.NewFake(time.Now().UTC().Truncate(24 * time.Hour).Add(time.Hour))
		s := apptest.Start(t, apptest.Options{Clock: clk})
		s.CreateAccount(t, "limited@example.com", pw, "+6581230098", false)
		c := s.Client()
		_, page := get(t, c, s.URL+"/login")
		tok := csrf(t, page)
		for i := range 5 {
			if resp, _ := post(t, c, s.URL+"/login", url.Values{"csrf": {tok}, "email": {"limited@example.com"}, "password": {pw}}); resp.StatusCode != 200 {
				t.Fatalf("sign-in %d: %d", i+1, resp.StatusCode)
			}
		}
		clk.Advance(15 * time.Minute)
		resp, page := post(t, c, s.URL+"/login", url.Values{"csrf": {tok}, "email": {"limited@example.com"}, "password": {pw}})
		retry := clk.Now().Add(45 * time.Minute).Unix()
		for _, want := range []string{"Security verification", "+65 ****0098", "Too many codes were sent to this number; try again in 45 minutes.",
			"Security authentication unavailable?", "Mobile unavailable, apply to reset", `data-resend-at="` + strconv.FormatInt(retry, 10) + `"`} {
			if !strings.Contains(page, want) {
				t.Fatalf("refused sign-in page (%d) lacks %q:\n%s", resp.StatusCode, want, page)
			}
		}
		if resp.StatusCode != 429 {
			t.Fatalf("refused sign-in page: %d", resp.StatusCode)
		}
	})
}

// The browser that signed in before keeps its cookie's own limit: strangers'
// guesses at the email do not keep it out; a new browser waits.
func TestSignedInBrowserOutlastsStrangersGuesses(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "habit@example.com", pw, "", false)
		owner := s.Client()
		_, page := get(t, owner, s.URL+"/login")
		tok := csrf(t, page)
		post(t, owner, s.URL+"/login", url.Values{"csrf": {tok}, "email": {"habit@example.com"}, "password": {pw}})
		if resp, _ := post(t, owner, s.URL+"/login/verify", url.Values{"csrf": {tok}, "code": {s.Code(t, "habit@example.com", 1)}}); resp.Request.URL.Path != "/" {
			t.Fatalf("sign-in: %d %s", resp.StatusCode, resp.Request.URL)
		}
		for range 10 {
			s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "habit@example.com", "password": "guess-" + pw})
		}
		stranger := s.Client()
		_, page = get(t, stranger, s.URL+"/login")
		resp, page := post(t, stranger, s.URL+"/login", url.Values{"csrf": {csrf(t, page)}, "email": {"habit@example.com"}, "password": {pw}})
		if resp.StatusCode != 429 || !strings.Contains(page, "Too many sign-in attempts for this email; try again in") {
			t.Fatalf("a new browser after 10 guesses: %d\n%s", resp.StatusCode, page)
		}
		_, page = get(t, owner, s.URL+"/login")
		resp, _ = post(t, owner, s.URL+"/login", url.Values{"csrf": {csrf(t, page)}, "email": {"habit@example.com"}, "password": {pw}})
		if resp.StatusCode != 200 || resp.Request.URL.Path != "/login/verify" {
			t.Fatalf("the owner's browser after strangers' guesses: %d %s", resp.StatusCode, resp.Request.URL)
		}
	})
}
