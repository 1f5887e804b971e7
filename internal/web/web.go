// Package web serves the browser pages: server-rendered html/template pages
// with no external assets, a small script for dialogs and countdowns, and
// forms that work without it. Its route table is Routes.
package web

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/demo"
	"github.com/rebindhq/rebind/internal/flow/change"
	"github.com/rebindhq/rebind/internal/flow/pwreset"
	"github.com/rebindhq/rebind/internal/flow/reset"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/session"
	"github.com/rebindhq/rebind/internal/signin"
	"github.com/rebindhq/rebind/internal/stoplink"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Pages serves the browser pages.
type Pages struct {
	DB      *store.DB
	Clock   clock.Clock
	Log     *slog.Logger
	Brand   string
	SignIn  *signin.Service
	Holds   *hold.Store
	Reset   *reset.Service
	PwReset *pwreset.Service
	Stop    *stoplink.Service
	Quiz    *quiz.Service
	// Change runs the change and bind mobile pages; Captcha draws and
	// judges their slider puzzle; Limiter bounds how many puzzles one
	// address may have drawn.
	Change  *change.Service
	Captcha captcha.Provider
	Limiter *ratelimit.Limiter
	CSRFKey []byte
	// Secure means https: cookies get Secure and the __Host- prefix.
	Secure bool
	// Dev adds the dev outbox and demo account pages; Demo serves the
	// latter.
	Dev  bool
	Demo *demo.Desk

	pages map[string]*template.Template
}

// Handler is a page handler that returns its error.
type Handler func(w http.ResponseWriter, r *http.Request) error

// Routes registers the pages on mux.
func (p *Pages) Routes(mux httpjson.Mux) error {
	if err := p.parse(); err != nil {
		return err
	}
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	handle := func(pattern string, h Handler) { mux.Handle(pattern, p.wrap(h)) }
	handle("GET /{$}", p.home)
	handle("GET /login", p.loginPage)
	handle("POST /login", p.login)
	handle("GET /login/verify", p.verifyPage)
	handle("POST /login/verify", p.verify)
	handle("POST /login/code", p.resend)
	handle("GET /login/unavailable", p.unavailablePage)
	handle("POST /logout", p.logout)
	handle("GET /settings", p.settings)
	handle("GET /settings/mobile", p.mobilePage)
	handle("POST /settings/mobile/start", p.mobileStart)
	handle("POST /settings/mobile/email-code", p.mobileEmailCode)
	handle("POST /settings/mobile/sms-code", p.mobileSMSCode)
	handle("POST /settings/mobile/verify", p.mobileVerify)
	handle("GET /settings/mobile/number", p.mobileNumberPage)
	handle("POST /settings/mobile/number", p.mobileNumber)
	handle("GET /settings/mobile/check", p.mobileCheck)
	handle("GET /settings/mobile/puzzle", p.mobilePuzzlePage)
	handle("POST /settings/mobile/puzzle", p.mobilePuzzle)
	handle("POST /settings/mobile/no-puzzle", p.mobileNoPuzzle)
	handle("POST /settings/mobile/confirm", p.mobileConfirm)
	handle("POST /settings/mobile/cancel", p.mobileCancel)
	handle("GET /reset-mobile", p.resetMobilePage)
	handle("POST /reset-mobile/agree", p.resetAgree)
	handle("POST /reset-mobile/start", p.resetStart)
	handle("POST /reset-mobile/code", p.resetResend)
	handle("POST /reset-mobile/verify", p.resetVerify)
	handle("POST /reset-mobile/quiz", p.resetQuiz)
	handle("POST /reset-mobile/answers", p.resetAnswers)
	handle("POST /reset-mobile/cancel", p.resetCancel)
	handle("GET /reset-mobile/documents", p.resetDocuments)
	handle("GET /password-reset", p.pwResetPage)
	handle("POST /password-reset", p.pwResetStart)
	handle("GET /password-reset/confirm", p.pwResetConfirmPage)
	handle("POST /password-reset/code", p.pwResetResend)
	handle("POST /password-reset/confirm", p.pwResetConfirm)
	handle("GET /password-reset/done", p.pwResetDone)
	handle("GET /stop", p.stopPage)
	handle("POST /stop", p.stop)
	if p.Dev {
		handle("GET /dev/outbox", p.devOutbox)
		handle("GET /dev/accounts", p.devAccounts)
		handle("POST /dev/accounts/{id}/renew", p.devRenew)
	}
	handle("/", func(w http.ResponseWriter, r *http.Request) error {
		return apperr.New(apperr.NotFound, "There is no page at this address.")
	})
	return nil
}

var funcs = template.FuncMap{
	"utc":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"unix": func(t time.Time) int64 { return t.Unix() },
}

func (p *Pages) parse() error {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return err
	}
	p.pages = make(map[string]*template.Template)
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue // the layout and partials (_name.html) go into every page
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/_*.html", name)
		if err != nil {
			return fmt.Errorf("web: template %s: %w", name, err)
		}
		p.pages[base] = t
	}
	return nil
}

// view is what every page template receives.
type view struct {
	// Page is the template's name, set on <body data-page> so scripts and
	// tests know which page they are on.
	Page    string
	Brand   string
	Title   string
	CSRF    string
	Account *account.Account
	Data    any
	Error   string
	// Dev is true on a dev server, for links to its tools.
	Dev bool
}

// render writes page name with data.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, errMsg string) error {
	t, ok := p.pages[name]
	if !ok {
		return fmt.Errorf("web: no page %q", name)
	}
	v := view{Page: name, Brand: p.Brand, Title: title, CSRF: p.csrfToken(w, r), Data: data, Error: sentence(errMsg), Dev: p.Dev}
	if _, acc, err := p.current(r); err == nil {
		v.Account = &acc
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// wrap checks the form token of every state-changing request, refuses a
// form, query or address holding a NUL or invalid UTF-8 (which no field
// takes, and PostgreSQL cannot store), and renders a returned error as an
// error page.
func (p *Pages) wrap(h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		if r.Method == http.MethodPost && !p.validCSRF(r) {
			err = apperr.New(apperr.Forbidden, "This form has expired. Go back, reload the page and try again.")
		} else if err = httpjson.CheckText(r); err == nil {
			err = h(w, r)
		}
		if err != nil {
			p.errorPage(w, r, err)
		}
	})
}

// Refusal answers every request with err as an error page, for refusals
// made before a page's handler runs (a cross-site form post).
func (p *Pages) Refusal(err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.errorPage(w, r, err) })
}

func (p *Pages) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	if e.Code.Status() >= 500 {
		p.Log.Error("page failed", "request_id", client.From(r.Context()).RequestID, "err", err)
	}
	if rerr := p.render(w, r, e.Code.Status(), "error", "Something went wrong", nil, e.Message); rerr != nil {
		p.Log.Error("render error page", "err", rerr)
	}
}

// Cookie names. Outside dev the __Host- prefix pins them to this origin.
func (p *Pages) cookieName(name string) string {
	if p.Secure {
		return "__Host-rebind_" + name
	}
	return "rebind_" + name
}

func (p *Pages) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: p.Secure, SameSite: http.SameSiteLaxMode})
}

func (p *Pages) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: p.Secure, SameSite: http.SameSiteLaxMode})
}

func (p *Pages) cookie(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

// csrfToken returns the form token for this browser, setting the random
// cookie it is derived from when missing. Forms send the token back; the
// cookie alone is not enough, and another site can read neither.
func (p *Pages) csrfToken(w http.ResponseWriter, r *http.Request) string {
	nonce := p.cookie(r, p.cookieName("csrf"))
	if nonce == "" || len(nonce) > 64 {
		nonce = token.NewSecret()
		p.setCookie(w, p.cookieName("csrf"), nonce, 0)
		r.AddCookie(&http.Cookie{Name: p.cookieName("csrf"), Value: nonce})
	}
	m := hmac.New(sha256.New, p.CSRFKey)
	m.Write([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (p *Pages) validCSRF(r *http.Request) bool {
	nonce := p.cookie(r, p.cookieName("csrf"))
	if nonce == "" {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(r.PostFormValue("csrf"))
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, p.CSRFKey)
	m.Write([]byte(nonce))
	return hmac.Equal(got, m.Sum(nil))
}

// current returns the signed-in user of the session cookie.
func (p *Pages) current(r *http.Request) (session.Session, account.Account, error) {
	return p.SignIn.Current(r.Context(), p.cookie(r, session.CookieName(p.Secure)))
}

// redirect sends the browser to path with 303 See Other.
func redirect(w http.ResponseWriter, r *http.Request, path string) error {
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

// sentence writes an error message as a sentence for a page: the API's
// messages start in lower case and have no full stop.
func sentence(msg string) string {
	if msg == "" {
		return ""
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") {
		msg += "."
	}
	return msg
}
