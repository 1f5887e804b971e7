package api_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/quiz"
)

// resetAccount creates a KYC account with a mobile and a rich history.
func resetAccount(t *testing.T, s *apptest.Server, email, mobile string, seed int) string {
	return s.AccountWithHistory(t, email, pw, mobile, seed)
}

// answer works out the right answers from the account's facts, as its
// owner would.
func answer(t *testing.T, s *apptest.Server, accountID string, qz map[string]any) map[string][]string {
	t.Helper()
	f, err := quiz.Load(context.Background(), s.DB, accountID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, raw := range qz["questions"].([]any) {
		q := raw.(map[string]any)
		var kind quiz.Kind
		for _, spec := range quiz.Specs {
			if spec.Text == q["text"] {
				kind = spec.Kind
			}
		}
		ids := []string{}
		for _, o := range q["options"].([]any) {
			opt := o.(map[string]any)
			for _, v := range f.Values(kind) {
				if opt["text"] == v || (kind == quiz.WithdrawalAddresses && strings.HasPrefix(opt["text"].(string), quiz.MaskAddress(v))) {
					ids = append(ids, opt["id"].(string))
				}
			}
		}
		out[q["id"].(string)] = ids
	}
	return out
}

// wrongAnswers answers every question with its first option only.
func wrongAnswers(qz map[string]any, right map[string][]string) map[string][]string {
	out := map[string][]string{}
	for _, raw := range qz["questions"].([]any) {
		q := raw.(map[string]any)
		out[q["id"].(string)] = right[q["id"].(string)]
	}
	for id := range out {
		out[id] = nil
		out[id] = []string{}
		break
	}
	return out
}

// startReset runs the reset to method_required and returns the flow id.
func startReset(t *testing.T, s *apptest.Server, email string) string {
	t.Helper()
	mark := s.Mark(t, email)
	r := s.Do(t, "POST", "/api/v1/mobile-reset", "", map[string]any{"email": email, "password": pw, "agree": true})
	if r.Status != 201 || r.Body["state"] != "email_code_required" {
		t.Fatalf("start: %d %s", r.Status, r.Raw)
	}
	id := r.Body["flow_id"].(string)
	code := s.CodeSince(t, email, mark)
	r = s.Do(t, "POST", "/api/v1/mobile-reset/"+id+"/email-code/verify", "", map[string]string{"code": code})
	if r.Status != 200 || r.Body["state"] != "method_required" {
		t.Fatalf("verify: %d %s", r.Status, r.Raw)
	}
	return id
}

func TestResetWithQuestions(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := resetAccount(t, s, "quiz@example.com", "+6581237777", 0)
		old := s.SignIn(t, "quiz@example.com", pw, "+6581237777")
		flowID := startReset(t, s, "quiz@example.com")
		r := s.Do(t, "GET", "/api/v1/mobile-reset/"+flowID, "", nil)
		if r.Body["quiz_chances_left"] != float64(3) || r.Body["document_class"] != "kyc" ||
			fmt.Sprint(r.Body["methods"]) != "[questions documents]" {
			t.Fatalf("status: %s", r.Raw)
		}
		if msgs := s.WaitMessages(t, "+6581237777", 2); !strings.Contains(msgs[0].Body, "reset of your mobile verification") {
			t.Fatalf("the bound mobile was not told: %q", msgs[0].Body)
		}
		r = s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz", "", nil)
		if r.Status != 201 || len(r.Body["questions"].([]any)) != 4 {
			t.Fatalf("quiz: %d %s", r.Status, r.Raw)
		}
		right := answer(t, s, id, r.Body)
		r = s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz/"+r.Body["quiz_id"].(string)+"/answers", "", map[string]any{"answers": right})
		if r.Status != 200 || r.Body["result"] != "passed" || r.Body["state"] != "completed" {
			t.Fatalf("answers: %d %s", r.Status, r.Raw)
		}
		// Every step is audited; the answers chosen never are (SEC-AUD-4).
		trail := s.Admin(t, "GET", "/admin/v1/audit?account="+id, nil)
		for _, want := range []string{"mobile_reset_started", "mobile_reset_email_verified", "mobile_reset_quiz_issued", "mobile_reset_completed"} {
			if !strings.Contains(string(trail.Raw), `"action":"`+want+`"`) {
				t.Errorf("audit trail lacks %s", want)
			}
		}
		for _, ids := range right {
			for _, optID := range ids {
				if strings.Contains(string(trail.Raw), optID) {
					t.Fatalf("the audit trail holds a chosen answer")
				}
			}
		}
		// The outcome (SPEC §3.2 step 5).
		acc := s.Admin(t, "GET", "/admin/v1/accounts/"+id, nil)
		if acc.Body["mobile"] != nil || acc.Body["mobile_verification"] != false {
			t.Fatalf("account after reset: %s", acc.Raw)
		}
		e := s.Admin(t, "GET", "/admin/v1/accounts/"+id+"/withdrawal-eligibility", nil)
		until, _ := time.Parse(time.RFC3339, e.Body["until"].(string))
		if e.Body["allowed"] != false || fmt.Sprint(e.Body["reasons"]) != "[mobile_reset]" || time.Until(until) < 23*time.Hour {
			t.Fatalf("eligibility after reset: %s", e.Raw)
		}
		if r := s.Do(t, "GET", "/api/v1/account", old, nil); r.Status != 401 {
			t.Fatalf("an old session survived the reset: %d", r.Status)
		}
		mail := s.WaitMessages(t, "quiz@example.com", 2)[0]
		if !strings.Contains(mail.Subject, "Mobile verification was reset") || !regexp.MustCompile(`This wasn't me: http://127\.0\.0\.1/stop\?t=[a-z2-7]{26}`).MatchString(mail.Body) {
			t.Fatalf("reset email: %q %q", mail.Subject, mail.Body)
		}
		sms := s.WaitMessages(t, "+6581237777", 3)[0]
		if !strings.Contains(sms.Body, "no longer verifies") || !strings.Contains(sms.Body, "/stop?t=") {
			t.Fatalf("old number not told: %q", sms.Body)
		}
		// Sign-in now asks for an email code, and the account asks to rebind.
		mark := s.Mark(t, "quiz@example.com")
		r = s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "quiz@example.com", "password": pw})
		if r.Body["method"] != "email" {
			t.Fatalf("sign-in after reset: %s", r.Raw)
		}
		s.CodeSince(t, "quiz@example.com", mark) // delivered before the next sign-in's
		tok := s.SignIn(t, "quiz@example.com", pw, "quiz@example.com")
		if r := s.Do(t, "GET", "/api/v1/account", tok, nil); r.Body["rebind_required"] != true || r.Body["mobile"] != nil {
			t.Fatalf("account: %s", r.Raw)
		}
		var hist []account.MobileRecord
		hist, _ = s.Accounts.MobileHistory(context.Background(), s.DB, id)
		if len(hist) != 1 || hist[0].Mobile != "+6581237777" || hist[0].Reason != "mobile_reset" {
			t.Fatalf("mobile history: %+v", hist)
		}
		_ = http.StatusOK
	})
}

// Issue 8: a failed quiz is told to the bound mobile as well as by email,
// with the "This wasn't me" link (SEC-REC-4).
func TestFailedQuizIsToldToTheBoundMobile(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := resetAccount(t, s, "told@example.com", "+6581237778", 1)
		flowID := startReset(t, s, "told@example.com")
		mark := s.Mark(t, "+6581237778")
		qz := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz", "", nil)
		if qz.Status != 201 {
			t.Fatalf("quiz: %d %s", qz.Status, qz.Raw)
		}
		wrong := wrongAnswers(qz.Body, answer(t, s, id, qz.Body))
		r := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz/"+qz.Body["quiz_id"].(string)+"/answers", "", map[string]any{"answers": wrong})
		if r.Body["result"] != "failed" {
			t.Fatalf("answers: %d %s", r.Status, r.Raw)
		}
		var sms string
		apptest.Eventually(t, 10*time.Second, "the SMS about the failed quiz", func() bool {
			for _, m := range s.Messages(t, "+6581237778") {
				if !mark[m.ID] && strings.Contains(m.Body, "security questions") {
					sms = m.Body
					return true
				}
			}
			return false
		})
		if len(sms) > 160 || !strings.Contains(sms, "/stop?t=") || strings.Contains(sms, "told@") {
			t.Fatalf("the SMS: %q", sms)
		}
	})
}
