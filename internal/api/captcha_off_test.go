package api_test

import (
	"context"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/code"
)

// REBIND_CAPTCHA=off (for rebind loadtest) sends the code to a new number
// without a puzzle solved, and the audit event says the puzzle was off. A
// server in production mode asks for the puzzle even when the setting slipped
// past the configuration's refusal (SEC-CAP-1): the wiring checks the mode
// again.
func TestCaptchaOff(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		for _, c := range []struct {
			name       string
			production bool
			status     int
			errCode    string
		}{
			{"dev", false, 202, ""},
			{"production", true, 422, "captcha_invalid"},
		} {
			t.Run(c.name, func(t *testing.T) {
				s := apptest.Start(t, apptest.Options{Production: c.production, Env: map[string]string{"REBIND_CAPTCHA": "off"}})
				id := s.CreateAccount(t, "off@example.com", pw, "+6581240301", false)
				tok := s.SignIn(t, "off@example.com", pw, "+6581240301")
				flowID := verified(t, s, tok, "mobile-change", "off@example.com", "+6581240301")
				r := s.Do(t, "POST", "/api/v1/mobile-change/"+flowID+"/new-number", tok, map[string]string{"country": "SG", "number": "9123 4301"})
				if r.Status != c.status || r.ErrorCode() != c.errCode {
					t.Fatalf("new number without a puzzle: %d %s", r.Status, r.Raw)
				}
				if c.production {
					return
				}
				events, err := s.Audit.List(context.Background(), s.DB, id, 0, 500)
				if err != nil {
					t.Fatal(err)
				}
				marked := 0
				for _, e := range events {
					if e.Action == "authn_code_sent" && e.Detail["purpose"] == string(code.ChangeNewSMS) && e.Detail["puzzle"] == "off" {
						marked++
					}
				}
				if marked != 1 {
					t.Fatalf("sends marked puzzle off: %d", marked)
				}
			})
		}
	})
}
