package api_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// wrongCode returns a code of the right shape that is not right.
func wrongCode(right string) string {
	if right == "000000" {
		return "000001"
	}
	return "000000"
}

// SEC-RACE-1 through a bind's verify, which checks the code and moves the
// flow in one transaction: 40 wrong codes at once get exactly the 5
// entries a code has, each counted and answered once (4 left, 3, … 0),
// the rest code_expired; every answer is audited, and the right code is
// dead after them.
func TestConcurrentWrongCodesOnABind(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "guess@example.com", pw, "", false)
		tok := s.SignIn(t, "guess@example.com", pw, "guess@example.com")
		r := s.Do(t, "POST", "/api/v1/mobile-bind", tok, nil)
		flowID := r.Body["flow_id"].(string)
		base := "/api/v1/mobile-bind/" + flowID
		right := sendCode(t, s, tok, base+"/email-code", "guess@example.com")
		const n = 40
		answers := make(chan apptest.Response, n)
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-gate
				answers <- s.Do(t, "POST", base+"/verify", tok, map[string]string{"email_code": wrongCode(right)})
			})
		}
		close(gate)
		wg.Wait()
		close(answers)
		var left []int
		expired := 0
		for r := range answers {
			switch {
			case r.Status == 422 && r.ErrorCode() == "invalid_code":
				left = append(left, int(r.Body["error"].(map[string]any)["attempts_left"].(float64)))
			case r.Status == 422 && r.ErrorCode() == "code_expired":
				expired++
			default:
				t.Errorf("unexpected answer %d %s", r.Status, r.Raw)
			}
		}
		slices.Sort(left)
		if !slices.Equal(left, []int{0, 1, 2, 3, 4}) || expired != n-5 {
			t.Fatalf("attempts left in the invalid_code answers %v, %d code_expired; want 0 to 4 once each and %d", left, expired, n-5)
		}
		if a := storetest.Count(t, s.DB, "SELECT attempts FROM codes WHERE flow_id = $1", flowID); a != 5 {
			t.Fatalf("attempts %d, want 5", a)
		}
		if e := storetest.Count(t, s.DB, "SELECT count(*) FROM audit_events WHERE flow_id = $1 AND action = $2", flowID, string(audit.AuthnCodeFail)); e != n {
			t.Fatalf("%d failed entries audited, want %d", e, n)
		}
		if r := s.Do(t, "POST", base+"/verify", tok, map[string]string{"email_code": right}); r.Status != 422 || r.ErrorCode() != "code_expired" {
			t.Fatalf("the right code after 5 wrong: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "GET", base, tok, nil); r.Body["state"] != "verify_email" || r.Body["email_verified"] != false {
			t.Fatalf("status: %s", r.Raw)
		}
	})
}

// A change's verify with the email code wrong and the SMS code right keeps
// the SMS code accepted: only the email code is asked for again, and the
// flow moves when it is right. Only the wrong one is audited.
func TestChangeVerifyKeepsTheRightCode(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "typo@example.com", pw, "+6581240041", false)
		tok := s.SignIn(t, "typo@example.com", pw, "+6581240041")
		r := s.Do(t, "POST", "/api/v1/mobile-change", tok, nil)
		flowID := r.Body["flow_id"].(string)
		base := "/api/v1/mobile-change/" + flowID
		email := sendCode(t, s, tok, base+"/email-code", "typo@example.com")
		sms := sendCode(t, s, tok, base+"/sms-code", "+6581240041")
		r = s.Do(t, "POST", base+"/verify", tok, map[string]string{"email_code": wrongCode(email), "sms_code": sms})
		if r.Status != 422 || r.ErrorCode() != "invalid_code" {
			t.Fatalf("a wrong email code: %d %s", r.Status, r.Raw)
		}
		r = s.Do(t, "GET", base, tok, nil)
		if r.Body["state"] != "verify_current" || r.Body["email_verified"] != false || r.Body["sms_verified"] != true {
			t.Fatalf("after the typo: %s", r.Raw)
		}
		if r := s.Do(t, "POST", base+"/verify", tok, map[string]string{"email_code": email}); r.Status != 200 || r.Body["state"] != "new_number" {
			t.Fatalf("the email code alone: %d %s", r.Status, r.Raw)
		}
		if e := storetest.Count(t, s.DB, "SELECT count(*) FROM audit_events WHERE flow_id = $1 AND action = $2", flowID, string(audit.AuthnCodeFail)); e != 1 {
			t.Fatalf("%d failed entries audited, want 1", e)
		}
	})
}
