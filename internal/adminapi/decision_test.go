package adminapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

func outcomeEmails(t *testing.T, s *apptest.Server, email string) (approved, rejected int) {
	t.Helper()
	q := "SELECT count(*) FROM outbox WHERE recipient = $1 AND template = $2"
	return storetest.Count(t, s.DB, q, email, "reset_done"), storetest.Count(t, s.DB, q, email, "application_rejected")
}

// waitMessage waits for a message to "to" whose subject has subject in it.
func waitMessage(t *testing.T, s *apptest.Server, to, subject string) outbox.DevMessage {
	t.Helper()
	var found outbox.DevMessage
	apptest.Eventually(t, 10*time.Second, "an email "+subject, func() bool {
		for _, m := range s.Messages(t, to) {
			if strings.Contains(m.Subject, subject) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// Approval is the outcome of passed questions: the number unbound and
// mobile verification off, withdrawals held, every session ended, the
// reset-done email; the flow completes.
func TestApprovalIsTheOutcomeOfPassedQuestions(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := s.CreateAccount(t, "yes@example.com", pw, "+6581235101", true)
		session := s.SignIn(t, "yes@example.com", pw, "+6581235101")
		flowID := s.ResetToMethod(t, "yes@example.com", pw)
		sub := s.SubmitDocuments(t, flowID, apptest.Selfie(t, 101))
		appID := sub.Body["application_id"].(string)
		r := s.Admin(t, "POST", appPath(appID)+"/decision", map[string]any{"decision": "approve", "note": "face and ID clear"})
		if r.Status != 200 || r.Body["state"] != "approved" || r.Body["ended_at"] == nil || r.Body["reason"] != nil {
			t.Fatalf("approve: %d %s", r.Status, r.Raw)
		}
		acc := s.Admin(t, "GET", "/admin/v1/accounts/"+id, nil)
		holds := acc.Body["holds"].([]any)
		if acc.Body["mobile"] != nil || acc.Body["mobile_verification"] != false || len(holds) != 1 ||
			holds[0].(map[string]any)["reason"] != "mobile_reset" {
			t.Fatalf("account after approval: %s", acc.Raw)
		}
		if e := s.Admin(t, "GET", "/admin/v1/accounts/"+id+"/withdrawal-eligibility", nil); e.Body["allowed"] != false {
			t.Fatalf("withdrawals not held: %s", e.Raw)
		}
		want(t, "the owner's session", s.Do(t, "GET", "/api/v1/sessions/current", session, nil), 401, "unauthorized")
		if st := s.Do(t, "GET", "/api/v1/mobile-reset/"+flowID, "", nil); st.Body["state"] != "completed" ||
			st.Body["application"].(map[string]any)["state"] != "approved" {
			t.Fatalf("flow after approval: %s", st.Raw)
		}
		if a, rj := outcomeEmails(t, s, "yes@example.com"); a != 1 || rj != 0 {
			t.Fatalf("outcome emails: %d reset-done, %d rejections", a, rj)
		}
		waitMessage(t, s, "yes@example.com", "Mobile verification was reset")
	})
}

// A rejection tells the owner why and changes nothing on the account; a
// new reset may apply again, with a new reference code, and a picture of
// the rejected application sent again is flagged. After retention the
// rejected application's pictures are destroyed: not_found, and the detail
// says when.
func TestRejectionAndApplyingAgain(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		clk := clock.NewFake(time.Now())
		s := apptest.Start(t, apptest.Options{DatabaseURL: opts.DatabaseURL, Clock: clk})
		first := s.KYCApplication(t, "no@example.com", pw, "+6581235111", 111)
		oldRef := s.Do(t, "GET", "/api/v1/application-status/"+first.Secret, "", nil).Body["reference_code"]
		r := s.Admin(t, "POST", appPath(first.ID)+"/decision", map[string]any{"decision": "reject", "reason": "id_unreadable",
			"note": "The ID is blurred."})
		if r.Status != 200 || r.Body["state"] != "rejected" || r.Body["reason"] != "id_unreadable" ||
			r.Body["reason_text"] != "The text of your ID document could not be read in the photo." || r.Body["note"] != "The ID is blurred." {
			t.Fatalf("reject: %d %s", r.Status, r.Raw)
		}
		if m := waitMessage(t, s, "no@example.com", "were not accepted"); !strings.Contains(m.Body, "could not be read") ||
			!strings.Contains(m.Body, "The ID is blurred.") {
			t.Fatalf("rejection email: %q", m.Body)
		}
		if acc := s.Admin(t, "GET", "/admin/v1/accounts/"+first.AccountID, nil); acc.Body["mobile"] != "+6581235111" ||
			acc.Body["mobile_verification"] != true || len(acc.Body["holds"].([]any)) != 0 {
			t.Fatalf("a rejection changed the account: %s", acc.Raw)
		}
		st := s.Do(t, "GET", "/api/v1/mobile-reset/"+first.FlowID, "", nil)
		if st.Body["state"] != "rejected" || st.Body["application"].(map[string]any)["reason"] != "id_unreadable" {
			t.Fatalf("flow after rejection: %s", st.Raw)
		}
		flowID := s.ResetToMethod(t, "no@example.com", pw)
		if d := s.Do(t, "GET", "/api/v1/mobile-reset/"+flowID+"/documents", "", nil); d.Body["reference_code"] == oldRef {
			t.Fatalf("the new reset kept the reference code %v", oldRef)
		}
		again := s.SubmitDocuments(t, flowID, apptest.Selfie(t, 111))
		if again.Status != 201 {
			t.Fatalf("applying again: %d %s", again.Status, again.Raw)
		}
		det := s.Admin(t, "GET", appPath(again.Body["application_id"].(string)), nil)
		reused := false
		for _, f := range det.Body["findings"].([]any) {
			f := f.(map[string]any)
			reused = reused || f["code"] == "picture_from_rejected_application" && f["flag"] == true
		}
		if !reused || det.Body["flags"].(float64) < 1 {
			t.Fatalf("the reused picture is not flagged: %s", det.Raw)
		}
		old := s.Admin(t, "GET", appPath(first.ID), nil).Body["files"].([]any)[0].(map[string]any)
		clk.Advance(90*24*time.Hour + time.Minute)
		if _, err := s.Blobs.Purge(t.Context(), clk.Now()); err != nil {
			t.Fatal(err)
		}
		want(t, "a destroyed picture", s.Admin(t, "GET", old["url"].(string), nil), 404, "not_found")
		if f := s.Admin(t, "GET", appPath(first.ID), nil).Body["files"].([]any)[0].(map[string]any); f["destroyed_at"] == nil || f["sha256"] != old["sha256"] {
			t.Fatalf("destroyed file: %v", f)
		}
	})
}

// decideAtOnce sends decisions[i] to servers[i % len(servers)], all at
// once, and returns the answers.
func decideAtOnce(t *testing.T, servers []*apptest.Server, appID string, decisions []string) []apptest.Response {
	out := make([]apptest.Response, len(decisions))
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i, d := range decisions {
		body := map[string]any{"decision": d}
		if d == "reject" {
			body["reason"] = "other"
		}
		wg.Go(func() {
			<-gate
			out[i] = servers[i%len(servers)].Admin(t, "POST", appPath(appID)+"/decision", body)
		})
	}
	close(gate)
	wg.Wait()
	return out
}

// checkOneOutcome checks that decisions raced on one application had one
// outcome: the answers agreeing with it are 200, the others 409 conflict,
// and exactly one outcome email was written.
func checkOneOutcome(t *testing.T, s *apptest.Server, app apptest.Application, email string, decisions []string, got []apptest.Response) {
	t.Helper()
	final := s.Admin(t, "GET", appPath(app.ID), nil).Body["state"]
	if final != "approved" && final != "rejected" {
		t.Fatalf("final state %v", final)
	}
	for i, r := range got {
		agrees := map[string]string{"approve": "approved", "reject": "rejected"}[decisions[i]] == final
		switch {
		case agrees && (r.Status != 200 || r.Body["state"] != final):
			t.Errorf("%s agreeing with the outcome: %d %s", decisions[i], r.Status, r.Raw)
		case !agrees && (r.Status != 409 || r.ErrorCode() != "conflict"):
			t.Errorf("%s against the outcome: %d %s", decisions[i], r.Status, r.Raw)
		}
	}
	approved, rejected := outcomeEmails(t, s, email)
	if final == "approved" && (approved != 1 || rejected != 0) || final == "rejected" && (approved != 0 || rejected != 1) {
		t.Fatalf("%v: %d reset-done and %d rejection emails, want exactly one outcome email", final, approved, rejected)
	}
	if n := storetest.Count(t, s.DB, "SELECT count(*) FROM audit_events WHERE account_id = $1 AND action IN ('application_approved', 'application_rejected')",
		app.AccountID); n != 1 {
		t.Fatalf("%d decision events", n)
	}
}

var races = map[string][]string{
	"mixed":       {"approve", "reject", "approve", "reject", "approve", "reject", "approve", "reject", "approve", "reject"},
	"all approve": {"approve", "approve", "approve", "approve", "approve", "approve", "approve", "approve", "approve", "approve"},
}

// SEC-RACE-8: ten decisions at once on one application take effect once.
func TestConcurrentDecisions(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		for i, name := range []string{"mixed", "all approve"} {
			t.Run(name, func(t *testing.T) {
				email := fmt.Sprintf("race%d@example.com", i)
				app := s.KYCApplication(t, email, pw, fmt.Sprintf("+658123512%d", i), uint64(120+i))
				checkOneOutcome(t, s, app, email, races[name], decideAtOnce(t, []*apptest.Server{s}, app.ID, races[name]))
			})
		}
	})
}

// SEC-RACE-8 across two instances on one PostgreSQL, half the decisions
// on each.
func TestConcurrentDecisionsAcrossTwoInstances(t *testing.T) {
	url := storetest.PostgresURL(t)
	a := apptest.Start(t, apptest.Options{DatabaseURL: url})
	b := apptest.Start(t, apptest.Options{DatabaseURL: url, Env: map[string]string{"REBIND_SECRET": a.Secret}})
	for i, name := range []string{"mixed", "all approve"} {
		t.Run(name, func(t *testing.T) {
			email := fmt.Sprintf("twin%d@example.com", i)
			app := a.KYCApplication(t, email, pw, fmt.Sprintf("+658123513%d", i), uint64(130+i))
			checkOneOutcome(t, a, app, email, races[name], decideAtOnce(t, []*apptest.Server{a, b}, app.ID, races[name]))
		})
	}
}
