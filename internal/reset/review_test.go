package reset_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

func staffDecision(staff string, approve, supervisor bool) reset.Decision {
	d := reset.Decision{Approve: approve, ActorKind: audit.ActorStaff, Staff: staff, Supervisor: supervisor}
	if !approve {
		d.Reason = "other"
	}
	return d
}

// Claims (issue 11): of 30 reviewers claiming one application at once,
// one gets it; the others are told who holds it; a staff member decides
// only what they hold; a claim lapses after 30 minutes idle; a supervisor
// may take it over; nobody claims or decides their own account's
// application.
func TestClaims(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		ctx := context.Background()
		a := submitOne(t, opts, "own@example.com", "+6581230010")
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, refused := 0, 0
		for i := range 30 {
			wg.Go(func() {
				_, err := a.s.Reset.Claim(ctx, a.app.ID, "r"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@staff.example", false)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case apperr.Is(err, apperr.Conflict):
					refused++
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if won != 1 || refused != 29 {
			t.Fatalf("30 claims at once: %d won, %d refused", won, refused)
		}
		holder := expectState(t, a, evidence.UnderReview).ClaimedBy
		if _, err := a.s.Reset.Decide(ctx, a.app.ID, staffDecision("other@staff.example", true, false)); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("a decision by someone without the claim: %v", err)
		}
		a.clk.Advance(evidence.ClaimLapse + time.Second)
		if got, err := a.s.Reset.Claim(ctx, a.app.ID, "late@staff.example", false); err != nil || got.ClaimedBy != "late@staff.example" {
			t.Fatalf("claiming a lapsed claim: %v %v", got.ClaimedBy, err)
		}
		if _, err := a.s.Reset.Decide(ctx, a.app.ID, staffDecision(holder, true, false)); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("a decision by the holder of a lapsed claim someone else took: %v", err)
		}
		if _, err := a.s.Reset.Claim(ctx, a.app.ID, "sup@staff.example", false); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("claiming a live claim: %v", err)
		}
		if got, err := a.s.Reset.Claim(ctx, a.app.ID, "sup@staff.example", true); err != nil || got.ClaimedBy != "sup@staff.example" {
			t.Fatalf("a supervisor taking it over: %v %v", got.ClaimedBy, err)
		}
		if _, err := a.s.Reset.Claim(ctx, a.app.ID, "OWN@example.com", false); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("claiming one's own account's application: %v", err)
		}
		if _, err := a.s.Reset.Decide(ctx, a.app.ID, staffDecision("own@example.com", true, true)); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("deciding one's own account's application: %v", err)
		}
		got, err := a.s.Reset.Decide(ctx, a.app.ID, staffDecision("sup@staff.example", false, true))
		if err != nil || got.State != evidence.Rejected || got.DecidedBy != "sup@staff.example" {
			t.Fatalf("a decision by the holder: %v %v", got.State, err)
		}
		if n := storetest.Count(t, a.s.DB, "SELECT COUNT(*) FROM audit_events WHERE action = $1 AND flow_id = $2",
			string(audit.ApplicationClaimed), a.flowID); n != 3 {
			t.Fatalf("%d application_claimed events, want 3 (the winner, the late one, the supervisor taking over; refused claims change nothing)", n)
		}
		history, err := a.s.Reset.History(ctx, got)
		if err != nil || len(history) == 0 || history[len(history)-1].Action != string(audit.ApplicationRejected) {
			t.Fatalf("history: %d events, %v", len(history), err)
		}
	})
}

// An account worth more than the threshold needs two approvals, the
// second by another supervisor (issue 11); ten simultaneous second
// approvals apply the outcome once. An account under the threshold needs
// one.
func TestSecondApproval(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		ctx := context.Background()
		a := submitOne(t, opts, "rich@example.com", "+6581230011")
		acct, err := a.s.Accounts.ByEmail(ctx, a.s.DB, "rich@example.com")
		if err != nil {
			t.Fatal(err)
		}
		push := func(usd string) {
			t.Helper()
			r := a.s.Admin(t, "POST", "/admin/v1/accounts/"+acct.ID+"/activity", map[string]any{
				"balances": []map[string]string{{"asset": "BTC", "amount": "1", "usd_value": usd}, {"asset": "USDT", "amount": "5", "usd_value": "5"}}})
			if r.Status != 200 {
				t.Fatalf("push balances: %d %s", r.Status, r.Raw)
			}
		}
		push("9995.01") // 10,000.01 in all: over the line
		claim := func(who string) {
			t.Helper()
			if _, err := a.s.Reset.Claim(ctx, a.app.ID, who, true); err != nil {
				t.Fatalf("claim by %s: %v", who, err)
			}
		}
		claim("rev@staff.example")
		first, err := a.s.Reset.Decide(ctx, a.app.ID, staffDecision("rev@staff.example", true, false))
		if err != nil || first.State != evidence.UnderReview || first.FirstApprovalBy != "rev@staff.example" {
			t.Fatalf("first approval: %v %q %v", first.State, first.FirstApprovalBy, err)
		}
		if again, err := a.s.Reset.Decide(ctx, a.app.ID, staffDecision("rev@staff.example", true, false)); err != nil || again.FirstApprovalBy != "rev@staff.example" {
			t.Fatalf("the first approval again: %v", err)
		}
		if got, err := a.s.Reset.Decide(ctx, a.app.ID, staffDecision("rev@staff.example", true, true)); err != nil || got.State != evidence.UnderReview {
			t.Fatalf("the first approver approving again, as a supervisor: %v %v (want no second approval)", got.State, err)
		}
		claim("rev2@staff.example")
		if _, err := a.s.Reset.Decide(ctx, a.app.ID, staffDecision("rev2@staff.example", true, false)); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("the second approval by a reviewer: %v", err)
		}
		if acct, _ := a.s.Accounts.ByID(ctx, a.s.DB, acct.ID); acct.Mobile == "" {
			t.Fatal("the number was unbound before the second approval")
		}
		claim("sup@staff.example")
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if got, err := a.s.Reset.Decide(ctx, a.app.ID, staffDecision("sup@staff.example", true, true)); err != nil || got.State != evidence.Approved {
					t.Errorf("second approval: %v %v", got.State, err)
				}
			})
		}
		wg.Wait()
		if n := storetest.Count(t, a.s.DB, "SELECT COUNT(*) FROM audit_events WHERE action = $1 AND flow_id = $2", string(audit.ResetCompleted), a.flowID); n != 1 {
			t.Fatalf("%d resets completed, want 1", n)
		}
		if n := storetest.Count(t, a.s.DB, "SELECT COUNT(*) FROM audit_events WHERE action = $1 AND flow_id = $2", string(audit.ApplicationFirstApproval), a.flowID); n != 1 {
			t.Fatalf("%d first approvals recorded, want 1", n)
		}

		// Under the line, one approval is the outcome.
		b := submitOne(t, opts, "modest@example.com", "+6581230012")
		modest, err := b.s.Accounts.ByEmail(ctx, b.s.DB, "modest@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if r := b.s.Admin(t, "POST", "/admin/v1/accounts/"+modest.ID+"/activity", map[string]any{
			"balances": []map[string]string{{"asset": "BTC", "amount": "0.1", "usd_value": "9995"}}}); r.Status != 200 {
			t.Fatalf("push: %d %s", r.Status, r.Raw)
		}
		if _, err := b.s.Reset.Claim(ctx, b.app.ID, "rev@staff.example", false); err != nil {
			t.Fatal(err)
		}
		if got, err := b.s.Reset.Decide(ctx, b.app.ID, staffDecision("rev@staff.example", true, false)); err != nil || got.State != evidence.Approved {
			t.Fatalf("approval under the line: %v %v", got.State, err)
		}
	})
}

// A lapsed claim frees an application for others; until someone takes it,
// the reviewer who held it may still decide (they took longer, nothing
// more).
func TestLapsedClaimStillDecides(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		ctx := context.Background()
		a := submitOne(t, opts, "slow@example.com", "+6581230013")
		if _, err := a.s.Reset.Claim(ctx, a.app.ID, "slow@staff.example", false); err != nil {
			t.Fatal(err)
		}
		a.clk.Advance(evidence.ClaimLapse + time.Minute)
		got, err := a.s.Reset.Decide(ctx, a.app.ID, staffDecision("slow@staff.example", false, false))
		if err != nil || got.State != evidence.Rejected {
			t.Fatalf("a decision after the claim lapsed, nobody else having taken it: %v %v", got.State, err)
		}
	})
}

// Ten simultaneous first approvals by the holder record one: the first
// approval is one conditional statement, like the decision.
func TestFirstApprovalOnce(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		ctx := context.Background()
		a := submitOne(t, opts, "vault@example.com", "+6581230014")
		acct, err := a.s.Accounts.ByEmail(ctx, a.s.DB, "vault@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if r := a.s.Admin(t, "POST", "/admin/v1/accounts/"+acct.ID+"/activity", map[string]any{
			"balances": []map[string]string{{"asset": "BTC", "amount": "1", "usd_value": "50000"}}}); r.Status != 200 {
			t.Fatalf("push: %d %s", r.Status, r.Raw)
		}
		if _, err := a.s.Reset.Claim(ctx, a.app.ID, "rev@staff.example", false); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				got, err := a.s.Reset.Decide(ctx, a.app.ID, staffDecision("rev@staff.example", true, false))
				if err != nil || got.State != evidence.UnderReview || got.FirstApprovalBy != "rev@staff.example" {
					t.Errorf("first approval: %v %q %v", got.State, got.FirstApprovalBy, err)
				}
			})
		}
		wg.Wait()
		if n := storetest.Count(t, a.s.DB, "SELECT COUNT(*) FROM audit_events WHERE action = $1 AND flow_id = $2", string(audit.ApplicationFirstApproval), a.flowID); n != 1 {
			t.Fatalf("%d first approvals recorded, want 1", n)
		}
	})
}
