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
}
