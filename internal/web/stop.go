package web

import (
	"net/http"
	"net/url"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/httphtml"
)

// The "This wasn't me" pages (SPEC §3.2.1). GET only reads: mail scanners
// and link previews fetch links, so the freeze happens on the POST of the
// page's button only.

const stopTitle = "This wasn't me"

// stopEvents describes, for the page, what each link's message was about.
var stopEvents = map[string]string{
	"mobile_reset_requested":   "a reset of the mobile verification of your account was started",
	"mobile_reset_quiz_failed": "someone answered the security questions of a mobile reset wrongly",
	"mobile_reset":             "the mobile verification of your account was reset",
	"password_reset":           "the password of your account was changed",
}

type stopPage struct {
	Token string
	What  string
}

func (p *Pages) stopPage(w http.ResponseWriter, r *http.Request) error {
	tok := r.URL.Query().Get("t")
	l, err := p.Stop.Check(r.Context(), tok)
	if apperr.Is(err, apperr.NotFound) {
		return p.site.Render(w, r, http.StatusNotFound, "stop_invalid", stopTitle, nil, "")
	}
	if err != nil {
		return err
	}
	if l.Used {
		return p.site.Render(w, r, http.StatusOK, "stop_done", stopTitle, nil, "")
	}
	what, ok := stopEvents[l.Event]
	if !ok {
		what = "a security setting of your account was changed"
	}
	return p.site.Render(w, r, http.StatusOK, "stop", stopTitle, stopPage{Token: tok, What: what}, "")
}

func (p *Pages) stop(w http.ResponseWriter, r *http.Request) error {
	tok := r.PostFormValue("t")
	_, err := p.Stop.Use(r.Context(), tok)
	if apperr.Is(err, apperr.NotFound) {
		return p.site.Render(w, r, http.StatusNotFound, "stop_invalid", stopTitle, nil, "")
	}
	if err != nil {
		return err
	}
	// The link now reads as used, which its page shows as the confirmation.
	return httphtml.Redirect(w, r, "/stop?"+url.Values{"t": {tok}}.Encode())
}
