package web_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

const pw = "tangerine-orbit-42"

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, html.UnescapeString(string(b))
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, html.UnescapeString(string(b))
}

func csrf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("page has no form token")
	}
	return m[1]
}

// The whole sign-in through the pages, as a browser without JavaScript
// would do it.
func TestSignInThroughForms(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "web@example.com", pw, "+6581230099", false)
		c := s.Client()
		_, page := get(t, c, s.URL+"/login")
		tok := csrf(t, page)
		resp, page := post(t, c, s.URL+"/login", url.Values{"csrf": {tok}, "email": {"web@example.com"}, "password": {"nope-nope-nope"}})
		if resp.StatusCode != 401 || !strings.Contains(page, "The email or password is not right") || !strings.Contains(page, `value="web@example.com"`) {
			t.Fatalf("wrong password page: %d\n%s", resp.StatusCode, page)
		}
		resp, page = post(t, c, s.URL+"/login", url.Values{"csrf": {tok}, "email": {"web@example.com"}, "password": {pw}})
		if resp.StatusCode != 200 || resp.Request.URL.Path != "/login/verify" || !strings.Contains(page, "+65 ****0099") ||
			!strings.Contains(page, "Security authentication unavailable?") || !strings.Contains(page, "Mobile unavailable, apply to reset") ||
			!strings.Contains(page, "Confirm reset") {
			t.Fatalf("2FA page: %d %s\n%s", resp.StatusCode, resp.Request.URL, page)
		}
		resp, page = post(t, c, s.URL+"/login/verify", url.Values{"csrf": {tok}, "code": {"000000"}})
		if resp.StatusCode != 422 || !strings.Contains(page, "Attempts left: 4") {
			t.Fatalf("wrong code page: %d", resp.StatusCode)
		}
		code := s.Code(t, "+6581230099", 1)
		resp, page = post(t, c, s.URL+"/login/verify", url.Values{"csrf": {tok}, "code": {code}})
		if resp.StatusCode != 200 || resp.Request.URL.Path != "/" || !strings.Contains(page, "web@example.com") || !strings.Contains(page, "Settings") {
			t.Fatalf("after sign-in: %d %s", resp.StatusCode, resp.Request.URL)
		}
		u, _ := url.Parse(s.URL)
		var session *http.Cookie
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "rebind_session" {
				session = ck
			}
		}
		if session == nil {
			t.Fatal("no session cookie")
		}
		// The session cookie works on the JSON API too.
		req, _ := http.NewRequest("GET", s.URL+"/api/v1/account", nil)
		req.AddCookie(session)
		if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 200 {
			t.Fatalf("API with the page cookie: %v %v", r.StatusCode, err)
		}
		resp, _ = post(t, c, s.URL+"/logout", url.Values{"csrf": {tok}})
		if resp.Request.URL.Path != "/login" {
			t.Fatalf("logout went to %s", resp.Request.URL)
		}
		if r, _ := http.DefaultClient.Do(req); r.StatusCode != 401 {
			t.Fatalf("session alive after logout: %d", r.StatusCode)
		}
	})
}

func TestSessionCookieAttributes(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		s := apptest.Start(t, apptest.Options{Env: map[string]string{"REBIND_BASE_URL": "https://rebind.example"}})
		s.CreateAccount(t, "sec@example.com", pw, "", false)
		c := s.Client()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, page := get(t, c, s.URL+"/login")
		var csrfCookie *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == "__Host-rebind_csrf" {
				csrfCookie = ck
			}
		}
		if csrfCookie == nil || !csrfCookie.Secure || !csrfCookie.HttpOnly || csrfCookie.Path != "/" {
			t.Fatalf("csrf cookie: %+v", csrfCookie)
		}
		form := url.Values{"csrf": {csrf(t, page)}, "email": {"sec@example.com"}, "password": {pw}}
		req, _ := http.NewRequest("POST", s.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: csrfCookie.Name, Value: csrfCookie.Value})
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var login *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == "__Host-rebind_login" {
				login = ck
			}
		}
		// SEC-SES-4 (v5.0.0-3.3.1): __Host- prefix, Secure, HttpOnly, Path=/, SameSite.
		if resp.StatusCode != 303 || login == nil || !login.Secure || !login.HttpOnly || login.SameSite != http.SameSiteLaxMode || login.Path != "/" {
			t.Fatalf("login cookie: %d %+v", resp.StatusCode, login)
		}
	})
}

// SEC-SES-5 (v5.0.0-3.5.1): a page form without its token is refused, even
// when no browser header marks it cross-site.
func TestFormsNeedTheirToken(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		c := s.Client()
		get(t, c, s.URL+"/login")
		for _, form := range []url.Values{{"email": {"a@example.com"}, "password": {pw}}, {"csrf": {"forged"}, "email": {"a@example.com"}}} {
			resp, page := post(t, c, s.URL+"/login", form)
			if resp.StatusCode != 403 || !strings.Contains(page, "This form has expired") {
				t.Fatalf("form %v: %d", form, resp.StatusCode)
			}
		}
		// A token from another browser does not fit this browser's cookie.
		_, other := get(t, s.Client(), s.URL+"/login")
		resp, _ := post(t, c, s.URL+"/login", url.Values{"csrf": {csrf(t, other)}, "email": {"a@example.com"}, "password": {pw}})
		if resp.StatusCode != 403 {
			t.Fatalf("another browser's token: %d", resp.StatusCode)
		}
	})
}

func TestPagesAndAssets(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		c := s.Client()
		for path, want := range map[string]string{
			"/":                   "Log In",
			"/login":              "Log In",
			"/login/unavailable":  "Mobile unavailable, apply to reset",
			"/reset-mobile":       "Reset Mobile Verification",
			"/dev/outbox":         "Dev outbox",
			"/static/app.css":     "--accent",
			"/static/app.js":      "data-open-dialog",
			"/static/favicon.svg": "<svg",
		} {
			resp, body := get(t, c, s.URL+path)
			if resp.StatusCode != 200 || !strings.Contains(body, want) {
				t.Errorf("%s: %d, missing %q", path, resp.StatusCode, want)
			}
		}
		resp, body := get(t, c, s.URL+"/no/such/page")
		if resp.StatusCode != 404 || !strings.Contains(body, "There is no page at this address.") {
			t.Errorf("unknown page: %d", resp.StatusCode)
		}
		resp, _ = get(t, c, s.URL+"/login/verify")
		if resp.Request.URL.Path != "/login" {
			t.Errorf("2FA page without a sign-in went to %s", resp.Request.URL.Path)
		}
		resp, _ = get(t, c, s.URL+"/login")
		if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Error("page without CSP")
		}
		// No page references another origin.
		_, page := get(t, c, s.URL+"/login")
		for _, attr := range regexp.MustCompile(`(?:src|href|action)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
			if strings.Contains(attr[1], "//") {
				t.Errorf("external reference %q", attr[1])
			}
		}
	})
}

func TestProductionHasNoDevOutbox(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		p := apptest.Start(t, apptest.Options{Production: true})
		for _, path := range []string{"/dev/outbox", "/api/v1/dev/outbox"} {
			resp, _ := get(t, p.Client(), p.URL+path)
			if resp.StatusCode != 404 {
				t.Errorf("%s in production: %d", path, resp.StatusCode)
			}
		}
	})
}
