package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

// "This wasn't me": the GET only asks (a mail scanner fetching it changes
// nothing); the button freezes the account.
func TestStopLink(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := s.CreateAccount(t, "owner@example.com", pw, "+6581234406", false)
		session := s.SignIn(t, "owner@example.com", pw, "+6581234406")
		link, err := s.Stop.Create(context.Background(), s.DB, id, "mobile_reset_requested")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(link)
		path := u.Path + "?" + u.RawQuery
		frozen := func() bool { return s.Admin(t, "GET", "/admin/v1/accounts/"+id, nil).Body["frozen"] == true }

		c := s.Client()
		var page string
		for range 2 {
			resp, p := get(t, c, s.URL+path)
			page = p
			if resp.StatusCode != 200 || !strings.Contains(page, `data-page="stop"`) || !strings.Contains(page, "a reset of the mobile verification") ||
				!strings.Contains(page, ">Freeze my account</button>") || !strings.Contains(page, `name="t" value="`+u.Query().Get("t")+`"`) {
				t.Fatalf("stop page: %d\n%s", resp.StatusCode, page)
			}
		}
		if frozen() {
			t.Fatal("opening the link froze the account")
		}
		if r := s.Do(t, "GET", "/api/v1/account", session, nil); r.Status != 200 {
			t.Fatalf("opening the link ended the session: %d", r.Status)
		}
		// The button needs its form token like every form.
		if resp, _ := post(t, c, s.URL+"/stop", url.Values{"t": {u.Query().Get("t")}}); resp.StatusCode != 403 || frozen() {
			t.Fatalf("stop without the form token: %d", resp.StatusCode)
		}
		resp, page := post(t, c, s.URL+"/stop", url.Values{"csrf": {csrf(t, page)}, "t": {u.Query().Get("t")}})
		if resp.StatusCode != 200 || !strings.Contains(page, `data-page="stop_done"`) || !strings.Contains(page, "Your account was frozen.") {
			t.Fatalf("after the button: %d\n%s", resp.StatusCode, page)
		}
		if !frozen() {
			t.Fatal("the account is not frozen")
		}
		if r := s.Do(t, "GET", "/api/v1/account", session, nil); r.Status != 401 {
			t.Fatalf("a session survived the freeze: %d", r.Status)
		}
		_, page = get(t, c, s.URL+"/login")
		resp, page = post(t, c, s.URL+"/login", url.Values{"csrf": {csrf(t, page)}, "email": {"owner@example.com"}, "password": {pw}})
		if resp.StatusCode != 403 || !strings.Contains(page, "This account is frozen; contact support to unlock it.") {
			t.Fatalf("sign-in of a frozen account: %d\n%s", resp.StatusCode, page)
		}
		// A used link says what it did; an unknown one says it is not valid.
		if _, page = get(t, c, s.URL+path); !strings.Contains(page, `data-page="stop_done"`) {
			t.Fatalf("used link:\n%s", page)
		}
		for _, bad := range []string{"/stop", "/stop?t=aaaaaaaaaaaaaaaaaaaaaaaaaa", "/stop?t=%3Cscript%3E"} {
			resp, page = get(t, c, s.URL+bad)
			if resp.StatusCode != 404 || !strings.Contains(page, "This link is not valid or has expired.") || !strings.Contains(page, "contact support") {
				t.Fatalf("%s: %d\n%s", bad, resp.StatusCode, page)
			}
		}
		_, page = get(t, c, s.URL+"/login")
		resp, _ = post(t, c, s.URL+"/stop", url.Values{"csrf": {csrf(t, page)}, "t": {"aaaaaaaaaaaaaaaaaaaaaaaaaa"}})
		if resp.StatusCode != 404 {
			t.Fatalf("POST of an unknown link: %d", resp.StatusCode)
		}
	})
}
