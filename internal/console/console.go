// Package console serves the staff review console: server-rendered pages
// under /staff on the internal listener, on the httphtml kit, with its own
// templates, stylesheet and script embedded, its own cookies (apart from
// the user pages', which a browser would also send to this host on another
// port) and its own form-token key. Its route table is Routes; every page
// but sign-in and enrolment is behind require.
package console

import (
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/admin"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/blob"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/httphtml"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/staff"
	"github.com/rebindhq/rebind/internal/store"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Console serves the staff console.
type Console struct {
	DB    *store.DB
	Clock clock.Clock
	Log   *slog.Logger
	Brand string
	// Staff signs members in and out and manages them.
	Staff *staff.Service
	// Admin lifts freezes, as the admin API does, with the member as actor;
	// Accounts reads the account first.
	Admin    *admin.Service
	Accounts *account.Store
	// CSRFKeys sign the console's form tokens (keys.StaffCSRF).
	CSRFKeys keys.Set
	// URL is where staff reach the console (REBIND_STAFF_URL): enrolment
	// links are built on it, and https makes its cookies Secure and
	// __Host-.
	URL *url.URL

	// Reset claims and decides applications (the rules live there);
	// Evidence lists them for the queue, Blobs opens their pictures, Holds
	// and Audit show the account's holds and record each picture viewed.
	Reset    *reset.Service
	Evidence *evidence.Store
	Blobs    *blob.Store
	Holds    *hold.Store
	Audit    *audit.Log
	// ReviewTarget is how soon applications should be decided
	// (REBIND_REVIEW_TARGET): the queue colours ages against it.
	ReviewTarget time.Duration

	site *httphtml.Site
}

// Routes registers the console on mux (the internal listener's).
func (c *Console) Routes(mux httpjson.Mux) error {
	tmpl, _ := fs.Sub(templateFiles, "templates")
	templates, err := httphtml.Parse(tmpl, funcs)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	c.site = &httphtml.Site{Templates: templates, Log: c.Log, CSRFKeys: c.CSRFKeys, Secure: c.URL.Scheme == "https",
		CookiePrefix: cookiePrefix, View: c.view}
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /staff/static/", http.StripPrefix("/staff/static/", http.FileServerFS(static)))
	handle := func(pattern string, h httphtml.Handler) { mux.Handle(pattern, c.site.Wrap(h)) }
	handle("GET /staff/login", c.loginPage)
	handle("POST /staff/login", c.login)
	handle("POST /staff/logout", c.logout)
	handle("GET "+staff.EnrolPath+"{token}", c.enrolPage)
	handle("POST "+staff.EnrolPath+"{token}", c.enrol)
	handle("GET /staff", c.require(staff.Reviewer, c.queue))
	handle("GET /staff/applications/{id}", c.require(staff.Reviewer, c.application))
	handle("GET /staff/applications/{id}/files/{file_id}", c.require(staff.Reviewer, c.picture))
	handle("POST /staff/applications/{id}/claim", c.require(staff.Reviewer, c.claim))
	handle("POST /staff/applications/{id}/release", c.require(staff.Reviewer, c.release))
	handle("POST /staff/applications/{id}/decision", c.require(staff.Reviewer, c.decide))
	handle("POST /staff/applications/{id}/reassign", c.require(staff.Supervisor, c.reassign))
	handle("POST /staff/applications/{id}/second-approval", c.require(staff.Supervisor, c.secondApproval))
	handle("GET /staff/{$}", func(w http.ResponseWriter, r *http.Request) error { return httphtml.Redirect(w, r, "/staff") })
	handle("GET /staff/members", c.require(staff.Admin, c.members))
	handle("POST /staff/members", c.require(staff.Admin, c.addMember))
	handle("POST /staff/members/{id}/disable", c.require(staff.Admin, c.disableMember))
	handle("POST /staff/accounts/{id}/unfreeze", c.require(staff.Admin, c.unfreeze))
	handle("/staff/", func(w http.ResponseWriter, r *http.Request) error {
		return apperr.New(apperr.NotFound, "There is no page at this address.")
	})
	return nil
}

// require is the console's one gate, in front of every page but sign-in
// and enrolment: h runs only for a member with a live staff session
// (their own cookie; a user's session never passes) whose role is at least
// role. Without one, a GET goes to the sign-in page and anything else is
// 401; a lower role is 403. h reads the member with
// staff.FromContext(r.Context()). To add a page, register it in Routes
// with the least role that may use it.
func (c *Console) require(role staff.Role, h httphtml.Handler) httphtml.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		m, _, err := c.Staff.Current(r.Context(), httphtml.Cookie(r, c.cookie()))
		if apperr.Is(err, apperr.Unauthorized) {
			c.site.ClearCookie(w, c.cookie())
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				return httphtml.Redirect(w, r, "/staff/login")
			}
			return apperr.New(apperr.Unauthorized, "Your staff session has ended. Sign in again.")
		}
		if err != nil {
			return err
		}
		if !m.Role.AtLeast(role) {
			return apperr.New(apperr.Forbidden, "This page is for staff with the "+string(role)+" role or above.")
		}
		return h(w, r.WithContext(staff.WithMember(r.Context(), m)))
	}
}

// cookiePrefix starts the console's cookie names, apart from the user
// pages' rebind_ ones: browsers send a host's cookies to all its ports.
const cookiePrefix = "rebind_staff_"

// CookieName is the name of the staff session cookie: rebind_staff_session,
// or __Host-rebind_staff_session when the console is reached over https.
func CookieName(secure bool) string {
	return (&httphtml.Site{Secure: secure, CookiePrefix: cookiePrefix}).CookieName("session")
}

func (c *Console) cookie() string { return c.site.CookieName("session") }

// view is what every page template receives: the kit's part, and what the
// layout shows.
type view struct {
	httphtml.View
	Brand string
	// Member is the signed-in member on pages behind require.
	Member *staff.Member
}

func (c *Console) view(r *http.Request, v httphtml.View) any {
	out := view{View: v, Brand: c.Brand}
	if m, ok := staff.FromContext(r.Context()); ok {
		out.Member = &m
	}
	return out
}

// Refusal answers every request with err as the console's error page, for
// refusals made before a page's handler runs (a cross-site form post).
func (c *Console) Refusal(err error) http.Handler { return c.site.Refusal(err) }
