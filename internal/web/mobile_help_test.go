package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

const lostPhone = `<a href="/reset-mobile" id="lost-phone">Lost this phone? Reset it instead</a>`

// A change needs the SMS code to the current number: its warning and its
// first step point a user without that phone to the reset. A bind, which
// has no current number, does not.
func TestChangeOffersResetForALostPhone(t *testing.T) {
	s, base := changeServer(t, apptest.Options{})
	s.CreateAccount(t, "lost-phone@example.com", pw, "+6581237301", false)
	c := signedInClient(t, s, base, "lost-phone@example.com", "+6581237301")
	resp, page := get(t, c, base+"/settings/mobile")
	onPage(t, resp, page, "mobile_intro", 200)
	if !strings.Contains(page, lostPhone) {
		t.Fatalf("the warning has no way to the reset:\n%s", mainOf(page))
	}
	resp, page = post(t, c, base+"/settings/mobile/start", url.Values{"csrf": {csrf(t, page)}})
	onPage(t, resp, page, "mobile_verify", 200)
	if !strings.Contains(page, lostPhone) {
		t.Fatalf("the codes step has no way to the reset:\n%s", mainOf(page))
	}

	afterReset(t, s, "lost-bind@example.com", "+6581237302")
	b := signedInClient(t, s, base, "lost-bind@example.com", "lost-bind@example.com")
	resp, page = get(t, b, base+"/settings/mobile")
	onPage(t, resp, page, "mobile_intro", 200)
	resp, page = post(t, b, base+"/settings/mobile/start", url.Values{"csrf": {csrf(t, page)}})
	onPage(t, resp, page, "mobile_verify", 200)
	if strings.Contains(page, "Lost this phone?") {
		t.Fatalf("a bind offers to reset a phone it does not have:\n%s", mainOf(page))
	}
}
