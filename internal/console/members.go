package console

import (
	"net/http"

	"github.com/rebindhq/rebind/internal/admin"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/httphtml"
	"github.com/rebindhq/rebind/internal/staff"
	"github.com/rebindhq/rebind/internal/token"
)

// member is the signed-in member; require put them in the context.
func member(r *http.Request) staff.Member {
	m, _ := staff.FromContext(r.Context())
	return m
}

// membersView is the members' page.
type membersView struct {
	Members []staff.Listed
	Roles   []staff.Role
	// Email and Role are what the add form had, after a refusal.
	Email string
	Role  staff.Role
}

func (c *Console) members(w http.ResponseWriter, r *http.Request) error {
	return c.renderMembers(w, r, http.StatusOK, membersView{Role: staff.Reviewer}, "")
}

func (c *Console) renderMembers(w http.ResponseWriter, r *http.Request, status int, v membersView, msg string) error {
	list, err := c.Staff.List(r.Context())
	if err != nil {
		return err
	}
	v.Members, v.Roles = list, []staff.Role{staff.Reviewer, staff.Supervisor, staff.Admin}
	return c.site.Render(w, r, status, "members", "Staff members", v, msg)
}

// addedView shows a new member's enrolment link, once: only its digest is
// kept.
type addedView struct {
	Member staff.Member
	Link   string
}

func (c *Console) addMember(w http.ResponseWriter, r *http.Request) error {
	email, role := r.PostFormValue("email"), staff.Role(r.PostFormValue("role"))
	m, tok, err := c.Staff.Add(r.Context(), member(r), email, role)
	if err != nil {
		if e := apperr.As(err); e.Code == apperr.InvalidRequest || e.Code == apperr.Conflict {
			return c.renderMembers(w, r, e.Code.Status(), membersView{Email: email, Role: role}, e.Message)
		}
		return err
	}
	return c.site.Render(w, r, http.StatusCreated, "member_added", "Staff member added",
		addedView{Member: m, Link: staff.EnrolLink(c.URL, tok)}, "")
}

func (c *Console) disableMember(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if !token.ValidID(id) {
		return apperr.New(apperr.NotFound, "There is no such staff member.")
	}
	if _, err := c.Staff.Disable(r.Context(), member(r), id); err != nil {
		return err
	}
	return httphtml.Redirect(w, r, "/staff/members")
}

// unfrozenView says what lifting a freeze did.
type unfrozenView struct {
	AccountID string
	Email     string
	// Lifted is false when the account was not frozen.
	Lifted bool
}

// unfreeze lifts the freeze an owner set with "This wasn't me", as the
// admin API's unfreeze does, with the member named in the audit event.
func (c *Console) unfreeze(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	acc, err := c.Accounts.ByID(r.Context(), c.DB, id)
	if err != nil {
		return err
	}
	lifted, err := c.Admin.Unfreeze(r.Context(), admin.Actor{Kind: audit.ActorStaff, Staff: member(r).Email}, id)
	if err != nil {
		return err
	}
	return c.site.Render(w, r, http.StatusOK, "unfrozen", "Freeze lifted", unfrozenView{AccountID: id, Email: acc.Email, Lifted: lifted}, "")
}
