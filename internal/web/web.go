// Package web serves the browser pages: server-rendered html/template pages
// with no external assets, a small script for dialogs and countdowns, and
// forms that work without it. Its route table is Routes.
package web

import (
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/change"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/demo"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/httphtml"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/pwreset"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/session"
	"github.com/rebindhq/rebind/internal/signin"
	"github.com/rebindhq/rebind/internal/stoplink"
	"github.com/rebindhq/rebind/internal/store"
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
	Change   *change.Service
	Captcha  captcha.Provider
	Limiter  *ratelimit.Limiter
	CSRFKeys keys.Set
	// Secure means https: cookies get Secure and the __Host- prefix.
	Secure bool
	// Dev adds the dev outbox and demo account pages; Demo serves the
	// latter.
	Dev  bool
	Demo *demo.Desk

	site *httphtml.Site
}

// Routes registers the pages on mux.
func (p *Pages) Routes(mux httpjson.Mux) error {
	tmpl, _ := fs.Sub(templateFiles, "templates")
	templates, err := httphtml.Parse(tmpl, nil)
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	p.site = &httphtml.Site{Templates: templates, Log: p.Log, CSRFKeys: p.CSRFKeys, Secure: p.Secure,
		CookiePrefix: "rebind_", View: p.view}
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	handle := func(pattern string, h httphtml.Handler) { mux.Handle(pattern, p.site.Wrap(h)) }
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
	mux.Handle("POST /reset-mobile/documents/files", p.site.WrapParts(p.uploadBound(), p.documentsUpload))
	handle("POST /reset-mobile/documents/files/{id}/remove", p.documentsRemove)
	mux.Handle("POST /reset-mobile/documents/submit", p.site.WrapParts(p.uploadLimits().MaxBodyBytes(), p.documentsSubmit))
	handle("GET "+reset.StatusPath+"{secret}", p.applicationStatus)
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

// view is what every page template receives: the kit's part, and what
// the layout shows.
type view struct {
	httphtml.View
	Brand   string
	Account *account.Account
	// Dev is true on a dev server, for links to its tools.
	Dev bool
}

func (p *Pages) view(r *http.Request, v httphtml.View) any {
	out := view{View: v, Brand: p.Brand, Dev: p.Dev}
	if _, acc, err := p.current(r); err == nil {
		out.Account = &acc
	}
	return out
}

// Refusal answers every request with err as an error page, for refusals
// made before a page's handler runs (a cross-site form post).
func (p *Pages) Refusal(err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.site.ErrorPage(w, r, err) })
}

// current returns the signed-in user of the session cookie.
func (p *Pages) current(r *http.Request) (session.Session, account.Account, error) {
	return p.SignIn.Current(r.Context(), httphtml.Cookie(r, session.CookieName(p.Secure)))
}
