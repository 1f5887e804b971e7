package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/staff"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// The whole enrolment and sign-in through the forms, as a browser without
// JavaScript would: the link shows the QR code and the key written out,
// refuses two different passwords, a common one and a wrong code with the
// same page, and then signs the member in and is spent. The enrolment's
// code cannot sign in again (SEC-CODE-3); the next one can.
func TestEnrolAndSignInThroughForms(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, clk := fakeServer(t, opts)
		_, tok, err := s.Staff.Add(context.Background(), staff.Operator, "rev@example.com", staff.Reviewer)
		if err != nil {
			t.Fatal(err)
		}
		link := s.InternalURL + staff.EnrolPath + tok
		c := s.Client()
		resp, page := get(t, c, link)
		if resp.StatusCode != 200 || !strings.Contains(page, `src="data:image/png;base64,`) || !strings.Contains(page, "rev@example.com") ||
			resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("enrolment page: %d %v\n%s", resp.StatusCode, resp.Header, page)
		}
		secret, form := secretOn(t, page), url.Values{"csrf": {csrf(t, page)}}
		for _, bad := range []struct {
			pw, confirm, code string
			status            int
			says              string
		}{
			{"violet-harbour-71", "violet-harbour-72", code(t, secret, clk), 400, "The two passwords are not the same."},
			{"password", "password", code(t, secret, clk), 400, "The password is too common."},
			{"violet-harbour-71", "violet-harbour-71", wrongCode(t, secret, clk), 422, "The code is not right"},
		} {
			form.Set("password", bad.pw)
			form.Set("confirm", bad.confirm)
			form.Set("code", bad.code)
			resp, page = post(t, c, link, form)
			if resp.StatusCode != bad.status || !strings.Contains(page, bad.says) || secretOn(t, page) != secret {
				t.Fatalf("%q: %d\n%s", bad.says, resp.StatusCode, page)
			}
		}
		enrolCode := code(t, secret, clk)
		form.Set("password", "violet-harbour-71")
		form.Set("confirm", "violet-harbour-71")
		form.Set("code", enrolCode)
		resp, page = post(t, c, link, form)
		if resp.StatusCode != 200 || resp.Request.URL.Path != "/staff" || !strings.Contains(page, `data-signed-in>rev@example.com<`) ||
			!strings.Contains(page, `data-role>reviewer<`) || strings.Contains(page, `href="/staff/members"`) {
			t.Fatalf("after enrolment: %d %s\n%s", resp.StatusCode, resp.Request.URL, page)
		}
		if resp, _ = get(t, s.Client(), link); resp.StatusCode != 404 {
			t.Fatalf("the spent link: %d", resp.StatusCode)
		}
		resp, _ = post(t, c, s.InternalURL+"/staff/logout", url.Values{"csrf": {csrf(t, page)}})
		if resp.Request.URL.Path != "/staff/login" {
			t.Fatalf("sign out went to %s", resp.Request.URL)
		}
		if resp, _ = get(t, c, s.InternalURL+"/staff"); resp.Request.URL.Path != "/staff/login" {
			t.Fatalf("/staff after signing out: %s", resp.Request.URL)
		}
		resp, page = signIn(t, s, c, "rev@example.com", "violet-harbour-71", enrolCode)
		if resp.StatusCode != 401 || !strings.Contains(page, "The email, password or code is not right.") || !strings.Contains(page, `value="rev@example.com"`) {
			t.Fatalf("the enrolment's code again: %d\n%s", resp.StatusCode, page)
		}
		nextStep(clk)
		resp, page = signIn(t, s, c, "REV@example.com", "violet-harbour-71", code(t, secret, clk))
		if resp.StatusCode != 200 || resp.Request.URL.Path != "/staff" || !strings.Contains(page, "rev@example.com") {
			t.Fatalf("sign-in with the next code: %d %s\n%s", resp.StatusCode, resp.Request.URL, page)
		}
		for action, want := range map[audit.Action]int{audit.StaffEnrolled: 1, audit.StaffLoginSuccess: 1, audit.StaffLoginFail: 1, audit.StaffLogout: 1} {
			if n := storetest.Count(t, s.DB, "SELECT count(*) FROM audit_events WHERE action = $1 AND actor = $2", string(action), audit.ActorStaff); n != want {
				t.Errorf("%d %s events by staff, want %d", n, action, want)
			}
		}
	})
}

// wrongCode is a 6-digit code that is not the right one now.
func wrongCode(t *testing.T, secret string, clk clock.Clock) string {
	if code(t, secret, clk) == "000000" {
		return "111111"
	}
	return "000000"
}

// An unknown email, a wrong password and a wrong code get the same page
// with the same status (SEC-ENUM-1).
func TestSignInRefusalsLookAlike(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, clk := fakeServer(t, opts)
		_, secret, _ := s.StaffMember(t, "same@example.com", staff.Reviewer)
		nextStep(clk)
		var pages []string
		for _, try := range [][3]string{
			{"nobody@example.com", apptest.StaffPassword, code(t, secret, clk)},
			{"same@example.com", "not-the-password", code(t, secret, clk)},
			{"same@example.com", apptest.StaffPassword, wrongCode(t, secret, clk)},
		} {
			c := s.Client()
			resp, page := signIn(t, s, c, try[0], try[1], try[2])
			if resp.StatusCode != 401 {
				t.Fatalf("%v: %d", try, resp.StatusCode)
			}
			pages = append(pages, strings.Replace(csrfField.ReplaceAllString(page, ""), try[0], "EMAIL", 1))
		}
		if pages[0] != pages[1] || pages[1] != pages[2] {
			t.Fatalf("the refusals differ:\n%s\n---\n%s\n---\n%s", pages[0], pages[1], pages[2])
		}
	})
}

// Failure limits on the page: past 10 attempts for one email in 15
// minutes, even the right password and code get 429 with the wait in
// words, and the refusal is audited.
func TestSignInLimitOnThePage(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, clk := fakeServer(t, opts)
		_, secret, _ := s.StaffMember(t, "held@example.com", staff.Reviewer)
		nextStep(clk)
		for range staff.PerEmail.Limit {
			if resp, _ := signIn(t, s, s.Client(), "held@example.com", "not-the-password", "123456"); resp.StatusCode != 401 {
				t.Fatalf("a wrong password: %d", resp.StatusCode)
			}
		}
		resp, page := signIn(t, s, s.Client(), "held@example.com", apptest.StaffPassword, code(t, secret, clk))
		if resp.StatusCode != 429 || !strings.Contains(page, "Too many sign-in attempts for this email; try again in") {
			t.Fatalf("past the limit: %d\n%s", resp.StatusCode, page)
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM audit_events WHERE action = 'excess_rate_limit_exceeded' AND detail LIKE '%staff_signin_email%'"); n != 1 {
			t.Fatalf("%d refusals audited", n)
		}
	})
}
