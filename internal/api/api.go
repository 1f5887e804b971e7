// Package api is the JSON API for apps (SPEC §5): sign-in, the account, and
// the flows. Its route table is Routes. Callers authenticate with a bearer
// token from sign-in, or with the pages' session cookie.
package api

import (
	"net/http"
	"strconv"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/change"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/credential"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/pwreset"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/session"
	"github.com/rebindhq/rebind/internal/signin"
	"github.com/rebindhq/rebind/internal/stoplink"
	"github.com/rebindhq/rebind/internal/store"
)

// API serves the user JSON API.
type API struct {
	DB         *store.DB
	Clock      clock.Clock
	SignIn     *signin.Service
	Holds      *hold.Store
	Reset      *reset.Service
	PwReset    *pwreset.Service
	Stop       *stoplink.Service
	Change     *change.Service
	Captcha    captcha.Provider
	Limiter    *ratelimit.Limiter
	CookieName string
	// Dev adds the dev outbox.
	Dev bool
}

// Routes registers the API on mux.
func (a *API) Routes(mux httpjson.Mux, ad httpjson.Adapter) {
	handle := func(pattern string, h httpjson.Handler) { mux.Handle(pattern, ad.Wrap(h)) }
	handle("POST /api/v1/sessions", a.startSignIn)
	handle("POST /api/v1/sessions/{login_id}/code", a.resendSignInCode)
	handle("POST /api/v1/sessions/{login_id}/verify", a.verifySignIn)
	handle("GET /api/v1/sessions/current", a.currentSession)
	handle("DELETE /api/v1/sessions/current", a.signOut)
	handle("GET /api/v1/account", a.account)
	handle("POST /api/v1/mobile-reset", a.startReset)
	handle("GET /api/v1/mobile-reset/{flow_id}", a.resetStatus)
	handle("POST /api/v1/mobile-reset/{flow_id}/email-code", a.resendResetCode)
	handle("POST /api/v1/mobile-reset/{flow_id}/email-code/verify", a.verifyResetCode)
	handle("POST /api/v1/mobile-reset/{flow_id}/quiz", a.startQuiz)
	handle("POST /api/v1/mobile-reset/{flow_id}/quiz/{quiz_id}/answers", a.answerQuiz)
	handle("GET /api/v1/mobile-reset/{flow_id}/documents", a.documents)
	handle("POST /api/v1/mobile-reset/{flow_id}/documents", a.submitDocuments)
	handle("POST /api/v1/mobile-reset/{flow_id}/documents/files", a.uploadFile)
	handle("DELETE /api/v1/mobile-reset/{flow_id}/documents/files/{file_id}", a.removeFile)
	handle("GET /api/v1/application-status/{secret}", a.applicationStatus)
	handle("POST /api/v1/password-reset", a.startPasswordReset)
	handle("POST /api/v1/password-reset/{flow_id}/code", a.resendPasswordResetCode)
	handle("POST /api/v1/password-reset/{flow_id}/confirm", a.confirmPasswordReset)
	handle("POST /api/v1/security/stop", a.stop)
	a.changeRoutes(handle, flow.MobileChange)
	handle("POST /api/v1/mobile-change/{flow_id}/sms-code", a.sendChangeSMS)
	a.changeRoutes(handle, flow.MobileBind)
	handle("POST /api/v1/captcha", a.newCaptcha)
	handle("POST /api/v1/captcha/{captcha_id}", a.solveCaptcha)
	if a.Dev {
		handle("GET /api/v1/dev/outbox", a.devOutbox)
	}
	handle("/api/", func(w http.ResponseWriter, r *http.Request) error {
		return apperr.New(apperr.NotFound, "no such endpoint")
	})
}

// token returns the caller's session token: the bearer header, else the
// session cookie.
func (a *API) token(r *http.Request) string {
	if t := httpjson.BearerToken(r); t != "" {
		return t
	}
	if c, err := r.Cookie(a.CookieName); err == nil {
		return c.Value
	}
	return ""
}

// current returns the signed-in caller.
func (a *API) current(r *http.Request) (session.Session, account.Account, error) {
	return a.SignIn.Current(r.Context(), a.token(r))
}

func (a *API) startSignIn(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.Email == "":
		return httpjson.Missing("email")
	case req.Password == "":
		return httpjson.Missing("password")
	}
	p, err := a.SignIn.Start(r.Context(), credential.Credentials{Email: req.Email, Password: req.Password, Device: r.Header.Get(credential.DeviceHeader)})
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, map[string]any{
		"status": "second_factor_required", "login_id": p.LoginID, "method": p.Method,
		"sent_to": p.SentTo, "resend_after_seconds": a.until(p.ResendAt),
	})
	return nil
}

func (a *API) resendSignInCode(w http.ResponseWriter, r *http.Request) error {
	p, err := a.SignIn.Resend(r.Context(), r.PathValue("login_id"))
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusAccepted, map[string]any{"sent_to": p.SentTo, "resend_after_seconds": a.until(p.ResendAt)})
	return nil
}

func (a *API) verifySignIn(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	if req.Code == "" {
		return httpjson.Missing("code")
	}
	s, err := a.SignIn.Verify(r.Context(), r.PathValue("login_id"), req.Code, a.token(r))
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"token": s.Token, "expires_at": s.ExpiresAt,
		"device_token": s.Device})
	return nil
}

func (a *API) currentSession(w http.ResponseWriter, r *http.Request) error {
	s, _, err := a.current(r)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"account_id": s.AccountID, "expires_at": a.SignIn.EndsAt(s)})
	return nil
}

func (a *API) signOut(w http.ResponseWriter, r *http.Request) error {
	if err := a.SignIn.SignOut(r.Context(), a.token(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) account(w http.ResponseWriter, r *http.Request) error {
	_, acc, err := a.current(r)
	if err != nil {
		return err
	}
	holds, err := a.Holds.Active(r.Context(), a.DB, acc.ID)
	if err != nil {
		return err
	}
	var mobile any
	if acc.Mobile != "" {
		mobile = acc.MaskedMobile()
	}
	httpjson.Write(w, http.StatusOK, map[string]any{
		"email": acc.Email, "mobile": mobile, "mobile_verification": acc.MobileVerification,
		"rebind_required": acc.RebindRequired, "holds": holds,
	})
	return nil
}

func (a *API) devOutbox(w http.ResponseWriter, r *http.Request) error {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	msgs, err := outbox.DevMessages(r.Context(), a.DB, r.URL.Query().Get("to"), limit)
	if err != nil {
		return err
	}
	if msgs == nil {
		msgs = []outbox.DevMessage{}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"messages": msgs})
	return nil
}
