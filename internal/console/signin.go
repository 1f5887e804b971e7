package console

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/httphtml"
	"github.com/rebindhq/rebind/internal/staff"
)

type loginForm struct {
	Email string
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := c.Staff.Current(r.Context(), httphtml.Cookie(r, c.cookie())); err == nil {
		return httphtml.Redirect(w, r, "/staff")
	}
	return c.site.Render(w, r, http.StatusOK, "login", "Staff sign-in", loginForm{}, "")
}

// login takes email, password and code in one form, so a refusal never
// says which of them was wrong.
func (c *Console) login(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	in, err := c.Staff.SignIn(r.Context(), staff.Attempt{Email: email, Password: r.PostFormValue("password"),
		Code: r.PostFormValue("code"), Previous: httphtml.Cookie(r, c.cookie()), UserAgent: r.UserAgent()})
	if err != nil {
		e := apperr.As(err)
		if e.Code.Status() >= 500 {
			return err
		}
		return c.site.Render(w, r, e.Code.Status(), "login", "Staff sign-in", loginForm{Email: email}, e.Message)
	}
	// No Max-Age: the cookie ends with the browser, the session on the
	// server after 15 idle minutes or 8 hours.
	c.site.SetCookie(w, c.cookie(), in.Token, 0)
	return httphtml.Redirect(w, r, "/staff")
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) error {
	if err := c.Staff.SignOut(r.Context(), httphtml.Cookie(r, c.cookie())); err != nil {
		return err
	}
	c.site.ClearCookie(w, c.cookie())
	return httphtml.Redirect(w, r, "/staff/login")
}

// enrolView is the enrolment page: whose link it is and the key to scan.
type enrolView struct {
	Enrolment staff.Enrolment
	// QR is the key's QR code as a data: URL, which html/template would
	// otherwise refuse in src; it is a PNG the server drew.
	QR template.URL
	// Groups is the secret in groups of four, easier to type.
	Groups []string
}

func (c *Console) enrolPage(w http.ResponseWriter, r *http.Request) error {
	return c.renderEnrol(w, r, http.StatusOK, "")
}

func (c *Console) renderEnrol(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	e, err := c.Staff.Enrolment(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	var groups []string
	for s := e.Key.Secret; s != ""; {
		n := min(4, len(s))
		groups, s = append(groups, s[:n]), s[n:]
	}
	return c.site.Render(w, r, status, "enrol", "Set up your staff account", enrolView{Enrolment: e, QR: template.URL(e.Key.QR), Groups: groups}, msg)
}

// enrol sets the password and checks the first code; a refusal shows the
// same page (and QR code) again with what to fix.
func (c *Console) enrol(w http.ResponseWriter, r *http.Request) error {
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("confirm") {
		return c.renderEnrol(w, r, http.StatusBadRequest, "The two passwords are not the same.")
	}
	in, err := c.Staff.Enrol(r.Context(), r.PathValue("token"), pw, strings.TrimSpace(r.PostFormValue("code")), r.UserAgent())
	if err != nil {
		if e := apperr.As(err); e.Code == apperr.InvalidRequest || e.Code == apperr.InvalidCode {
			return c.renderEnrol(w, r, e.Code.Status(), e.Message)
		}
		return err
	}
	c.site.SetCookie(w, c.cookie(), in.Token, 0)
	return httphtml.Redirect(w, r, "/staff")
}
