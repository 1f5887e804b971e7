package console

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/staff"
)

// appView is an application's page. What a member may see and do follows
// from their role and the claim: a reviewer sees the pictures, the
// account's facts and the history only while they hold the claim of an
// open application (SEC-FILE-7, SEC-DATA-7); supervisors see every
// application.
type appView struct {
	App     evidence.Application
	State   evidence.State
	Waited  time.Duration
	Urgency Urgency
	// Email is the account's, masked unless the member may see the rest.
	Email string
	// Own is an application of the member's own account: they may not
	// claim or decide it.
	Own bool
	// ClaimedBy holds a live claim; Mine says it is the member's.
	ClaimedBy  string
	Mine       bool
	Supervisor bool
	CanSee     bool
	// CanClaim: open, unclaimed, not their own, and not awaiting a second
	// approval unless they may give it. CanReassign: a supervisor may take
	// over someone else's claim.
	CanClaim, CanReassign bool
	// CanDecide: they hold the claim of an open application, not their own.
	CanDecide bool
	// AwaitsSecond: a first approval was given; SecondApprover: the member
	// is a supervisor who did not give it.
	AwaitsSecond, SecondApprover bool
	Pictures                     []pictureView
	Findings                     []findingView
	Facts                        *facts
	Checklist                    []Check
	Reasons                      []reasonOption
	Form                         decisionForm
	History                      []audit.Record
	Earlier                      []earlierView
}

// decisionForm is what the decision forms held, shown again after a
// refusal.
type decisionForm struct {
	Checked      map[string]bool
	Reason, Note string
}

type reasonOption struct{ Code, Text string }

type earlierView struct {
	ID        string
	Submitted time.Time
	State     evidence.State
	Reason    string
}

func (c *Console) application(w http.ResponseWriter, r *http.Request) error {
	return c.renderApplication(w, r, http.StatusOK, decisionForm{}, "")
}

// renderApplication shows the application's page with status and msg (a
// refusal of what the member just tried), the decision forms keeping form.
func (c *Console) renderApplication(w http.ResponseWriter, r *http.Request, status int, form decisionForm, msg string) error {
	v, err := c.appView(r, form)
	if err != nil {
		return err
	}
	return c.site.Render(w, r, status, "application", "Application "+v.App.ID, v, msg)
}

func (c *Console) appView(r *http.Request, form decisionForm) (appView, error) {
	ctx, m := r.Context(), member(r)
	app, err := c.Reset.Application(ctx, r.PathValue("id"))
	if err != nil {
		return appView{}, err
	}
	if err := mayOpen(app, m, c.Clock.Now()); err != nil {
		return appView{}, err
	}
	acc, err := c.Accounts.ByID(ctx, c.DB, app.AccountID)
	if err != nil {
		return appView{}, err
	}
	v := c.roles(app, m, acc.Email)
	v.Form = form
	if !v.CanSee {
		return v, nil
	}
	v.Email = acc.Email
	if err := c.evidenceOf(r, &v); err != nil {
		return appView{}, err
	}
	if v.Facts, err = c.factsOf(ctx, acc); err != nil {
		return appView{}, err
	}
	if v.History, err = c.Reset.History(ctx, app); err != nil {
		return appView{}, err
	}
	earlier, err := c.Reset.Earlier(ctx, app)
	for _, e := range earlier {
		v.Earlier = append(v.Earlier, earlierView{ID: e.ID, Submitted: e.SubmittedAt, State: e.Shown(c.Clock.Now()), Reason: e.Reason})
	}
	return v, err
}

// mayOpen lets a reviewer open the open applications and those they
// decided or approved first; the others are for supervisors.
func mayOpen(app evidence.Application, m staff.Member, now time.Time) error {
	if m.Role.AtLeast(staff.Supervisor) || app.Shown(now) == evidence.UnderReview || app.DecidedBy == m.Email || app.FirstApprovalBy == m.Email {
		return nil
	}
	return apperr.New(apperr.Forbidden, "Decided applications are shown to supervisors only.")
}

// roles works out what m may see and do on app, of the account with email.
func (c *Console) roles(app evidence.Application, m staff.Member, email string) appView {
	now := c.Clock.Now()
	open := app.Shown(now) == evidence.UnderReview
	v := appView{App: app, State: app.Shown(now), Waited: now.Sub(app.SubmittedAt), Email: c.shownEmail(email, m),
		Own: strings.EqualFold(email, m.Email), Supervisor: m.Role.AtLeast(staff.Supervisor)}
	if !app.EndedAt.IsZero() {
		v.Waited = app.EndedAt.Sub(app.SubmittedAt)
	}
	v.Urgency = urgency(v.Waited, c.ReviewTarget)
	if c.liveClaim(app) {
		v.ClaimedBy, v.Mine = app.ClaimedBy, app.ClaimedBy == m.Email
	}
	v.AwaitsSecond = open && app.FirstApprovalBy != ""
	v.SecondApprover = v.AwaitsSecond && v.Supervisor && app.FirstApprovalBy != m.Email
	v.CanSee = v.Supervisor || (open && v.Mine)
	v.CanClaim = open && !v.Own && v.ClaimedBy == "" && (!v.AwaitsSecond || v.Supervisor)
	v.CanReassign = open && !v.Own && v.Supervisor && v.ClaimedBy != "" && !v.Mine
	v.CanDecide = open && !v.Own && v.Mine
	if v.CanDecide {
		v.Checklist = checklist(app.Class, c.Brand)
		v.Reasons = reasons()
	}
	return v
}

// reasons are the rejection reasons (evidence.Reasons) for the form, in
// the order of their codes, "other" last.
func reasons() []reasonOption {
	var out []reasonOption
	for _, code := range slices.Sorted(maps.Keys(evidence.Reasons)) {
		if code != "other" {
			out = append(out, reasonOption{Code: code, Text: evidence.Reasons[code]})
		}
	}
	return append(out, reasonOption{Code: "other", Text: evidence.Reasons["other"]})
}
