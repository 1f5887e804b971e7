package demo

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/staff"
)

// demoStaff are the staff members dev mode offers for reviewing the demo
// queue: a reviewer, and a supervisor for the second approval of a
// high-value account.
var demoStaff = []struct {
	local string
	role  staff.Role
}{{"reviewer", staff.Reviewer}, {"supervisor", staff.Supervisor}}

// StaffMember is a demo staff member and how they get in.
type StaffMember struct {
	Email string
	Role  staff.Role
	// State is the member's (pending, active, disabled), or "taken" when
	// the email belongs to a member with another role.
	State string
	// Link is a new one-time enrolment link, for a member who has not
	// enrolled yet; "" otherwise.
	Link string
}

// EnsureStaff adds the demo staff members who are missing, as the
// operator (audited so), and gives each one who has not enrolled a new
// enrolment link on base (their earlier links end). A member who enrolled
// gets nothing: their password and authenticator are theirs. Dev mode
// only.
func EnsureStaff(ctx context.Context, s *staff.Service, base *url.URL, dev bool) ([]StaffMember, error) {
	if !dev {
		return nil, apperr.New(apperr.Forbidden, "demo staff are added in dev mode only")
	}
	var out []StaffMember
	for _, d := range demoStaff {
		m := StaffMember{Email: d.local + "@" + Domain, Role: d.role, State: "pending"}
		if l, err := s.ByEmail(ctx, m.Email); err == nil && l.State() != "pending" {
			m.State = l.State()
			out = append(out, m)
			continue
		} else if err != nil && !apperr.Is(err, apperr.NotFound) {
			return nil, fmt.Errorf("demo: staff %s: %w", m.Email, err)
		}
		_, tok, err := s.Add(ctx, staff.Operator, m.Email, m.Role)
		switch {
		case apperr.Is(err, apperr.Conflict): // pending with another role, or enrolled meanwhile
			m.State = "taken"
		case err != nil:
			return nil, fmt.Errorf("demo: staff %s: %w", m.Email, err)
		default:
			m.Link = staff.EnrolLink(base, tok)
		}
		out = append(out, m)
	}
	return out, nil
}

// PrintStaff writes how the demo staff get into the console at base.
func PrintStaff(w io.Writer, base *url.URL, members []StaffMember) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Demo staff, to review the demo queue in the console (%s/staff):\n", trimSlash(base))
	for _, m := range members {
		how := "enrol once, within 24 hours, at " + m.Link
		switch m.State {
		case "active":
			how = "already enrolled: sign in at " + trimSlash(base) + staffLogin
		case "disabled":
			how = "disabled (rebind staff add another member)"
		case "taken":
			how = "this email is a member with another role; use rebind staff add"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", m.Email, m.Role, how)
	}
	return tw.Flush()
}

// staffLogin is the console's sign-in page.
const staffLogin = "/staff/login"

func trimSlash(u *url.URL) string {
	s := u.String()
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
