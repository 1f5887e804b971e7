package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

// The whole change through the pages, as a browser without JavaScript
// would do it (the puzzle aside, whose answer the slider posts), with a
// mistake at each code.
func TestChangeMobileThroughForms(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		id := s.CreateAccount(t, "change@example.com", pw, "+6581230001", false)
		c := signedInClient(t, s, base, "change@example.com", "+6581230001")

		resp, page := get(t, c, base+"/settings")
		if resp.StatusCode != 200 || !strings.Contains(page, "Account Verification") || !strings.Contains(page, "+65 ****0001") ||
			!strings.Contains(page, `<a class="button small secondary" href="/settings/mobile" id="change-mobile">Change</a>`) {
			t.Fatalf("settings: %d\n%s", resp.StatusCode, mainOf(page))
		}
		resp, page = get(t, c, base+"/settings/mobile")
		onPage(t, resp, page, "mobile_intro", 200)
		for _, want := range []string{"24 hours", "signed out on every other device", "SMS to the old number", ">Continue</button>"} {
			if !strings.Contains(page, want) {
				t.Fatalf("warning lacks %q:\n%s", want, mainOf(page))
			}
		}
		tok := csrf(t, page)
		resp, page = post(t, c, base+"/settings/mobile/start", url.Values{"csrf": {tok}})
		onPage(t, resp, page, "mobile_verify", 200)
		flowCookie := cookieOf(c, base, "rebind_mobile")
		if !strings.HasPrefix(flowCookie, "change.") || strings.Contains(resp.Request.URL.String(), strings.TrimPrefix(flowCookie, "change.")) {
			t.Fatalf("flow cookie %q, URL %s", flowCookie, resp.Request.URL)
		}
		for _, want := range []string{"Email verification code", "SMS code", `id="get-email-code"`, `id="get-sms-code"`, "+65 ****0001", ">Next</button>"} {
			if !strings.Contains(page, want) {
				t.Fatalf("verify page lacks %q:\n%s", want, mainOf(page))
			}
		}

		mark, markSMS := s.Mark(t, "change@example.com"), s.Mark(t, "+6581230001")
		resp, page = post(t, c, base+"/settings/mobile/email-code", url.Values{"csrf": {tok}})
		onPage(t, resp, page, "mobile_verify", 200)
		// Its button counts down; the SMS one, not used yet, does not.
		if !strings.Contains(page, "A code was sent to c****@example.com") || strings.Contains(page, `id="get-email-code" data-resend-at="-`) ||
			!strings.Contains(page, `id="get-sms-code" data-resend-at="-`) {
			t.Fatalf("after sending the email code:\n%s", mainOf(page))
		}
		post(t, c, base+"/settings/mobile/sms-code", url.Values{"csrf": {tok}})
		emailCode, smsCode := s.CodeSince(t, "change@example.com", mark), s.CodeSince(t, "+6581230001", markSMS)

		// A wrong email code and a right SMS code: the SMS code is kept.
		resp, page = post(t, c, base+"/settings/mobile/verify", url.Values{"csrf": {tok}, "email_code": {wrong(emailCode)}, "sms_code": {smsCode}})
		onPage(t, resp, page, "mobile_verify", 422)
		if !strings.Contains(page, `id="email-error" role="alert">The code is not right. Attempts left: 4.`) ||
			!strings.Contains(page, `id="sms-verified"`) || strings.Contains(page, `id="sms-code"`) {
			t.Fatalf("after a wrong email code:\n%s", mainOf(page))
		}
		resp, page = post(t, c, base+"/settings/mobile/verify", url.Values{"csrf": {tok}, "email_code": {emailCode}})
		onPage(t, resp, page, "mobile_number", 200)
		if !strings.Contains(page, `<option value="SG" data-example="8123 4567" selected>Singapore +65</option>`) ||
			!strings.Contains(page, `<label for="country">Country code</label>`) || !strings.Contains(page, `<label for="number">Mobile number</label>`) {
			t.Fatalf("number page:\n%s", mainOf(page))
		}

		resp, page = post(t, c, base+"/settings/mobile/number", url.Values{"csrf": {tok}, "country": {"SG"}, "number": {"6123 4567"}})
		onPage(t, resp, page, "mobile_number", 400)
		if !strings.Contains(page, "Not a valid mobile number for Singapore") && !strings.Contains(page, "Not a mobile number for Singapore") {
			t.Fatalf("a fixed-line number:\n%s", mainOf(page))
		}
		resp, page = post(t, c, base+"/settings/mobile/number", url.Values{"csrf": {tok}, "country": {"SG"}, "number": {"8123 0002"}})
		onPage(t, resp, page, "mobile_puzzle", 200)
		if !strings.Contains(page, "Slide to complete the pattern verification") || !strings.Contains(page, "+65 ****0002") {
			t.Fatalf("puzzle page:\n%s", mainOf(page))
		}

		// A wrong answer gets a new puzzle; the right one sends the SMS code.
		first := puzzleID(t, page)
		answer, _ := s.Captcha.AnswerForTest(context.Background(), first)
		resp, page = post(t, c, base+"/settings/mobile/puzzle", solveForm(tok, first, answer+40, 1))
		onPage(t, resp, page, "mobile_puzzle", 422)
		if !strings.Contains(page, "The puzzle was not solved") || puzzleID(t, page) == first {
			t.Fatalf("after a wrong answer:\n%s", mainOf(page))
		}
		markNew := s.Mark(t, "+6581230002")
		resp, page = solve(t, s, c, base, tok, page)
		onPage(t, resp, page, "mobile_confirm", 200)
		if !strings.Contains(page, "+65 ****0002") || !strings.Contains(page, ">Send again</button>") {
			t.Fatalf("confirm page:\n%s", mainOf(page))
		}
		newCode := s.CodeSince(t, "+6581230002", markNew)
		resp, page = post(t, c, base+"/settings/mobile/confirm", url.Values{"csrf": {tok}, "sms_code": {wrong(newCode)}})
		onPage(t, resp, page, "mobile_confirm", 422)
		if !strings.Contains(page, "Attempts left: 4") {
			t.Fatalf("after a wrong SMS code:\n%s", mainOf(page))
		}
		resp, page = post(t, c, base+"/settings/mobile/confirm", url.Values{"csrf": {tok}, "sms_code": {newCode}})
		onPage(t, resp, page, "mobile_done", 200)
		for _, want := range []string{"Mobile number changed", "+65 ****0002", "24 hours", "signed out on every other device", `href="/settings"`} {
			if !strings.Contains(page, want) {
				t.Fatalf("success page lacks %q:\n%s", want, mainOf(page))
			}
		}
		if a, err := s.Accounts.ByID(context.Background(), s.DB, id); err != nil || a.Mobile != "+6581230002" || !a.MobileVerification {
			t.Fatalf("account after the change: %+v %v", a, err)
		}
		// Shown once; the next visit is a new start, and settings show the number.
		if cookieOf(c, base, "rebind_mobile") != "" || cookieOf(c, base, "rebind_mobile_number") != "" {
			t.Fatal("flow cookies kept after the change")
		}
		_, page = get(t, c, base+"/settings")
		if !strings.Contains(page, "+65 ****0002") {
			t.Fatalf("settings after the change:\n%s", mainOf(page))
		}
	})
}

// wrong returns another code than c.
func wrong(c string) string {
	if c == "000000" {
		return "000001"
	}
	return "000000"
}

// An account without a number binds one: the same pages with only the
// email code first.
func TestBindMobileThroughForms(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		id := s.CreateAccount(t, "bind@example.com", pw, "", false)
		c := signedInClient(t, s, base, "bind@example.com", "bind@example.com")
		_, page := get(t, c, base+"/settings")
		if !strings.Contains(page, "Not bound") || !strings.Contains(page, `id="bind-mobile">Bind</a>`) {
			t.Fatalf("settings without a number:\n%s", mainOf(page))
		}
		resp, page := get(t, c, base+"/settings/mobile")
		onPage(t, resp, page, "mobile_intro", 200)
		if !strings.Contains(page, "Bind mobile number") || strings.Contains(page, "old number") {
			t.Fatalf("bind warning:\n%s", mainOf(page))
		}
		tok := csrf(t, page)
		resp, page = post(t, c, base+"/settings/mobile/start", url.Values{"csrf": {tok}})
		onPage(t, resp, page, "mobile_verify", 200)
		if !strings.HasPrefix(cookieOf(c, base, "rebind_mobile"), "bind.") || strings.Contains(page, "sms_code") || !strings.Contains(page, "Email verification code") {
			t.Fatalf("bind verify page:\n%s", mainOf(page))
		}
		resp, page = post(t, c, base+"/settings/mobile/verify", url.Values{"csrf": {tok}})
		onPage(t, resp, page, "mobile_verify", 400)
		if !strings.Contains(page, "Enter the 6-digit email verification code.") {
			t.Fatalf("empty code:\n%s", mainOf(page))
		}
		mark := s.Mark(t, "bind@example.com")
		post(t, c, base+"/settings/mobile/email-code", url.Values{"csrf": {tok}})
		resp, page = post(t, c, base+"/settings/mobile/verify", url.Values{"csrf": {tok}, "email_code": {s.CodeSince(t, "bind@example.com", mark)}})
		onPage(t, resp, page, "mobile_number", 200)
		resp, page = post(t, c, base+"/settings/mobile/number", url.Values{"csrf": {tok}, "country": {"GB"}, "number": {"07400 123456"}})
		onPage(t, resp, page, "mobile_puzzle", 200)
		resp, page = solve(t, s, c, base, tok, page)
		onPage(t, resp, page, "mobile_confirm", 200)
		resp, page = post(t, c, base+"/settings/mobile/confirm", url.Values{"csrf": {tok}, "sms_code": {s.Code(t, "+447400123456", 1)}})
		onPage(t, resp, page, "mobile_done", 200)
		if !strings.Contains(page, "Mobile number bound") || !strings.Contains(page, "+44 ****3456") {
			t.Fatalf("bind success page:\n%s", mainOf(page))
		}
		if a, _ := s.Accounts.ByID(context.Background(), s.DB, id); a.Mobile != "+447400123456" {
			t.Fatalf("account after the bind: %+v", a)
		}
	})
}

// The number field's check answers as the user types, for the signed-in
// user only, and says what is wrong with the library's words.
func TestNumberCheckEndpoint(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		s.CreateAccount(t, "check@example.com", pw, "+6581230003", false)
		c := signedInClient(t, s, base, "check@example.com", "+6581230003")
		for _, tc := range []struct {
			country, number string
			valid           bool
			says            string
		}{
			{"SG", "8123 4567", true, "A valid mobile number for Singapore."},
			{"SG", "+65 8123 4567", true, "Singapore"},
			{"SG", "6123 4567", false, "for Singapore"},
			{"SG", "8123", false, "Singapore"},
			{"SG", "81230003", false, "bound to your account now"},
			{"SG", "8123abc", false, "only digits"},
			{"GB", "+65 8123 4567", false, "belongs to Singapore"},
			{"", "81234567", false, "Choose the country code"},
			{"ZZ", "81234567", false, "Unknown country code ZZ"},
		} {
			resp, body := get(t, c, base+"/settings/mobile/check?"+url.Values{"country": {tc.country}, "number": {tc.number}}.Encode())
			var got struct {
				Valid   bool
				Message string
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 200 ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("%s %s: %d %s", tc.country, tc.number, resp.StatusCode, body)
			}
			if got.Valid != tc.valid || !strings.Contains(got.Message, tc.says) {
				t.Errorf("%s %q: %+v, want valid=%v saying %q", tc.country, tc.number, got, tc.valid, tc.says)
			}
		}
		resp, _ := get(t, s.Client(), base+"/settings/mobile/check?country=SG&number=81234567")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("check without a session: %d", resp.StatusCode)
		}
	})
}

// The change pages are for signed-in users only.
func TestChangePagesNeedSignIn(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		c := s.Client()
		_, page := get(t, c, base+"/login")
		tok := csrf(t, page)
		for _, path := range []string{"/settings", "/settings/mobile", "/settings/mobile/number", "/settings/mobile/puzzle"} {
			resp, _ := get(t, c, base+path)
			if resp.Request.URL.Path != "/login" {
				t.Errorf("GET %s went to %s", path, resp.Request.URL)
			}
		}
		for _, path := range []string{"/settings/mobile/start", "/settings/mobile/email-code", "/settings/mobile/verify", "/settings/mobile/confirm"} {
			resp, _ := post(t, c, base+path, url.Values{"csrf": {tok}})
			if resp.Request.URL.Path != "/login" {
				t.Errorf("POST %s went to %s", path, resp.Request.URL)
			}
		}
	})
}
