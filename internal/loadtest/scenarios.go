package loadtest

import (
	"slices"
	"time"
)

// scenario is one kind of flow: how its accounts are seeded, how many
// flows an account may take (0: any number), and the flow itself, which
// checks its outcome.
type scenario struct {
	name string
	// uses stays under the owner's code budget of 5 sends an hour per
	// destination (docs/security.md), counting the seeding's sign-in.
	uses int
	seed seedKind
	flow func(t *Tool, r *run, a *account) error
}

type seedKind struct {
	mobile, history, signIn, bare bool
}

// Scenarios lists the scenarios rebind loadtest knows, mixed and bare
// included.
var Scenarios = []string{"signin", "email-code", "reset-quiz", "change", "eligibility", "mixed", "bare"}

// mixWeights is mixed's share of each scenario: the wallet's eligibility
// question dominates, sign-ins next, security changes are rare.
var mixWeights = []struct {
	name   string
	weight int
}{{"eligibility", 60}, {"signin", 20}, {"email-code", 8}, {"change", 7}, {"reset-quiz", 5}}

func scenarioOf(name string) (*scenario, bool) {
	switch name {
	case "signin":
		return &scenario{name: name, uses: 4, seed: seedKind{mobile: true}, flow: signIn}, true
	case "email-code":
		return &scenario{name: name, uses: 3, seed: seedKind{signIn: true}, flow: bindEmailCode}, true
	case "reset-quiz":
		return &scenario{name: name, uses: 1, seed: seedKind{mobile: true, history: true}, flow: resetQuiz}, true
	case "change":
		return &scenario{name: name, uses: 3, seed: seedKind{mobile: true, signIn: true}, flow: changeNumber}, true
	case "eligibility":
		return &scenario{name: name, seed: seedKind{}, flow: eligibility}, true
	case "bare":
		return &scenario{name: name, seed: seedKind{bare: true}, flow: bareEligibility}, true
	case "mixed":
		return &scenario{name: name}, true
	}
	return nil, false
}

func signIn(t *Tool, r *run, a *account) error {
	since := time.Now()
	out, err := r.call("start", 200, "POST", t.cfg.BaseURL+"/api/v1/sessions", "", map[string]string{"email": a.email, "password": a.password})
	if err != nil {
		return err
	}
	if str(out, "method") != "sms" {
		return wrong("start", "second factor "+str(out, "method")+", not sms")
	}
	code, err := r.code(t.inbox, "sms", a.mobile, since, t.cfg.CodeTimeout)
	if err != nil {
		return err
	}
	out, err = r.call("verify", 200, "POST", t.cfg.BaseURL+"/api/v1/sessions/"+str(out, "login_id")+"/verify", "", map[string]string{"code": code})
	if err != nil {
		return err
	}
	tok := str(out, "token")
	if out, err = r.call("check", 200, "GET", t.cfg.BaseURL+"/api/v1/sessions/current", tok, nil); err != nil {
		return err
	}
	if str(out, "account_id") != a.id {
		return wrong("check", "session of another account")
	}
	_, err = r.call("sign_out", 204, "DELETE", t.cfg.BaseURL+"/api/v1/sessions/current", tok, nil)
	return err
}

// bindEmailCode is the bind's email step, the flow with an email code and
// nothing else: open, send the code, read it, verify.
func bindEmailCode(t *Tool, r *run, a *account) error {
	out, err := r.call("open", 201, "POST", t.cfg.BaseURL+"/api/v1/mobile-bind", a.token, nil)
	if err != nil {
		return err
	}
	r.flowID = str(out, "flow_id")
	base := t.cfg.BaseURL + "/api/v1/mobile-bind/" + r.flowID
	since := time.Now()
	if _, err := r.call("send", 202, "POST", base+"/email-code", a.token, nil); err != nil {
		return err
	}
	code, err := r.code(t.inbox, "email", a.email, since, t.cfg.CodeTimeout)
	if err != nil {
		return err
	}
	if out, err = r.call("verify", 200, "POST", base+"/verify", a.token, map[string]string{"email_code": code}); err != nil {
		return err
	}
	if str(out, "state") != "new_number" || out["email_verified"] != true {
		return wrong("verify", "state "+str(out, "state"))
	}
	return nil
}

// resetQuiz resets mobile verification as the owner: email and password,
// the email code, the questions answered from the seeded history.
func resetQuiz(t *Tool, r *run, a *account) error {
	since := time.Now()
	out, err := r.call("start", 201, "POST", t.cfg.BaseURL+"/api/v1/mobile-reset", "",
		map[string]any{"email": a.email, "password": a.password, "agree": true})
	if err != nil {
		return err
	}
	r.flowID = str(out, "flow_id")
	base := t.cfg.BaseURL + "/api/v1/mobile-reset/" + r.flowID
	code, err := r.code(t.inbox, "email", a.email, since, t.cfg.CodeTimeout)
	if err != nil {
		return err
	}
	if out, err = r.call("verify", 200, "POST", base+"/email-code/verify", "", map[string]string{"code": code}); err != nil {
		return err
	}
	if methods, _ := out["methods"].([]any); !slices.Contains(methods, any("questions")) {
		return wrong("verify", "no questions offered")
	}
	qz, err := r.call("quiz", 201, "POST", base+"/quiz", "", nil)
	if err != nil {
		return err
	}
	ans, err := answers(a.facts, qz)
	if err != nil {
		return wrong("quiz", err.Error())
	}
	if out, err = r.call("answers", 200, "POST", base+"/quiz/"+str(qz, "quiz_id")+"/answers", "", map[string]any{"answers": ans}); err != nil {
		return err
	}
	if str(out, "result") != "passed" || str(out, "state") != "completed" {
		return wrong("answers", "result "+str(out, "result"))
	}
	if out, err = r.call("check", 200, "GET", base, "", nil); err != nil {
		return err
	}
	if str(out, "state") != "completed" {
		return wrong("check", "state "+str(out, "state"))
	}
	return nil
}

// changeNumber changes the bound number: both codes of the first step,
// the new number (the server runs with REBIND_CAPTCHA=off), its code.
func changeNumber(t *Tool, r *run, a *account) error {
	out, err := r.call("open", 201, "POST", t.cfg.BaseURL+"/api/v1/mobile-change", a.token, nil)
	if err != nil {
		return err
	}
	r.flowID = str(out, "flow_id")
	base := t.cfg.BaseURL + "/api/v1/mobile-change/" + r.flowID
	sinceEmail := time.Now()
	if _, err := r.call("email_code", 202, "POST", base+"/email-code", a.token, nil); err != nil {
		return err
	}
	sinceSMS := time.Now()
	if _, err := r.call("sms_code", 202, "POST", base+"/sms-code", a.token, nil); err != nil {
		return err
	}
	emailCode, err := r.code(t.inbox, "email", a.email, sinceEmail, t.cfg.CodeTimeout)
	if err != nil {
		return err
	}
	smsCode, err := r.code(t.inbox, "sms", a.mobile, sinceSMS, t.cfg.CodeTimeout)
	if err != nil {
		return err
	}
	if out, err = r.call("verify", 200, "POST", base+"/verify", a.token, map[string]string{"email_code": emailCode, "sms_code": smsCode}); err != nil {
		return err
	}
	if str(out, "state") != "new_number" {
		return wrong("verify", "state "+str(out, "state"))
	}
	e164, region, national := t.ids.mobile()
	r.newMobile = e164
	since := time.Now()
	if _, err := r.call("new_number", 202, "POST", base+"/new-number", a.token, map[string]string{"country": region, "number": national}); err != nil {
		return err
	}
	code, err := r.code(t.inbox, "new_sms", e164, since, t.cfg.CodeTimeout)
	if err != nil {
		return err
	}
	if out, err = r.call("confirm", 200, "POST", base+"/confirm", a.token, map[string]string{"sms_code": code}); err != nil {
		return err
	}
	if str(out, "state") != "completed" {
		return wrong("confirm", "state "+str(out, "state"))
	}
	a.mobile = e164
	return nil
}

func eligibility(t *Tool, r *run, a *account) error {
	return askEligibility(r, t.cfg.AdminURL, t.cfg.AdminToken, a.id)
}

func bareEligibility(t *Tool, r *run, a *account) error {
	return askEligibility(r, t.bareURL, t.cfg.AdminToken, a.id)
}

func askEligibility(r *run, base, token, id string) error {
	out, err := r.call("eligibility", 200, "GET", base+"/admin/v1/accounts/"+id+"/withdrawal-eligibility", token, nil)
	if err != nil {
		return err
	}
	if _, ok := out["allowed"].(bool); !ok {
		return wrong("eligibility", "no allowed field")
	}
	return nil
}
