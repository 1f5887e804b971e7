package console_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/staff"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// An approval must tick every item of the class's checklist: the server
// refuses one without, naming what is missing, keeps what was ticked, and
// changes nothing; a rejection needs a reason from the list, and keeps
// the note typed.
func TestChecklistEnforced(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		app := emailsApplication(t, s, "list@example.com", "+6581230501", 5)
		rev := newDesk(t, s, "rev@example.com", staff.Reviewer)
		rev.must(303, appPath(app.ID, "/claim"), nil)
		partial := approval("nonkyc_no_records")
		partial["check"] = partial["check"][:2]
		page := rev.must(400, appPath(app.ID, "/decision"), partial)
		if !strings.Contains(page, "Tick every item of the checklist to approve") || !strings.Contains(page, "successful signup or a successful login") ||
			!strings.Contains(page, `value="email_from_exchange" required checked`) || strings.Contains(page, `value="email_kind_signup_login" required checked`) {
			t.Errorf("approval with an item missing:\n%s", page)
		}
		rev.must(400, appPath(app.ID, "/decision"), url.Values{"decision": {"approve"}})
		// Another class's items do not count.
		wrong := approval("kyc")
		rev.must(400, appPath(app.ID, "/decision"), wrong)
		page = rev.must(400, appPath(app.ID, "/decision"), rejection("", "Send a clearer screenshot."))
		if !strings.Contains(page, "A rejection needs a reason from the list") || !strings.Contains(page, "Send a clearer screenshot.</textarea>") {
			t.Errorf("rejection without a reason:\n%s", page)
		}
		rev.must(400, appPath(app.ID, "/decision"), url.Values{"decision": {"maybe"}})
		if got := application(t, s, app.ID); got.State != evidence.UnderReview {
			t.Fatalf("a refused decision changed the application: %s", got.State)
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM audit_events WHERE action IN ('application_approved', 'application_first_approval')"); n != 0 {
			t.Fatalf("%d approvals audited", n)
		}
		rev.must(303, appPath(app.ID, "/decision"), approval("nonkyc_no_records"))
		if got := application(t, s, app.ID); got.State != evidence.Approved || got.DecidedBy != "rev@example.com" {
			t.Fatalf("approved with every item: %s by %s", got.State, got.DecidedBy)
		}
	})
}

// highValue makes the account worth 20,000 US dollars, above the default
// threshold of 10,000: its approval takes two.
func highValue(t *testing.T, s *apptest.Server, accountID string) {
	t.Helper()
	r := s.Admin(t, "POST", "/admin/v1/accounts/"+accountID+"/activity",
		map[string]any{"balances": []map[string]string{{"asset": "BTC", "amount": "1", "usd_value": "20000"}}})
	if r.Status != 200 {
		t.Fatalf("balances: %d %s", r.Status, r.Raw)
	}
}

// On a high-value account a reviewer's approval is the first: the
// application stays under review, released, "awaiting a second approval by
// another supervisor". Reviewers cannot claim it or give the second; the
// supervisor who gave a first approval cannot give the second either; a
// different supervisor claims it and approves, and the reset takes effect.
func TestSecondApproval(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		ctx := context.Background()
		app := s.KYCApplication(t, "rich@example.com", pw, "+6581230601", 6)
		highValue(t, s, app.AccountID)
		rev, other := newDesk(t, s, "rev@example.com", staff.Reviewer), newDesk(t, s, "other@example.com", staff.Reviewer)
		first, second := newDesk(t, s, "first@example.com", staff.Supervisor), newDesk(t, s, "second@example.com", staff.Supervisor)

		rev.must(303, appPath(app.ID, "/claim"), nil)
		if _, page := rev.get(appPath(app.ID)); !strings.Contains(page, "data-needs-two") {
			t.Error("the holder is not told the account needs two approvals")
		}
		rev.must(303, appPath(app.ID, "/decision"), approval("kyc"))
		got := application(t, s, app.ID)
		if got.State != evidence.UnderReview || got.FirstApprovalBy != "rev@example.com" || got.ClaimedBy != "" {
			t.Fatalf("after the first approval: %s, first %q, claimed by %q", got.State, got.FirstApprovalBy, got.ClaimedBy)
		}
		if _, page := other.get("/staff"); !strings.Contains(rowOf(page, app.ID), "awaits a second approval") {
			t.Errorf("queue row: %s", rowOf(page, app.ID))
		}
		_, page := other.get(appPath(app.ID))
		if !strings.Contains(page, "awaiting a second approval by another supervisor") || strings.Contains(page, `data-action="claim"`) {
			t.Errorf("a reviewer's view of it:\n%s", page)
		}
		if page := other.must(403, appPath(app.ID, "/claim"), nil); !strings.Contains(page, "only a supervisor gives") {
			t.Errorf("a reviewer's claim:\n%s", page)
		}
		other.must(403, appPath(app.ID, "/second-approval"), approval("kyc"))

		// A supervisor's first approval is not also the second.
		first.must(303, appPath(app.ID, "/reassign"), nil)
		first.must(303, appPath(app.ID, "/release"), nil)
		if _, err := s.Evidence.Get(ctx, s.DB, app.ID); err != nil {
			t.Fatal(err)
		}
		second.must(303, appPath(app.ID, "/claim"), nil)
		_, page = second.get(appPath(app.ID))
		if !strings.Contains(page, "Approve (second approval)") || !strings.Contains(page, `action="/staff/applications/`+app.ID+`/second-approval"`) {
			t.Errorf("the second supervisor's page:\n%s", page)
		}
		partial := approval("kyc")
		partial["check"] = partial["check"][1:]
		second.must(400, appPath(app.ID, "/second-approval"), partial)
		second.must(303, appPath(app.ID, "/second-approval"), approval("kyc"))
		if got := application(t, s, app.ID); got.State != evidence.Approved || got.DecidedBy != "second@example.com" {
			t.Fatalf("after the second approval: %s by %s", got.State, got.DecidedBy)
		}
		acc, err := s.Accounts.ByID(ctx, s.DB, app.AccountID)
		if err != nil || acc.Mobile != "" || acc.MobileVerification {
			t.Fatalf("account after approval: mobile %q, verification %v, %v", acc.Mobile, acc.MobileVerification, err)
		}
	})
}

// The supervisor who gave the first approval, holding the claim again,
// approves in vain: the application still awaits another supervisor.
func TestFirstApproverIsNotTheSecond(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		app := s.KYCApplication(t, "twice@example.com", pw, "+6581230701", 7)
		highValue(t, s, app.AccountID)
		sup := newDesk(t, s, "sup@example.com", staff.Supervisor)
		sup.must(303, appPath(app.ID, "/claim"), nil)
		sup.must(303, appPath(app.ID, "/decision"), approval("kyc"))
		sup.must(303, appPath(app.ID, "/claim"), nil)
		_, page := sup.get(appPath(app.ID))
		if !strings.Contains(page, "You gave the first approval: another supervisor must give the second.") || strings.Contains(page, `data-action="approve"`) {
			t.Errorf("the first approver's page:\n%s", page)
		}
		sup.must(303, appPath(app.ID, "/second-approval"), approval("kyc"))
		if got := application(t, s, app.ID); got.State != evidence.UnderReview || got.FirstApprovalBy != "sup@example.com" {
			t.Fatalf("the first approver approved again: %s", got.State)
		}
	})
}

// Ten reviewers claim one application at once: one holds it. All ten then
// decide at once: only the holder's decision is taken, the others are
// refused for want of the claim. Ten more identical decisions by the
// holder at once all answer as the first: one outcome, one audit event,
// one email to the owner (SEC-RACE-8).
func TestTenReviewersAtOnce(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		app := s.KYCApplication(t, "crowd@example.com", pw, "+6581230801", 8)
		var desks []*desk
		for i := range 10 {
			desks = append(desks, newDesk(t, s, string(rune('a'+i))+"@example.com", staff.Reviewer))
		}
		claims := statuses(desks, func(d *desk) int {
			resp, _ := d.post(appPath(app.ID, "/claim"), nil)
			return resp.StatusCode
		})
		if claims[303] != 1 || claims[409] != 9 {
			t.Fatalf("ten claims: %v", claims)
		}
		holder := application(t, s, app.ID).ClaimedBy
		decisions := statuses(desks, func(d *desk) int {
			resp, _ := d.post(appPath(app.ID, "/decision"), rejection("id_unreadable", ""))
			if d.m.Email == holder && resp.StatusCode != 303 {
				t.Errorf("the holder's decision: %d", resp.StatusCode)
			}
			return resp.StatusCode
		})
		if decisions[303] != 1 || decisions[409] != 9 {
			t.Fatalf("ten decisions: %v", decisions)
		}
		var h *desk
		for _, d := range desks {
			if d.m.Email == holder {
				h = d
			}
		}
		again := statuses([]*desk{h, h, h, h, h, h, h, h, h, h}, func(d *desk) int {
			resp, _ := d.post(appPath(app.ID, "/decision"), rejection("id_unreadable", ""))
			return resp.StatusCode
		})
		if again[303] != 10 {
			t.Fatalf("the holder's ten decisions again: %v", again)
		}
		if got := application(t, s, app.ID); got.State != evidence.Rejected || got.DecidedBy != holder {
			t.Fatalf("outcome: %s by %s", got.State, got.DecidedBy)
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM audit_events WHERE action = 'application_rejected'"); n != 1 {
			t.Fatalf("%d rejections audited", n)
		}
		rejected := func() int {
			n := 0
			for _, m := range s.Messages(t, "crowd@example.com") {
				if strings.Contains(m.Subject, "were not accepted") {
					n++
				}
			}
			return n
		}
		apptest.Eventually(t, 10*time.Second, "the rejection email", func() bool { return rejected() >= 1 })
		// The worker has delivered what was queued with it by now.
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM outbox WHERE recipient = $1 AND template = 'application_rejected'", "crowd@example.com"); n != 1 || rejected() != 1 {
			t.Fatalf("%d rejection emails queued, %d delivered", n, rejected())
		}
	})
}

// statuses runs f for each desk at once and counts the answers' statuses.
func statuses(desks []*desk, f func(*desk) int) map[int]int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := map[int]int{}
	start := make(chan struct{})
	for _, d := range desks {
		wg.Go(func() {
			<-start
			status := f(d)
			mu.Lock()
			out[status]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return out
}
