package web

import (
	"net/http"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/reset"
)

// An application's status is shown in two places: on the reset's own page
// while the browser holds the reset, and at the status link
// (reset.StatusPath + its secret) that was shown there and emailed, which
// works anywhere and for as long as the application is kept.

const statusTitle = "Application status"

// applicationView is what the status templates receive.
type applicationView struct {
	resetPage
	App evidence.Application
	// Shown is the state to show (an application past its deadline reads
	// as expired before the janitor ends it); Reason is a rejection's
	// reason in words.
	Shown      evidence.State
	Reason     string
	StatusLink string
	ReviewTime string
}

func (p *Pages) applicationData(v reset.View, app evidence.Application) applicationView {
	return applicationView{resetPage: p.resetData(v), App: app, Shown: app.Shown(p.Clock.Now()), Reason: evidence.Reasons[app.Reason],
		StatusLink: p.Reset.StatusLink(app.ID), ReviewTime: p.Reset.Review.Time}
}

// applicationStatus is the page of a status link. The secret is in the
// address, so the page is never cached and never sent on as a referrer.
func (p *Pages) applicationStatus(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	app, err := p.Reset.ApplicationStatus(r.Context(), r.PathValue("secret"))
	if apperr.Is(err, apperr.NotFound) {
		return apperr.New(apperr.NotFound, "This status link is not valid. Open it again from the latest email about your application, or copy the whole link.")
	}
	if err != nil {
		return err
	}
	return p.site.Render(w, r, http.StatusOK, "reset_status", statusTitle, p.applicationData(reset.View{}, app), "")
}
