package httphtml

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/keys"
)

var pages = fstest.MapFS{
	"layout.html": {Data: []byte(`<title>{{.Title}}</title><body data-page="{{.Page}}">{{template "content" .}}` +
		`{{template "foot" .}}</body>`)},
	"_foot.html": {Data: []byte(`{{define "foot"}}<footer>{{.Site}}</footer>{{end}}`)},
	"home.html": {Data: []byte(`{{define "content"}}<form><input name="csrf" value="{{.CSRF}}">` +
		`{{.Data.Name}} at {{utc .Data.At}} {{shout "x"}}</form>{{end}}`)},
	"error.html":  {Data: []byte(`{{define "content"}}<p class="alert">{{.Error}}</p>{{end}}`)},
	"broken.html": {Data: []byte(`{{define "content"}}{{.Data.Missing}}{{end}}`)},
}

// siteView is a surface's view: the kit's part and what its layout adds.
type siteView struct {
	View
	Site string
}

func newSite(t *testing.T, key string, secure bool, log io.Writer) *Site {
	t.Helper()
	ts, err := Parse(pages, template.FuncMap{"shout": strings.ToUpper})
	if err != nil {
		t.Fatal(err)
	}
	return &Site{Templates: ts, Log: slog.New(slog.NewTextHandler(log, nil)), CSRFKeys: keys.Set{[]byte(key)}, Secure: secure,
		CookiePrefix: "test_", View: func(r *http.Request, v View) any { return siteView{View: v, Site: "the site"} }}
}

func TestRenderWithLayout(t *testing.T) {
	s := newSite(t, "k", false, io.Discard)
	w := httptest.NewRecorder()
	data := struct {
		Name string
		At   time.Time
	}{"<Ann>", time.Date(2026, 1, 2, 3, 4, 0, 0, time.FixedZone("x", 3600))}
	if err := s.Render(w, httptest.NewRequest("GET", "/", nil), http.StatusTeapot, "home", "Home", data, ""); err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	for _, want := range []string{`<title>Home</title>`, `data-page="home"`, `&lt;Ann&gt; at 2026-01-02 02:04 UTC X`, `<footer>the site</footer>`} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q in\n%s", want, body)
		}
	}
	if w.Code != http.StatusTeapot || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("status %d, content type %q", w.Code, w.Header().Get("Content-Type"))
	}
	// A template that fails writes nothing, so the error page can follow.
	w = httptest.NewRecorder()
	if err := s.Render(w, httptest.NewRequest("GET", "/", nil), 200, "broken", "", 1, ""); err == nil || w.Body.Len() > 0 || w.Header().Get("Content-Type") != "" {
		t.Errorf("broken page: %v, wrote %q", err, w.Body.String())
	}
	if err := s.Render(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), 200, "layout", "", nil, ""); err == nil {
		t.Error("the layout rendered as a page")
	}
}

// A surface without partials (a small console) parses too.
func TestParseWithoutPartials(t *testing.T) {
	ts, err := Parse(fstest.MapFS{"layout.html": pages["layout.html"], "error.html": pages["error.html"]}, nil)
	if err != nil || len(ts.pages) != 1 || ts.pages["error"] == nil {
		t.Fatalf("%v %v", ts, err)
	}
}

// post is a form post from a browser holding cookies.
func post(form url.Values, cookies ...*http.Cookie) *http.Request {
	r := httptest.NewRequest("POST", "/", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

// issue returns a fresh browser's form token and cookie.
func issue(t *testing.T, s *Site) (string, *http.Cookie) {
	t.Helper()
	w := httptest.NewRecorder()
	tok := s.CSRFToken(w, httptest.NewRequest("GET", "/", nil))
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != "test_csrf" || len(cookies[0].Value) < 40 {
		t.Fatalf("csrf cookie: %+v", cookies)
	}
	return tok, cookies[0]
}

func TestCSRF(t *testing.T) {
	s, other := newSite(t, "key one", false, io.Discard), newSite(t, "key two", false, io.Discard)
	tok, ck := issue(t, s)
	tok2, ck2 := issue(t, s)
	otherKey := other.CSRFToken(httptest.NewRecorder(), post(nil, ck))
	if !s.ValidCSRF(post(url.Values{"csrf": {tok}}, ck)) {
		t.Fatal("the browser's own token refused")
	}
	for name, r := range map[string]*http.Request{
		"no token":                           post(nil, ck),
		"no cookie":                          post(url.Values{"csrf": {tok}}),
		"forged":                             post(url.Values{"csrf": {"forged"}}, ck),
		"not base64":                         post(url.Values{"csrf": {tok + "!"}}, ck),
		"another browser's":                  post(url.Values{"csrf": {tok2}}, ck),
		"another key's":                      post(url.Values{"csrf": {otherKey}}, ck),
		"the token as cookie":                post(url.Values{"csrf": {ck.Value}}, ck),
		"no cookie, the empty nonce's token": post(url.Values{"csrf": {base64.RawURLEncoding.EncodeToString(s.CSRFKeys.MAC(nil))}}),
	} {
		if s.ValidCSRF(r) {
			t.Errorf("%s: accepted", name)
		}
	}
	if !s.ValidCSRF(post(url.Values{"csrf": {tok2}}, ck2)) {
		t.Error("second browser's own token refused")
	}
	// A browser that has the cookie keeps it: the token stays the same.
	w := httptest.NewRecorder()
	if again := s.CSRFToken(w, post(nil, ck)); again != tok || len(w.Result().Cookies()) != 0 {
		t.Errorf("token changed (%v) or cookie set again", again != tok)
	}
}

func TestCookies(t *testing.T) {
	for _, secure := range []bool{false, true} {
		s := newSite(t, "k", secure, io.Discard)
		name := s.CookieName("login")
		if want := map[bool]string{false: "test_login", true: "__Host-test_login"}[secure]; name != want {
			t.Errorf("secure %v: name %q, want %q", secure, name, want)
		}
		w := httptest.NewRecorder()
		s.SetCookie(w, name, "v", 90*time.Second)
		s.ClearCookie(w, name)
		set, cleared := w.Result().Cookies()[0], w.Result().Cookies()[1]
		if set.Value != "v" || set.MaxAge != 90 || set.Path != "/" || set.Domain != "" || !set.HttpOnly ||
			set.Secure != secure || set.SameSite != http.SameSiteLaxMode {
			t.Errorf("secure %v: set %+v", secure, set)
		}
		if cleared.Value != "" || cleared.MaxAge != -1 || cleared.Path != "/" || !cleared.HttpOnly || cleared.Secure != secure {
			t.Errorf("secure %v: cleared %+v", secure, cleared)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(set)
		if Cookie(r, name) != "v" || Cookie(r, "other") != "" {
			t.Errorf("secure %v: reading cookies", secure)
		}
	}
}

func TestErrorPage(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		shown  string
		logged bool
	}{
		{apperr.New(apperr.InvalidRequest, "the query holds a NUL"), 400, "The query holds a NUL.", false},
		{apperr.New(apperr.InvalidCredentials, "wrong"), 401, "Wrong.", false},
		{apperr.New(apperr.Forbidden, "Refused."), 403, "Refused.", false},
		{apperr.New(apperr.NotFound, "There is no page at this address."), 404, "There is no page at this address.", false},
		{fmt.Errorf("step: %w", apperr.New(apperr.FlowExpired, "expired")), 410, "Expired.", false},
		{apperr.New(apperr.InvalidCode, "wrong code"), 422, "Wrong code.", false},
		{apperr.New(apperr.RateLimited, "slow down"), 429, "Slow down.", false},
		{apperr.New(apperr.Unavailable, "later"), 503, "Later.", true},
		{errors.New("database is on fire"), 500, "Internal error.", true},
		// A read that forgot to translate PostgreSQL shutting down.
		{fmt.Errorf("read: %w", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}), 503, "The database is unavailable.", true},
	} {
		var log bytes.Buffer
		s := newSite(t, "k", false, &log)
		w := httptest.NewRecorder()
		s.ErrorPage(w, httptest.NewRequest("GET", "/x", nil), c.err)
		body := w.Body.String()
		if w.Code != c.status || !strings.Contains(body, `<p class="alert">`+c.shown+`</p>`) || !strings.Contains(body, `data-page="error"`) {
			t.Errorf("%v: %d\n%s", c.err, w.Code, body)
		}
		if strings.Contains(body, "fire") {
			t.Errorf("%v: the cause is shown", c.err)
		}
		if logged := strings.Contains(log.String(), "page failed"); logged != c.logged {
			t.Errorf("%v: logged %v\n%s", c.err, logged, log.String())
		}
	}
}

func TestWrap(t *testing.T) {
	s := newSite(t, "k", false, io.Discard)
	tok, ck := issue(t, s)
	h := s.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		if r.FormValue("fail") != "" {
			return apperr.New(apperr.Conflict, "already done")
		}
		return Redirect(w, r, "/next")
	})
	for _, c := range []struct {
		name   string
		r      *http.Request
		status int
		shown  string
	}{
		{"form with its token", post(url.Values{"csrf": {tok}}, ck), 303, ""},
		{"form without", post(url.Values{"csrf": {"x"}}, ck), 403, "This form has expired."},
		{"handler's error", post(url.Values{"csrf": {tok}, "fail": {"1"}}, ck), 409, "Already done."},
		{"NUL in a field", post(url.Values{"csrf": {tok}, "email": {"a\x00"}}, ck), 400, `Field &#34;email&#34; holds a NUL`},
		{"NUL in the query", httptest.NewRequest("GET", "/?q=%00", nil), 400, `Field &#34;q&#34; holds a NUL`},
		{"a GET needs no token", httptest.NewRequest("GET", "/", nil), 303, ""},
		// Every page form's body is bounded, before its token or fields
		// are read (the sign-in form once read whatever it was sent).
		{"form over the bound", post(url.Values{"csrf": {tok}, "email": {strings.Repeat("a", DefaultMaxForm)}}, ck), 413,
			"This form is too large to send."},
		{"form at the bound", post(url.Values{"csrf": {tok}, "e": {strings.Repeat("a", DefaultMaxForm-len("csrf=&e=")-len(url.QueryEscape(tok)))}}, ck),
			303, ""},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, c.r)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.shown) {
			t.Errorf("%s: %d\n%s", c.name, w.Code, w.Body.String())
		}
	}
	w := httptest.NewRecorder()
	s.Refusal(apperr.New(apperr.Forbidden, "From another site.")).ServeHTTP(w, httptest.NewRequest("POST", "/", nil))
	if w.Code != 403 || !strings.Contains(w.Body.String(), "From another site.") {
		t.Errorf("refusal: %d %s", w.Code, w.Body.String())
	}
}

func TestSentence(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"wrong code":       "Wrong code.",
		"Done.":            "Done.",
		"try again later?": "Try again later?",
	} {
		if got := Sentence(in); got != want {
			t.Errorf("Sentence(%q) = %q, want %q", in, got, want)
		}
	}
}
