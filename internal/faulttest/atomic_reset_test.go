package faulttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/loadtest"
)

const flows = 20

const password = "a long enough password 1"

// resetFlow is a seeded account with a reset at its last step.
type resetFlow struct {
	account, email, mobile, flow string
	quiz                         string
	answers                      map[string][]string
	application                  string
}

// startReset creates a KYC account with a mobile (and push, when not
// nil), starts a reset as flow i's user and enters the email code.
func (r *rig) startReset(ctx context.Context, i int, prefix string, digit int, push map[string]any) (resetFlow, []any, error) {
	f := resetFlow{email: fmt.Sprintf("%s-%d@example.com", prefix, i), mobile: fmt.Sprintf("+659%d%06d", digit, i)}
	out, err := r.must(ctx, r.admin(), "create", http.StatusCreated, "POST", "/admin/v1/accounts", r.secrets.AdminToken,
		map[string]any{"email": f.email, "password": password, "mobile": f.mobile, "kyc": true})
	if err != nil {
		return f, nil, err
	}
	f.account, _ = out["id"].(string)
	if push != nil {
		if _, err := r.must(ctx, r.admin(), "activity", http.StatusOK, "POST", "/admin/v1/accounts/"+f.account+"/activity",
			r.secrets.AdminToken, push); err != nil {
			return f, nil, err
		}
	}
	c := r.user(i)
	seen := r.sinks.Count(f.email)
	if out, err = r.must(ctx, c, "reset", http.StatusCreated, "POST", "/api/v1/mobile-reset", "",
		map[string]any{"email": f.email, "password": password, "agree": true}); err != nil {
		return f, nil, err
	}
	f.flow, _ = out["flow_id"].(string)
	code, err := r.code(ctx, f.email, seen)
	if err != nil {
		return f, nil, err
	}
	if out, err = r.must(ctx, c, "email code", http.StatusOK, "POST", "/api/v1/mobile-reset/"+f.flow+"/email-code/verify", "",
		map[string]string{"code": code}); err != nil {
		return f, nil, err
	}
	methods, _ := out["methods"].([]any)
	return f, methods, nil
}

// resetParts are what a completed reset implies (internal/reset
// complete): the number unbound and kept in the history, the hold, the
// flow completed, the audit event, the notices by email and to the old
// number, the "This wasn't me" link; in the database and through the API.
func (r *rig) resetParts(ctx context.Context, f resetFlow) []part {
	ps := []part{
		{"number unbound", r.count("SELECT count(*) FROM accounts WHERE id = $1 AND mobile IS NULL AND NOT mobile_verification AND rebind_required", f.account) == 1},
		r.one("number in the history", "SELECT count(*) FROM mobile_history WHERE account_id = $1 AND mobile = $2 AND flow_id = $3", f.account, f.mobile, f.flow),
		r.one("hold", "SELECT count(*) FROM holds WHERE account_id = $1 AND reason = 'mobile_reset'", f.account),
		{"flow completed", r.count("SELECT count(*) FROM flows WHERE id = $1 AND state = 'completed'", f.flow) == 1},
		r.one("audit mobile_reset_completed", "SELECT count(*) FROM audit_events WHERE flow_id = $1 AND action = 'mobile_reset_completed'", f.flow),
		r.one("email notice", "SELECT count(*) FROM outbox WHERE channel = 'email' AND recipient = $1 AND template = 'reset_done'", f.email),
		r.one("SMS notice to the old number", "SELECT count(*) FROM outbox WHERE channel = 'sms' AND recipient = $1 AND template = 'reset_done'", f.mobile),
		r.one("stop link", "SELECT count(*) FROM stop_tokens WHERE account_id = $1 AND event = 'mobile_reset'", f.account),
	}
	_, acc := r.admin().Call(ctx, "check", "GET", "/admin/v1/accounts/"+f.account, r.secrets.AdminToken, nil)
	holds, _ := acc["holds"].([]any)
	_, el := r.admin().Call(ctx, "check", "GET", "/admin/v1/accounts/"+f.account+"/withdrawal-eligibility", r.secrets.AdminToken, nil)
	reasons, _ := el["reasons"].([]any)
	_, fl := r.user(0).Call(ctx, "check", "GET", "/api/v1/mobile-reset/"+f.flow, "", nil)
	return append(ps,
		part{"API: no mobile", acc != nil && acc["mobile"] == nil},
		part{"API: a hold", len(holds) > 0},
		part{"API: withdrawals held for mobile_reset", el["allowed"] == false && slices.Contains(reasons, any("mobile_reset"))},
		part{"API: flow completed", fl["state"] == "completed"})
}

// killDuringQuizPass kills the instance while the answers that pass
// the quiz of 20 resets are being applied (docs/api.md: on success, in one
// transaction). A reset left as it was is still at quiz_in_progress with
// the quiz unused, and the same answers pass it on the new instance.
func killDuringQuizPass(t *testing.T, r *rig) {
	ctx := context.Background()
	fs := make([]resetFlow, flows)
	parallel(t, flows, func(i int) error {
		push, facts := loadtest.History(rand.New(rand.NewPCG(uint64(i), 12)))
		f, methods, err := r.startReset(ctx, i, "quiz", 2, push)
		if err != nil {
			return err
		}
		if !slices.Contains(methods, any("questions")) {
			return fmt.Errorf("no questions offered: %v", methods)
		}
		qz, err := r.must(ctx, r.user(i), "quiz", http.StatusCreated, "POST", "/api/v1/mobile-reset/"+f.flow+"/quiz", "", nil)
		if err != nil {
			return err
		}
		f.quiz, _ = qz["quiz_id"].(string)
		if f.answers, err = loadtest.Answers(facts, qz); err != nil {
			return err
		}
		fs[i] = f
		return nil
	})
	submit := func(ctx context.Context, i int) (int, map[string]any) {
		return r.user(i).Call(ctx, "answers", "POST", "/api/v1/mobile-reset/"+fs[i].flow+"/quiz/"+fs[i].quiz+"/answers", "",
			map[string]any{"answers": fs[i].answers})
	}
	statuses := r.fireAndKill(flows, func(ctx context.Context, i int) int { s, _ := submit(ctx, i); return s })

	applied, finished := 0, 0
	for i, f := range fs {
		name := fmt.Sprintf("reset %d", i)
		if r.judge(name, r.resetParts(ctx, f)) {
			applied++
			continue
		}
		if statuses[i] == http.StatusOK {
			t.Errorf("%s answered 200 but is not applied", name)
		}
		if n := r.count("SELECT count(*) FROM flows WHERE id = $1 AND state = 'quiz_in_progress'", f.flow); n != 1 {
			t.Errorf("%s is not applied and not at quiz_in_progress", name)
		}
		if n := r.count("SELECT count(*) FROM quizzes WHERE id = $1 AND submitted_at IS NULL", f.quiz); n != 1 {
			t.Errorf("%s is not applied but its quiz is used up", name)
		}
		status, out := submit(ctx, i)
		if status != http.StatusOK || out["result"] != "passed" {
			t.Errorf("%s on the new instance: %d %v", name, status, out)
			continue
		}
		if !r.judge(name+" finished on the new instance", r.resetParts(ctx, f)) {
			t.Errorf("%s finished on the new instance is not applied", name)
		}
		finished++
	}
	t.Logf("%d resets applied before the kill, %d left at quiz_in_progress and finished on the new instance", applied, finished)
	r.verifyAudit()
}

// killDuringApproval kills the instance while the admin API approves
// 20 document applications (an approval is the quiz's outcome plus the
// application's end, in one transaction). An application left as it was is
// still under review, and the same decision takes effect on the new
// instance.
func killDuringApproval(t *testing.T, r *rig) {
	ctx := context.Background()
	fs := make([]resetFlow, flows)
	bodies, types := make([][]byte, flows), make([]string, flows)
	for i := range flows {
		bodies[i], types[i] = apptest.Multipart(t, apptest.Selfie(t, uint64(i+1)))
	}
	parallel(t, flows, func(i int) error {
		f, methods, err := r.startReset(ctx, i, "docs", 3, nil)
		if err != nil {
			return err
		}
		if !slices.Contains(methods, any("documents")) {
			return fmt.Errorf("no documents offered: %v", methods)
		}
		status, out := r.multipart(ctx, r.user(i), "/api/v1/mobile-reset/"+f.flow+"/documents", types[i], bodies[i])
		if status != http.StatusCreated {
			return fmt.Errorf("documents: %d %v", status, out)
		}
		f.application, _ = out["application_id"].(string)
		fs[i] = f
		return nil
	})
	decide := func(ctx context.Context, i int) (int, map[string]any) {
		return r.admin().Call(ctx, "decision", "POST", "/admin/v1/applications/"+fs[i].application+"/decision",
			r.secrets.AdminToken, map[string]string{"decision": "approve"})
	}
	statuses := r.fireAndKill(flows, func(ctx context.Context, i int) int { s, _ := decide(ctx, i); return s })

	parts := func(f resetFlow) []part {
		_, app := r.admin().Call(ctx, "check", "GET", "/admin/v1/applications/"+f.application, r.secrets.AdminToken, nil)
		return append(r.resetParts(ctx, f),
			part{"application approved", r.count("SELECT count(*) FROM applications WHERE id = $1 AND state = 'approved' AND ended_at IS NOT NULL", f.application) == 1},
			r.one("audit application_approved", "SELECT count(*) FROM audit_events WHERE flow_id = $1 AND action = 'application_approved'", f.flow),
			part{"API: application approved", app["state"] == "approved"})
	}
	applied, finished := 0, 0
	for i, f := range fs {
		name := fmt.Sprintf("application %d", i)
		if r.judge(name, parts(f)) {
			applied++
			continue
		}
		if statuses[i] == http.StatusOK {
			t.Errorf("%s answered 200 but is not applied", name)
		}
		if n := r.count("SELECT count(*) FROM applications a JOIN flows f ON f.id = a.flow_id WHERE a.id = $1 AND a.state = 'under_review' AND f.state = 'under_review'", f.application); n != 1 {
			t.Errorf("%s is not applied and not under review", name)
		}
		status, out := decide(ctx, i)
		if status != http.StatusOK || out["state"] != "approved" {
			t.Errorf("%s on the new instance: %d %v", name, status, out)
			continue
		}
		if !r.judge(name+" decided on the new instance", parts(f)) {
			t.Errorf("%s decided on the new instance is not applied", name)
		}
		finished++
	}
	t.Logf("%d approvals applied before the kill, %d left under review and approved on the new instance", applied, finished)
	r.verifyAudit()
}
