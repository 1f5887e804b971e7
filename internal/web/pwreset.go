package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/httphtml"
	"github.com/rebindhq/rebind/internal/pwreset"
)

// The password reset pages (SPEC §3.4). An email without an account goes
// through exactly the same pages: pwreset.Service gives it a flow and a
// code slot that nobody was sent, so nothing here may branch on it.

const pwTitle = "Reset password"

func (p *Pages) pwCookie() string { return p.site.CookieName("pwreset") }

// pwPage is what the password reset templates receive.
type pwPage struct {
	Email    string
	ResendAt time.Time
	Hold     string
}

func (p *Pages) pwResetPage(w http.ResponseWriter, r *http.Request) error {
	return p.site.Render(w, r, http.StatusOK, "password_reset", pwTitle, pwPage{}, "")
}

func (p *Pages) pwResetStart(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	if email == "" {
		return p.site.Render(w, r, http.StatusBadRequest, "password_reset", pwTitle, pwPage{}, "Enter the email of your account.")
	}
	id, err := p.PwReset.Start(r.Context(), email)
	if err != nil {
		e := apperr.As(err)
		var msg string
		switch e.Code {
		case apperr.InvalidRequest:
			msg = e.Message
		case apperr.RateLimited:
			msg = waitMessage("Too many password resets were asked for.", e)
		default:
			return err
		}
		return p.site.Render(w, r, e.Code.Status(), "password_reset", pwTitle, pwPage{Email: email}, msg)
	}
	p.site.SetCookie(w, p.pwCookie(), id, pwreset.Machine.Lifetime)
	return httphtml.Redirect(w, r, "/password-reset/confirm")
}

func (p *Pages) pwResetConfirmPage(w http.ResponseWriter, r *http.Request) error {
	if httphtml.Cookie(r, p.pwCookie()) == "" {
		return httphtml.Redirect(w, r, "/password-reset")
	}
	return p.renderPwConfirm(w, r, http.StatusOK, "")
}

// renderPwConfirm shows the code and new password form, with the resend
// countdown.
func (p *Pages) renderPwConfirm(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	v, err := p.PwReset.Status(r.Context(), httphtml.Cookie(r, p.pwCookie()))
	if err != nil {
		return err
	}
	return p.site.Render(w, r, status, "password_reset_confirm", pwTitle, pwPage{ResendAt: v.ResendAt}, msg)
}

func (p *Pages) pwResetResend(w http.ResponseWriter, r *http.Request) error {
	id := httphtml.Cookie(r, p.pwCookie())
	if id == "" {
		return httphtml.Redirect(w, r, "/password-reset")
	}
	if err := p.PwReset.Resend(r.Context(), id); err != nil {
		return p.pwRefused(w, r, err)
	}
	return httphtml.Redirect(w, r, "/password-reset/confirm")
}

func (p *Pages) pwResetConfirm(w http.ResponseWriter, r *http.Request) error {
	id := httphtml.Cookie(r, p.pwCookie())
	if id == "" {
		return httphtml.Redirect(w, r, "/password-reset")
	}
	entered, pw := strings.TrimSpace(r.PostFormValue("code")), r.PostFormValue("password")
	switch {
	case entered == "" || pw == "":
		return p.renderPwConfirm(w, r, http.StatusBadRequest, "Enter the code and your new password.")
	case pw != r.PostFormValue("repeat"):
		return p.renderPwConfirm(w, r, http.StatusBadRequest, "The two new passwords are not the same.")
	}
	err := p.PwReset.Confirm(r.Context(), id, entered, pw)
	if apperr.Is(err, apperr.WrongState) {
		err = nil // only a completed reset is in another state: a second click
	}
	if err != nil {
		return p.pwRefused(w, r, err)
	}
	p.site.ClearCookie(w, p.pwCookie())
	return httphtml.Redirect(w, r, "/password-reset/done")
}

// pwRefused shows why a step was refused.
func (p *Pages) pwRefused(w http.ResponseWriter, r *http.Request, err error) error {
	e := apperr.As(err)
	var msg string
	switch e.Code {
	case apperr.FlowExpired, apperr.NotFound:
		p.site.ClearCookie(w, p.pwCookie())
		return p.site.Render(w, r, http.StatusGone, "password_reset", pwTitle, pwPage{}, "This password reset has expired. Start again.")
	case apperr.InvalidCode:
		msg = codeMessage(e)
	case apperr.CodeExpired:
		msg = "This code can no longer be used. Get a new code."
	case apperr.RateLimited:
		msg = waitMessage("A code was sent a moment ago.", e)
	case apperr.InvalidRequest, apperr.WrongState:
		msg = e.Message
	default:
		return err
	}
	return p.renderPwConfirm(w, r, e.Code.Status(), msg)
}

func (p *Pages) pwResetDone(w http.ResponseWriter, r *http.Request) error {
	return p.site.Render(w, r, http.StatusOK, "password_reset_done", pwTitle, pwPage{Hold: span(p.PwReset.Hold)}, "")
}
