package adminapi_test

import (
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// An account worth more than the threshold needs two approvers; the admin
// API's callers share one token, so they give the first approval only, and
// the outcome waits for a supervisor in the console.
func TestAdminAPIGivesOnlyAFirstApproval(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		app := s.KYCApplication(t, "whale@example.com", "correct horse battery staple", "+6581239001", 1)
		if r := s.Admin(t, "POST", "/admin/v1/accounts/"+app.AccountID+"/activity", map[string]any{
			"balances": []map[string]string{{"asset": "BTC", "amount": "2", "usd_value": "190000"}}}); r.Status != 200 {
			t.Fatalf("push: %d %s", r.Status, r.Raw)
		}
		if r := s.Admin(t, "POST", "/admin/v1/accounts/"+app.AccountID+"/activity", map[string]any{
			"balances": []map[string]string{{"asset": "BTC", "amount": "2", "usd_value": "a lot"}}}); r.Status != 400 {
			t.Fatalf("a usd_value that is not a decimal: %d %s", r.Status, r.Raw)
		}
		for i := range 2 {
			r := s.Admin(t, "POST", "/admin/v1/applications/"+app.ID+"/decision", map[string]string{"decision": "approve"})
			if r.Status != 200 || r.Body["state"] != "under_review" || r.Body["first_approval_by"] != "admin API" {
				t.Fatalf("approval %d: %d %s", i+1, r.Status, r.Raw)
			}
		}
		r := s.Admin(t, "GET", "/admin/v1/accounts/"+app.AccountID, nil)
		if r.Body["mobile"] == nil || r.Body["mobile_verification"] != true {
			t.Fatalf("the account changed on a first approval: %s", r.Raw)
		}
		if n := storetest.Count(t, s.DB, "SELECT COUNT(*) FROM audit_events WHERE action = 'application_first_approval' AND flow_id = $1", app.FlowID); n != 1 {
			t.Fatalf("%d first approvals recorded, want 1", n)
		}
		if r := s.Admin(t, "POST", "/admin/v1/applications/"+app.ID+"/decision", map[string]string{"decision": "reject", "reason": "other"}); r.Status != 200 || r.Body["state"] != "rejected" {
			t.Fatalf("a rejection after a first approval: %d %s", r.Status, r.Raw)
		}
	})
}
