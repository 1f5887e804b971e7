package console

import (
	"net/http"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/httphtml"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/staff"
)

// The handlers below only translate forms into calls of reset.Service,
// which holds the rules: who may claim, that the decider holds the claim,
// never their own account, two approvals for high-value accounts, each in
// one conditional statement.

func pagePath(id string) string { return "/staff/applications/" + id }

// claim gives the application to the member to work on. One awaiting a
// second approval is left to supervisors: a reviewer could not finish it.
func (c *Console) claim(w http.ResponseWriter, r *http.Request) error {
	m := member(r)
	app, err := c.Reset.Application(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if app.FirstApprovalBy != "" && !m.Role.AtLeast(staff.Supervisor) {
		return c.refused(w, r, apperr.New(apperr.Forbidden, "This application awaits a second approval, which only a supervisor gives."))
	}
	if _, err := c.Reset.Claim(r.Context(), app.ID, m.Email, false); err != nil {
		return c.refused(w, r, err)
	}
	return httphtml.Redirect(w, r, pagePath(app.ID))
}

// reassign is a supervisor taking over an application someone else holds.
func (c *Console) reassign(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := c.Reset.Claim(r.Context(), id, member(r).Email, true); err != nil {
		return c.refused(w, r, err)
	}
	return httphtml.Redirect(w, r, pagePath(id))
}

// release gives up the member's claim and goes back to the queue.
func (c *Console) release(w http.ResponseWriter, r *http.Request) error {
	if err := c.Reset.Release(r.Context(), r.PathValue("id"), member(r).Email); err != nil {
		return err
	}
	return httphtml.Redirect(w, r, "/staff")
}

// decide approves (every checklist item ticked) or rejects (a reason from
// the list, a note for the user) the application the member holds.
func (c *Console) decide(w http.ResponseWriter, r *http.Request) error {
	switch r.PostFormValue("decision") {
	case "approve":
		return c.approve(w, r, false)
	case "reject":
	default:
		return c.refused(w, r, apperr.New(apperr.InvalidRequest, "Choose to approve or to reject."))
	}
	got, err := c.Reset.Decide(r.Context(), r.PathValue("id"), c.decision(r, false))
	if err == nil {
		err = theirs(got, member(r))
	}
	if err != nil {
		return c.refused(w, r, err)
	}
	return httphtml.Redirect(w, r, pagePath(got.ID))
}

// theirs refuses an answer of Decide that is someone else's decision: the
// service answers the same decision again with the application, which
// must not tell a member who never held the claim that theirs was taken.
func theirs(got evidence.Application, m staff.Member) error {
	if got.State != evidence.UnderReview && got.DecidedBy != m.Email {
		return apperr.New(apperr.Conflict, "This application was already "+string(got.State)+" by "+got.DecidedBy+".")
	}
	return nil
}

// secondApproval is a supervisor's approval of an application another
// approved first.
func (c *Console) secondApproval(w http.ResponseWriter, r *http.Request) error {
	return c.approve(w, r, true)
}

// approve checks the checklist and approves. The first of two approvals
// releases the claim, so that another supervisor can claim the
// application and give the second.
func (c *Console) approve(w http.ResponseWriter, r *http.Request, second bool) error {
	ctx, m := r.Context(), member(r)
	app, err := c.Reset.Application(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	if second && app.FirstApprovalBy == "" {
		return c.refused(w, r, apperr.New(apperr.Conflict, "This application has no first approval to follow."))
	}
	if err := checkedAll(r.PostForm, checklist(app.Class, c.Brand)); err != nil {
		return c.refused(w, r, err)
	}
	got, err := c.Reset.Decide(ctx, app.ID, c.decision(r, true))
	if err == nil {
		err = theirs(got, m)
	}
	if err != nil {
		return c.refused(w, r, err)
	}
	if got.State == evidence.UnderReview && got.FirstApprovalBy == m.Email {
		if err := c.Reset.Release(ctx, app.ID, m.Email); err != nil {
			return err
		}
	}
	return httphtml.Redirect(w, r, pagePath(app.ID))
}

// decision is the member's decision as the form says it.
func (c *Console) decision(r *http.Request, approve bool) reset.Decision {
	m := member(r)
	d := reset.Decision{Approve: approve, ActorKind: audit.ActorStaff, Staff: m.Email, Supervisor: m.Role.AtLeast(staff.Supervisor)}
	if !approve {
		d.Reason, d.Note = r.PostFormValue("reason"), r.PostFormValue("note")
	}
	return d
}

// refused shows the application's page again with why the member's action
// was refused and what they had typed; an error that is not a refusal of
// the action goes to the error page.
func (c *Console) refused(w http.ResponseWriter, r *http.Request, err error) error {
	e := apperr.As(err)
	switch e.Code {
	case apperr.InvalidRequest, apperr.Forbidden, apperr.Conflict, apperr.WrongState:
	default:
		return err
	}
	form := decisionForm{Checked: map[string]bool{}, Reason: r.PostFormValue("reason"), Note: r.PostFormValue("note")}
	for _, id := range r.PostForm["check"] {
		form.Checked[id] = true
	}
	if who, ok := e.Fields["claimed_by"].(string); ok && who != "" {
		e.Message += " (" + who + " holds it)"
	}
	if rerr := c.renderApplication(w, r, e.Code.Status(), form, e.Message); rerr != nil {
		return err
	}
	return nil
}
