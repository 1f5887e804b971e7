package apptest

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/pquerna/otp/totp"

	"github.com/rebindhq/rebind/internal/console"
	"github.com/rebindhq/rebind/internal/staff"
)

// StaffPassword is the password of staff members made by StaffMember.
const StaffPassword = "console-lantern-58"

// StaffMember adds a staff member with role and enrols them (password
// StaffPassword, the first code at the server's clock), and returns them,
// their TOTP secret and a client signed in to the console as them. The
// enrolment used the code of the clock's time step: a sign-in needs the
// next step's code.
func (s *Server) StaffMember(t testing.TB, email string, role staff.Role) (staff.Member, string, *http.Client) {
	t.Helper()
	ctx := context.Background()
	m, tok, err := s.Staff.Add(ctx, staff.Operator, email, role)
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.Staff.Enrolment(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(e.Key.Secret, s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.Staff.Enrol(ctx, tok, StaffPassword, code, "apptest")
	if err != nil {
		t.Fatal(err)
	}
	c := s.Client()
	u, _ := url.Parse(s.InternalURL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: console.CookieName(false), Value: in.Token, Path: "/"}})
	return m, e.Key.Secret, c
}
