package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/console"
	"github.com/rebindhq/rebind/internal/session"
	"github.com/rebindhq/rebind/internal/staff"
)

const userPassword = "tangerine-orbit-42"

// A staff session is never a user's session and a user's session is never
// a staff session, whatever cookie or header carries it: each is looked up
// in its own table only.
func TestStaffAndUserSessionsAreSeparate(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "user@example.com", userPassword, "", false)
		userToken := s.SignIn(t, "user@example.com", userPassword, "user@example.com")
		_, _, staffClient := s.StaffMember(t, "desk@example.com", staff.Admin)
		internal, _ := url.Parse(s.InternalURL)
		var staffToken string
		for _, ck := range staffClient.Jar.Cookies(internal) {
			if ck.Name == console.CookieName(false) {
				staffToken = ck.Value
			}
		}
		if resp, page := get(t, staffClient, s.InternalURL+"/staff"); resp.StatusCode != 200 || !strings.Contains(page, "desk@example.com") {
			t.Fatalf("the staff session on the console: %d", resp.StatusCode)
		}

		// The staff token on the user API and pages.
		if r := s.Do(t, "GET", "/api/v1/account", staffToken, nil); r.Status != 401 {
			t.Errorf("staff token as the API's bearer: %d %s", r.Status, r.Raw)
		}
		for _, name := range []string{session.CookieName(false), console.CookieName(false)} {
			req, _ := http.NewRequest("GET", s.URL+"/api/v1/account", nil)
			req.AddCookie(&http.Cookie{Name: name, Value: staffToken})
			if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
				t.Errorf("staff token in cookie %s on the API: %v %v", name, resp.StatusCode, err)
			}
			c := noRedirects(s.Client())
			public, _ := url.Parse(s.URL)
			c.Jar.SetCookies(public, []*http.Cookie{{Name: name, Value: staffToken, Path: "/"}})
			if resp, _ := get(t, c, s.URL+"/settings"); resp.StatusCode != 303 || resp.Header.Get("Location") != "/login" {
				t.Errorf("staff token in cookie %s on the user pages: %d %s", name, resp.StatusCode, resp.Header.Get("Location"))
			}
		}

		// The user's token on the console, in its cookie and the users'.
		for _, name := range []string{console.CookieName(false), session.CookieName(false)} {
			c := noRedirects(s.Client())
			c.Jar.SetCookies(internal, []*http.Cookie{{Name: name, Value: userToken, Path: "/"}})
			if resp, _ := get(t, c, s.InternalURL+"/staff"); resp.StatusCode != 303 || resp.Header.Get("Location") != "/staff/login" {
				t.Errorf("user token in cookie %s on /staff: %d %s", name, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		req, _ := http.NewRequest("GET", s.InternalURL+"/staff/members", nil)
		req.Header.Set("Authorization", "Bearer "+userToken)
		if resp, err := noRedirects(s.Client()).Do(req); err != nil || resp.StatusCode != 303 {
			t.Errorf("user token as a bearer on the console: %v %v", resp.StatusCode, err)
		}
		// Both still work where they belong.
		if r := s.Do(t, "GET", "/api/v1/account", userToken, nil); r.Status != 200 {
			t.Errorf("the user's own token: %d", r.Status)
		}
	})
}

// SEC-SES-6 through the pages: the console's session ends after 15 idle
// minutes and 8 hours after sign-in, and the page then asks to sign in.
func TestStaffSessionEndsOnThePages(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, clk := fakeServer(t, opts)
		_, _, c := s.StaffMember(t, "idle@example.com", staff.Reviewer)
		c = noRedirects(c)
		start := clk.Now()
		for clk.Now().Before(start.Add(staff.SessionAbsolute - 14*time.Minute)) {
			clk.Advance(14 * time.Minute)
			if resp, _ := get(t, c, s.InternalURL+"/staff"); resp.StatusCode != 200 {
				t.Fatalf("used every 14 minutes, after %v: %d", clk.Now().Sub(start), resp.StatusCode)
			}
		}
		clk.Set(start.Add(staff.SessionAbsolute))
		if resp, _ := get(t, c, s.InternalURL+"/staff"); resp.StatusCode != 303 || resp.Header.Get("Location") != "/staff/login" {
			t.Fatalf("at 8 hours: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, _, idle := s.StaffMember(t, "idle2@example.com", staff.Reviewer)
		idle = noRedirects(idle)
		clk.Advance(staff.SessionIdle)
		if resp, _ := get(t, idle, s.InternalURL+"/staff"); resp.StatusCode != 303 {
			t.Fatalf("after 15 idle minutes: %d", resp.StatusCode)
		}
	})
}

// SEC-SES-4: behind https the staff cookie is __Host-rebind_staff_session,
// Secure, HttpOnly, SameSite=Lax, Path=/, and holds an opaque token.
func TestStaffCookieAttributes(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		opts.Env = map[string]string{"REBIND_STAFF_URL": "https://review.example.internal"}
		s, clk := fakeServer(t, opts)
		_, secret, _ := s.StaffMember(t, "cookie@example.com", staff.Reviewer)
		nextStep(clk)
		c := noRedirects(s.Client())
		resp, page := get(t, c, s.InternalURL+"/staff/login")
		var csrfCookie *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == "__Host-rebind_staff_csrf" {
				csrfCookie = ck
			}
		}
		if csrfCookie == nil {
			t.Fatalf("no __Host-rebind_staff_csrf cookie: %v", resp.Cookies())
		}
		form := url.Values{"csrf": {csrf(t, page)}, "email": {"cookie@example.com"}, "password": {apptest.StaffPassword}, "code": {code(t, secret, clk)}}
		req, _ := http.NewRequest("POST", s.InternalURL+"/staff/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: csrfCookie.Name, Value: csrfCookie.Value})
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var sess *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == console.CookieName(true) {
				sess = ck
			}
		}
		if resp.StatusCode != 303 || sess == nil || sess.Name != "__Host-rebind_staff_session" || !sess.Secure || !sess.HttpOnly ||
			sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.MaxAge != 0 || len(sess.Value) != 43 || strings.Contains(sess.Value, "cookie") {
			t.Fatalf("staff session cookie: %d %+v", resp.StatusCode, sess)
		}
	})
}

// The console is served on the internal listener only: on the public one
// its paths are unknown, for every method, exactly like a path that never
// existed.
func TestConsoleIsOnTheInternalListenerOnly(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		_, _, c := s.StaffMember(t, "inside@example.com", staff.Admin)
		unknown, want := get(t, s.Client(), s.URL+"/no-such-page")
		if unknown.StatusCode != 404 {
			t.Fatalf("unknown public path: %d", unknown.StatusCode)
		}
		for _, path := range []string{"/staff", "/staff/", "/staff/login", "/staff/members", "/staff/enrol/abc", "/staff/static/console.css"} {
			for _, method := range []string{"GET", "POST"} {
				req, _ := http.NewRequest(method, s.URL+path, strings.NewReader("csrf=x"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := noRedirects(s.Client()).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body := readAll(resp)
				if resp.StatusCode != 404 || body != want {
					t.Errorf("public %s %s: %d\n%s", method, path, resp.StatusCode, body)
				}
			}
		}
		if resp, page := get(t, c, s.InternalURL+"/staff/members"); resp.StatusCode != 200 || !strings.Contains(page, "inside@example.com") {
			t.Fatalf("internal /staff/members: %d", resp.StatusCode)
		}
		if resp, _ := get(t, c, s.InternalURL+"/staff/static/console.css"); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
			t.Fatalf("the console's stylesheet: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}
