package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/credential"
	"github.com/rebindhq/rebind/internal/httphtml"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/session"
	"github.com/rebindhq/rebind/internal/signin"
)

func (p *Pages) home(w http.ResponseWriter, r *http.Request) error {
	_, acc, err := p.current(r)
	if err != nil {
		return p.site.Render(w, r, http.StatusOK, "home", "Welcome", nil, "")
	}
	holds, err := p.Holds.Active(r.Context(), p.DB, acc.ID)
	if err != nil {
		return err
	}
	return p.site.Render(w, r, http.StatusOK, "account", "Account", map[string]any{"Holds": holds}, "")
}

type loginForm struct {
	Email string
}

func (p *Pages) loginPage(w http.ResponseWriter, r *http.Request) error {
	return p.site.Render(w, r, http.StatusOK, "login", "Log In", loginForm{}, "")
}

func (p *Pages) login(w http.ResponseWriter, r *http.Request) error {
	email, pw := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")
	if email == "" || pw == "" {
		return p.site.Render(w, r, http.StatusBadRequest, "login", "Log In", loginForm{Email: email}, "Enter your email and password.")
	}
	pending, err := p.SignIn.Start(r.Context(), p.credentials(r, email, pw))
	if err != nil && pending.LoginID != "" {
		// The password was right but no code could be sent: the
		// second-factor page says when to ask again and offers the way
		// out for a phone that is not at hand.
		p.site.SetCookie(w, p.site.CookieName("login"), pending.LoginID, signin.Machine.Lifetime)
		return p.renderVerify(w, r, apperr.As(err).Code.Status(), pending, apperr.As(err).Message)
	}
	if err != nil {
		e := apperr.As(err)
		if e.Code.Status() >= 500 {
			return err
		}
		return p.site.Render(w, r, e.Code.Status(), "login", "Log In", loginForm{Email: email}, e.Message)
	}
	p.site.SetCookie(w, p.site.CookieName("login"), pending.LoginID, signin.Machine.Lifetime)
	return httphtml.Redirect(w, r, "/login/verify")
}

// credentials are what the sign-in and reset forms present, with this
// browser's device token.
func (p *Pages) credentials(r *http.Request, email, pw string) credential.Credentials {
	return credential.Credentials{Email: email, Password: pw, Device: httphtml.Cookie(r, credential.DeviceCookieName(p.Secure))}
}

// verifyView is the second-factor page.
type verifyView struct {
	Pending signin.Pending
	SMS     bool
}

func (p *Pages) pending(r *http.Request) (signin.Pending, error) {
	id := httphtml.Cookie(r, p.site.CookieName("login"))
	if id == "" {
		return signin.Pending{}, apperr.New(apperr.NotFound, "no sign-in in progress")
	}
	return p.SignIn.Status(r.Context(), id)
}

func (p *Pages) verifyPage(w http.ResponseWriter, r *http.Request) error {
	pending, err := p.pending(r)
	if err != nil {
		return httphtml.Redirect(w, r, "/login")
	}
	return p.renderVerify(w, r, http.StatusOK, pending, "")
}

func (p *Pages) renderVerify(w http.ResponseWriter, r *http.Request, status int, pending signin.Pending, msg string) error {
	return p.site.Render(w, r, status, "login_verify", "Security verification",
		verifyView{Pending: pending, SMS: pending.Method == string(outbox.SMS)}, msg)
}

func (p *Pages) verify(w http.ResponseWriter, r *http.Request) error {
	pending, err := p.pending(r)
	if err != nil {
		return httphtml.Redirect(w, r, "/login")
	}
	entered := strings.TrimSpace(r.PostFormValue("code"))
	if entered == "" {
		return p.renderVerify(w, r, http.StatusBadRequest, pending, "Enter the 6-digit code.")
	}
	signed, err := p.SignIn.Verify(r.Context(), pending.LoginID, entered, httphtml.Cookie(r, session.CookieName(p.Secure)))
	if err != nil {
		e := apperr.As(err)
		switch e.Code {
		case apperr.InvalidCode:
			return p.renderVerify(w, r, e.Code.Status(), pending, codeMessage(e))
		case apperr.CodeExpired:
			return p.renderVerify(w, r, e.Code.Status(), pending, "This code can no longer be used. Get a new code.")
		}
		return err
	}
	p.site.ClearCookie(w, p.site.CookieName("login"))
	p.site.SetCookie(w, session.CookieName(p.Secure), signed.Token, time.Until(signed.Session.ExpiresAt))
	p.site.SetCookie(w, credential.DeviceCookieName(p.Secure), signed.Device, credential.DeviceLifetime)
	return httphtml.Redirect(w, r, "/")
}

func codeMessage(e *apperr.Error) string {
	if left, ok := e.Fields["attempts_left"].(int); ok && left > 0 {
		return "The code is not right. Attempts left: " + strconv.Itoa(left) + "."
	}
	return "The code is not right. Get a new code."
}

func (p *Pages) resend(w http.ResponseWriter, r *http.Request) error {
	pending, err := p.pending(r)
	if err != nil {
		return httphtml.Redirect(w, r, "/login")
	}
	fresh, err := p.SignIn.Resend(r.Context(), pending.LoginID)
	if err != nil {
		e := apperr.As(err)
		if e.Code == apperr.RateLimited {
			pending.ResendAt = p.Clock.Now().Add(apperr.RetryIn(err))
		}
		if e.Code == apperr.RateLimited || e.Code == apperr.WrongState {
			return p.renderVerify(w, r, e.Code.Status(), pending, e.Message)
		}
		return err
	}
	return p.renderVerify(w, r, http.StatusOK, fresh, "")
}

func (p *Pages) unavailablePage(w http.ResponseWriter, r *http.Request) error {
	return p.site.Render(w, r, http.StatusOK, "login_unavailable", "Security authentication unavailable?", nil, "")
}

func (p *Pages) logout(w http.ResponseWriter, r *http.Request) error {
	if tok := httphtml.Cookie(r, session.CookieName(p.Secure)); tok != "" {
		if err := p.SignIn.SignOut(r.Context(), tok); err != nil && !apperr.Is(err, apperr.Unauthorized) {
			return err
		}
	}
	p.site.ClearCookie(w, session.CookieName(p.Secure))
	return httphtml.Redirect(w, r, "/login")
}

func (p *Pages) settings(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := p.current(r); err != nil {
		return httphtml.Redirect(w, r, "/login")
	}
	return p.site.Render(w, r, http.StatusOK, "settings", "Settings", nil, "")
}
