package faulttest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// changeFlow is a signed-in account with a change of number waiting for
// the new number's code.
type changeFlow struct {
	account, email, old, number, token, flow, code string
	// prior counts the account's changes applied before this one, and
	// superseded says a later change of the account followed it (the load
	// test's accounts change their number several times).
	prior      int
	superseded bool
}

// toNewNumber opens a change as flow i's user, enters both codes and
// gives the new number; it returns the flow id and the new number's code.
func (r *rig) toNewNumber(ctx context.Context, i int, f changeFlow) (string, string, error) {
	c := r.user(i)
	out, err := r.must(ctx, c, "open", http.StatusCreated, "POST", "/api/v1/mobile-change", f.token, nil)
	if err != nil {
		return "", "", err
	}
	base := "/api/v1/mobile-change/" + out["flow_id"].(string)
	seenEmail, seenSMS := r.sinks.Count(f.email), r.sinks.Count(f.old)
	if _, err := r.must(ctx, c, "email code", http.StatusAccepted, "POST", base+"/email-code", f.token, nil); err != nil {
		return "", "", err
	}
	if _, err := r.must(ctx, c, "sms code", http.StatusAccepted, "POST", base+"/sms-code", f.token, nil); err != nil {
		return "", "", err
	}
	emailCode, err := r.code(ctx, f.email, seenEmail)
	if err != nil {
		return "", "", err
	}
	smsCode, err := r.code(ctx, f.old, seenSMS)
	if err != nil {
		return "", "", err
	}
	if _, err := r.must(ctx, c, "verify", http.StatusOK, "POST", base+"/verify", f.token,
		map[string]string{"email_code": emailCode, "sms_code": smsCode}); err != nil {
		return "", "", err
	}
	seen := r.sinks.Count(f.number)
	if _, err := r.must(ctx, c, "new number", http.StatusAccepted, "POST", base+"/new-number", f.token,
		map[string]string{"country": "SG", "number": strings.TrimPrefix(f.number, "+65")}); err != nil {
		return "", "", err
	}
	code, err := r.code(ctx, f.number, seen)
	return strings.TrimPrefix(base, "/api/v1/mobile-change/"), code, err
}

// changeParts are what a confirmed change implies (internal/change bind):
// the new number bound and the old one in the history, the hold, the flow
// completed, the audit event, the notices by email and to the old number,
// the "This wasn't me" link; in the database and through the API. The
// account's parts are counted after f.prior changes applied before; of a
// superseded change only the parts of its own flow are judged (the number,
// hold, email notice and link then show the later change), and after a
// prior change the hold is there already.
func (r *rig) changeParts(ctx context.Context, i int, f changeFlow) []part {
	ps := []part{
		r.one("old number in the history", "SELECT count(*) FROM mobile_history WHERE account_id = $1 AND mobile = $2 AND flow_id = $3", f.account, f.old, f.flow),
		{"flow completed", r.count("SELECT count(*) FROM flows WHERE id = $1 AND state = 'completed'", f.flow) == 1},
		r.one("audit mobile_change_completed", "SELECT count(*) FROM audit_events WHERE flow_id = $1 AND action = 'mobile_change_completed' AND result = 'ok'", f.flow),
		r.one("SMS notice to the old number", "SELECT count(*) FROM outbox WHERE channel = 'sms' AND recipient = $1 AND template = 'mobile_changed'", f.old),
	}
	_, fl := r.user(i).Call(ctx, "check", "GET", "/api/v1/mobile-change/"+f.flow, f.token, nil)
	ps = append(ps, part{"API: flow completed", fl["state"] == "completed"})
	if f.superseded {
		return ps
	}
	_, acc := r.admin().Call(ctx, "check", "GET", "/admin/v1/accounts/"+f.account, r.secrets.AdminToken, nil)
	ps = append(ps,
		part{"new number bound", r.count("SELECT count(*) FROM accounts WHERE id = $1 AND mobile = $2 AND mobile_verification", f.account, f.number) == 1},
		r.nth("email notice", f.prior, "SELECT count(*) FROM outbox WHERE channel = 'email' AND recipient = $1 AND template = 'mobile_changed'", f.email),
		r.nth("stop link", f.prior, "SELECT count(*) FROM stop_tokens WHERE account_id = $1 AND event = 'mobile_change'", f.account),
		part{"API: new number", acc["mobile"] == f.number})
	if f.prior > 0 {
		return ps
	}
	_, el := r.admin().Call(ctx, "check", "GET", "/admin/v1/accounts/"+f.account+"/withdrawal-eligibility", r.secrets.AdminToken, nil)
	reasons, _ := el["reasons"].([]any)
	return append(ps,
		r.one("hold", "SELECT count(*) FROM holds WHERE account_id = $1 AND reason = 'mobile_change'", f.account),
		part{"API: withdrawals held for mobile_change", el["allowed"] == false && slices.Contains(reasons, any("mobile_change"))})
}

// killDuringChangeConfirm kills the instance while 20 changes of
// number are being confirmed (docs/api.md: on confirm, in one
// transaction, the code's check included). A change left as it was is
// still at confirm_new with its code unused, and the same code confirms it
// on the new instance.
func killDuringChangeConfirm(t *testing.T, r *rig) {
	ctx := context.Background()
	fs := make([]changeFlow, flows)
	parallel(t, flows, func(i int) error {
		f := changeFlow{email: fmt.Sprintf("change-%d@example.com", i), old: fmt.Sprintf("+6591%06d", i), number: fmt.Sprintf("+6581%06d", i)}
		out, err := r.must(ctx, r.admin(), "create", http.StatusCreated, "POST", "/admin/v1/accounts", r.secrets.AdminToken,
			map[string]any{"email": f.email, "password": password, "mobile": f.old})
		if err != nil {
			return err
		}
		f.account, _ = out["id"].(string)
		c := r.user(i)
		seen := r.sinks.Count(f.old)
		if out, err = r.must(ctx, c, "sign in", http.StatusOK, "POST", "/api/v1/sessions", "",
			map[string]string{"email": f.email, "password": password}); err != nil {
			return err
		}
		code, err := r.code(ctx, f.old, seen)
		if err != nil {
			return err
		}
		if out, err = r.must(ctx, c, "sign-in code", http.StatusOK, "POST", "/api/v1/sessions/"+out["login_id"].(string)+"/verify", "",
			map[string]string{"code": code}); err != nil {
			return err
		}
		f.token, _ = out["token"].(string)
		if f.flow, f.code, err = r.toNewNumber(ctx, i, f); err != nil {
			return err
		}
		fs[i] = f
		return nil
	})
	confirm := func(ctx context.Context, i int, f changeFlow) (int, map[string]any) {
		return r.user(i).Call(ctx, "confirm", "POST", "/api/v1/mobile-change/"+f.flow+"/confirm", f.token,
			map[string]string{"sms_code": f.code})
	}
	statuses := r.fireAndKill(flows, func(ctx context.Context, i int) int { s, _ := confirm(ctx, i, fs[i]); return s })

	applied, again := 0, 0
	for i, f := range fs {
		name := fmt.Sprintf("change %d", i)
		if r.judge(name, r.changeParts(ctx, i, f)) {
			applied++
			continue
		}
		if statuses[i] == http.StatusOK {
			t.Errorf("%s answered 200 but is not applied", name)
		}
		if n := r.count("SELECT count(*) FROM accounts a JOIN flows f ON f.account_id = a.id WHERE f.id = $1 AND f.state = 'confirm_new' AND a.mobile = $2",
			f.flow, f.old); n != 1 {
			t.Errorf("%s is not applied and not at confirm_new with the old number bound", name)
		}
		if n := r.count("SELECT count(*) FROM codes WHERE flow_id = $1 AND consumed_at IS NOT NULL AND purpose = 'change_new_sms'", f.flow); n != 0 {
			t.Errorf("%s is not applied but its code was used up", name)
		}
		status, out := confirm(ctx, i, f)
		again++
		if status != http.StatusOK || out["state"] != "completed" {
			t.Errorf("%s on the new instance: %d %v", name, status, out)
			continue
		}
		if !r.judge(name+" confirmed on the new instance", r.changeParts(ctx, i, f)) {
			t.Errorf("%s confirmed on the new instance is not applied", name)
		}
	}
	t.Logf("%d changes applied before the kill; the other %d confirmed with the same code on the new instance", applied, again)
	r.verifyAudit()
}
