package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/staff"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

func application(t *testing.T, s *apptest.Server, id string) evidence.Application {
	t.Helper()
	app, err := s.Evidence.Get(context.Background(), s.DB, id)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// Every role check of the review pages: what no session, a reviewer, a
// supervisor and an admin get on each route of an application that is
// open and unclaimed, before anyone acts on it. A reviewer sees an open
// application's page with a [Claim] button and no pictures until they
// claim (SEC-FILE-7); the routes for supervisors are 403 to them.
func TestReviewRoleChecks(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		app := s.KYCApplication(t, "roles@example.com", pw, "+6581230201", 1)
		file := application(t, s, app.ID).Files[0].ID
		desks := map[staff.Role]*desk{}
		for _, role := range []staff.Role{staff.Reviewer, staff.Supervisor, staff.Admin} {
			desks[role] = newDesk(t, s, string(role)+"@example.com", role)
		}
		anonymous := noRedirects(s.Client())
		cases := []struct {
			method, path string
			// want is the status for no session, reviewer, supervisor, admin.
			want [4]int
		}{
			{"GET", "/staff", [4]int{303, 200, 200, 200}},
			{"GET", "/staff?state=approved", [4]int{303, 403, 200, 200}},
			{"GET", appPath(app.ID), [4]int{303, 200, 200, 200}},
			{"GET", appPath(app.ID, "/files/", file), [4]int{303, 404, 200, 200}},
			{"POST", appPath(app.ID, "/reassign"), [4]int{401, 403, 303, 303}},
			{"POST", appPath(app.ID, "/second-approval"), [4]int{401, 403, 409, 409}},
			{"POST", appPath(app.ID, "/release"), [4]int{401, 303, 303, 303}},
		}
		for _, c := range cases {
			for i, who := range []staff.Role{"", staff.Reviewer, staff.Supervisor, staff.Admin} {
				var status int
				switch {
				case who == "":
					if c.method == "GET" {
						resp, _ := get(t, anonymous, s.InternalURL+c.path)
						status = resp.StatusCode
					} else {
						_, login := get(t, anonymous, s.InternalURL+"/staff/login")
						resp, _ := post(t, anonymous, s.InternalURL+c.path, map[string][]string{"csrf": {csrf(t, login)}})
						status = resp.StatusCode
					}
				case c.method == "GET":
					resp, _ := desks[who].get(c.path)
					status = resp.StatusCode
				default:
					resp, _ := desks[who].post(c.path, nil)
					status = resp.StatusCode
					desks[who].post(appPath(app.ID, "/release"), nil) // leave it unclaimed for the next
				}
				if status != c.want[i] {
					t.Errorf("%s %s as %q: %d, want %d", c.method, c.path, who, status, c.want[i])
				}
			}
		}
		_, page := desks[staff.Reviewer].get(appPath(app.ID))
		if !strings.Contains(page, `data-action="claim"`) || strings.Contains(page, "/files/") || strings.Contains(page, "roles@example.com") ||
			!strings.Contains(page, "r****@example.com") || strings.Contains(page, `data-form="approve"`) {
			t.Errorf("an unclaimed application as a reviewer:\n%s", page)
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM audit_events WHERE action = 'document_viewed' AND detail LIKE '%\"staff\":\"reviewer@example.com\"%'"); n != 0 {
			t.Errorf("%d pictures served to the reviewer without the claim", n)
		}
	})
}

// A reviewer claims an application and gets its pictures, facts and
// forms; a second reviewer is refused the claim, the decision and the
// pictures, and is told who holds it; a supervisor takes it over, after
// which the first reviewer can no longer decide; releasing returns it to
// the queue. Once decided, the application is closed to reviewers who did
// not decide it (SEC-DATA-7).
func TestClaims(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		app := s.KYCApplication(t, "held@example.com", pw, "+6581230301", 2)
		file := appPath(app.ID, "/files/", application(t, s, app.ID).Files[0].ID)
		one, two := newDesk(t, s, "one@example.com", staff.Reviewer), newDesk(t, s, "two@example.com", staff.Reviewer)
		sup := newDesk(t, s, "sup@example.com", staff.Supervisor)

		one.must(303, appPath(app.ID, "/claim"), nil)
		_, page := one.get(appPath(app.ID))
		for _, want := range []string{"you hold it", file, "held@example.com", `data-form="approve"`, `data-form="reject"`,
			`data-event="application_claimed"`, "Apply to reset Mobile on Rebind", application(t, s, app.ID).ReferenceCode} {
			if !strings.Contains(page, want) {
				t.Errorf("the holder's page lacks %q", want)
			}
		}
		if resp, _ := one.get(file); resp.StatusCode != 200 {
			t.Errorf("the holder's picture: %d", resp.StatusCode)
		}
		page = two.must(409, appPath(app.ID, "/claim"), nil)
		if !strings.Contains(page, "Another reviewer is working on this application (one@example.com holds it)") {
			t.Errorf("claim taken:\n%s", page)
		}
		page = two.must(409, appPath(app.ID, "/decision"), rejection("other", ""))
		if !strings.Contains(page, "Claim the application before deciding it") {
			t.Errorf("deciding without the claim:\n%s", page)
		}
		if resp, _ := two.get(file); resp.StatusCode != 404 {
			t.Errorf("another reviewer's picture: %d", resp.StatusCode)
		}

		sup.must(303, appPath(app.ID, "/reassign"), nil)
		if got := application(t, s, app.ID).ClaimedBy; got != "sup@example.com" {
			t.Fatalf("after the take-over, claimed by %q", got)
		}
		one.must(409, appPath(app.ID, "/decision"), approval("kyc"))
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM audit_events WHERE action = 'application_claimed' AND detail LIKE '%\"from\":\"one@example.com\"%'"); n != 1 {
			t.Errorf("%d claims from one@example.com audited", n)
		}
		sup.must(303, appPath(app.ID, "/release"), nil)
		two.must(303, appPath(app.ID, "/claim"), nil)
		two.must(303, appPath(app.ID, "/decision"), rejection("face_not_visible", "Please take the photo in daylight."))

		if got := application(t, s, app.ID); got.State != evidence.Rejected || got.DecidedBy != "two@example.com" {
			t.Fatalf("after the rejection: %s by %s", got.State, got.DecidedBy)
		}
		if resp, _ := one.get(appPath(app.ID)); resp.StatusCode != 403 {
			t.Errorf("a decided application to another reviewer: %d", resp.StatusCode)
		}
		if resp, page := two.get(appPath(app.ID)); resp.StatusCode != 200 || !strings.Contains(page, "rejected by two@example.com") || strings.Contains(page, file) {
			t.Errorf("the decider's own decided application: %d\n%s", resp.StatusCode, page)
		}
		if resp, _ := two.get(file); resp.StatusCode != 404 {
			t.Errorf("a decided application's picture to its reviewer: %d", resp.StatusCode)
		}
		if resp, _ := one.get(appPath("aaaaaaaaaaaaaaaaaaaaaaaaaa")); resp.StatusCode != 404 {
			t.Errorf("an unknown application: %d", resp.StatusCode)
		}
	})
}

// A staff member whose email is the account's cannot claim or decide its
// application, as a reviewer or as a supervisor taking it over; the page
// says so instead of offering [Claim].
func TestOwnAccountRefused(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		app := s.KYCApplication(t, "Self@Example.com", pw, "+6581230401", 3)
		self := newDesk(t, s, "self@example.com", staff.Reviewer)
		_, page := self.get(appPath(app.ID))
		if !strings.Contains(page, "data-own") || strings.Contains(page, `data-action="claim"`) {
			t.Errorf("own application's page:\n%s", page)
		}
		if page := self.must(403, appPath(app.ID, "/claim"), nil); !strings.Contains(page, "your own account") {
			t.Errorf("own claim:\n%s", page)
		}
		self.must(403, appPath(app.ID, "/decision"), rejection("other", ""))

		mine := s.KYCApplication(t, "boss@example.com", pw, "+6581230402", 4)
		boss, other := newDesk(t, s, "boss@example.com", staff.Supervisor), newDesk(t, s, "other@example.com", staff.Reviewer)
		other.must(303, appPath(mine.ID, "/claim"), nil)
		if page := boss.must(403, appPath(mine.ID, "/reassign"), nil); !strings.Contains(page, "your own account") {
			t.Errorf("own take-over:\n%s", page)
		}
		boss.must(403, appPath(mine.ID, "/decision"), approval("kyc"))
		if _, page := boss.get(appPath(mine.ID)); !strings.Contains(page, "data-own") || strings.Contains(page, `data-action="reassign"`) {
			t.Errorf("own application's page as a supervisor:\n%s", page)
		}
		if got := application(t, s, mine.ID); got.ClaimedBy != "other@example.com" || got.State != evidence.UnderReview {
			t.Errorf("after the refusals: claimed by %s, %s", got.ClaimedBy, got.State)
		}
	})
}
