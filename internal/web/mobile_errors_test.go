package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
)

// Each refusal of the first step is said beside its field.
func TestChangeCodeErrorsInline(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		s.CreateAccount(t, "codes@example.com", pw, "+6581230011", false)
		c := signedInClient(t, s, base, "codes@example.com", "+6581230011")
		_, page := get(t, c, base+"/settings/mobile")
		tok := csrf(t, page)
		post(t, c, base+"/settings/mobile/start", url.Values{"csrf": {tok}})
		post(t, c, base+"/settings/mobile/email-code", url.Values{"csrf": {tok}})

		// Asked again during the cooldown: the wait, beside the email code.
		resp, page := post(t, c, base+"/settings/mobile/email-code", url.Values{"csrf": {tok}})
		onPage(t, resp, page, "mobile_verify", 429)
		if !strings.Contains(page, `id="email-error" role="alert">No more codes can be sent for now. Try again in`) {
			t.Fatalf("resend during the cooldown:\n%s", mainOf(page))
		}
		// An SMS code entered before any was sent, and a wrong email code.
		resp, page = post(t, c, base+"/settings/mobile/verify", url.Values{"csrf": {tok}, "email_code": {"000000"}, "sms_code": {"111111"}})
		onPage(t, resp, page, "mobile_verify", 422)
		if !strings.Contains(page, `id="email-error" role="alert">The code is not right. Attempts left: 4.`) ||
			!strings.Contains(page, `id="sms-error" role="alert">This code was not accepted either.`) {
			t.Fatalf("two wrong codes:\n%s", mainOf(page))
		}
		// Only the SMS code given: the email code is asked for.
		resp, page = post(t, c, base+"/settings/mobile/verify", url.Values{"csrf": {tok}, "sms_code": {"111111"}})
		onPage(t, resp, page, "mobile_verify", 400)
		if !strings.Contains(page, "Enter the 6-digit email verification code.") {
			t.Fatalf("missing email code:\n%s", mainOf(page))
		}
		// A step of a later state sends the browser back to where the flow is.
		resp, page = post(t, c, base+"/settings/mobile/number", url.Values{"csrf": {tok}, "country": {"SG"}, "number": {"81230012"}})
		onPage(t, resp, page, "mobile_verify", 200)
		resp, page = get(t, c, base+"/settings/mobile/puzzle")
		onPage(t, resp, page, "mobile_verify", 200)
	})
}

// The new number: the one bound now is refused at once; one bound to
// another account only after its SMS code proved the phone, without
// saying whose it is; a puzzle answer that is missing or used again gets
// a new puzzle.
func TestChangeNumberErrors(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		id := s.CreateAccount(t, "taken@example.com", pw, "+6581230021", false)
		s.CreateAccount(t, "holder@example.com", pw, "+6581230022", false)
		c := signedInClient(t, s, base, "taken@example.com", "+6581230021")
		tok := toNewNumber(t, s, c, base, "taken@example.com", "+6581230021")

		resp, page := post(t, c, base+"/settings/mobile/number", url.Values{"csrf": {tok}, "country": {"SG"}, "number": {"8123 0021"}})
		onPage(t, resp, page, "mobile_number", 400)
		if !strings.Contains(page, "This is the number bound to your account now.") || !strings.Contains(page, `value="8123 0021"`) {
			t.Fatalf("the current number:\n%s", mainOf(page))
		}
		resp, page = post(t, c, base+"/settings/mobile/number", url.Values{"csrf": {tok}, "country": {""}, "number": {"81230022"}})
		onPage(t, resp, page, "mobile_number", 400)
		if !strings.Contains(page, "Choose the country code of the new number.") {
			t.Fatalf("no country:\n%s", mainOf(page))
		}
		resp, page = post(t, c, base+"/settings/mobile/number", url.Values{"csrf": {tok}, "country": {"SG"}, "number": {"81230022"}})
		onPage(t, resp, page, "mobile_puzzle", 200)

		// Released without a drag (or without the script): a new puzzle.
		first := puzzleID(t, page)
		resp, page = post(t, c, base+"/settings/mobile/puzzle", url.Values{"csrf": {tok}, "captcha": {first}})
		onPage(t, resp, page, "mobile_puzzle", 422)
		if !strings.Contains(page, "Drag the slider until the piece fits the gap.") || puzzleID(t, page) == first {
			t.Fatalf("no answer:\n%s", mainOf(page))
		}
		// A solved puzzle is used up by its send.
		solved := puzzleID(t, page)
		x, _ := s.Captcha.AnswerForTest(context.Background(), solved)
		resp, page = post(t, c, base+"/settings/mobile/puzzle", solveForm(tok, solved, x, 3))
		onPage(t, resp, page, "mobile_confirm", 200)
		resp, page = post(t, c, base+"/settings/mobile/puzzle", solveForm(tok, solved, x, 3))
		onPage(t, resp, page, "mobile_puzzle", 422)
		if !strings.Contains(page, "The puzzle was not solved. Try this new one.") {
			t.Fatalf("a puzzle answered twice:\n%s", mainOf(page))
		}

		resp, page = post(t, c, base+"/settings/mobile/confirm", url.Values{"csrf": {tok}, "sms_code": {s.Code(t, "+6581230022", 1)}})
		onPage(t, resp, page, "mobile_number", 422)
		if !strings.Contains(page, "This number cannot be bound to your account. Enter another number.") ||
			strings.Contains(page, "holder@") || strings.Contains(page, `value="+6581230022"`) {
			t.Fatalf("a number bound elsewhere:\n%s", mainOf(page))
		}
		if a, _ := s.Accounts.ByID(context.Background(), s.DB, id); a.Mobile != "+6581230021" {
			t.Fatalf("number changed to one bound elsewhere: %+v", a)
		}
		// Another number goes through from here.
		resp, page = post(t, c, base+"/settings/mobile/number", url.Values{"csrf": {tok}, "country": {"SG"}, "number": {"81230023"}})
		onPage(t, resp, page, "mobile_puzzle", 200)
	})
}

// "Send again" on the code page leads to a new puzzle, and the new send
// keeps to the cooldown; a flow past its lifetime starts again.
func TestChangeSendAgainAndExpiry(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		clk := clock.NewFake(time.Now())
		s, base := changeServer(t, apptest.Options{Clock: clk, Env: map[string]string{"REBIND_SESSION_IDLE": "2h"}})
		s.CreateAccount(t, "again@example.com", pw, "+6581230031", false)
		c := signedInClient(t, s, base, "again@example.com", "+6581230031")
		tok := toNewNumber(t, s, c, base, "again@example.com", "+6581230031")
		resp, page := post(t, c, base+"/settings/mobile/number", url.Values{"csrf": {tok}, "country": {"SG"}, "number": {"81230032"}})
		onPage(t, resp, page, "mobile_puzzle", 200)
		resp, page = solve(t, s, c, base, tok, page)
		onPage(t, resp, page, "mobile_confirm", 200)

		resp, page = get(t, c, base+"/settings/mobile/puzzle")
		onPage(t, resp, page, "mobile_puzzle", 200)
		resp, page = solve(t, s, c, base, tok, page)
		onPage(t, resp, page, "mobile_confirm", 429)
		if !strings.Contains(page, "No more codes can be sent for now. Try again in") {
			t.Fatalf("send again during the cooldown:\n%s", mainOf(page))
		}
		clk.Advance(61 * time.Second)
		mark := s.Mark(t, "+6581230032")
		_, page = get(t, c, base+"/settings/mobile/puzzle")
		resp, page = solve(t, s, c, base, tok, page)
		onPage(t, resp, page, "mobile_confirm", 200)
		fresh := s.CodeSince(t, "+6581230032", mark)

		clk.Advance(31 * time.Minute)
		resp, page = post(t, c, base+"/settings/mobile/confirm", url.Values{"csrf": {tok}, "sms_code": {fresh}})
		onPage(t, resp, page, "mobile_intro", 410)
		if !strings.Contains(page, "This change has expired or was replaced by a newer one. Start again.") || cookieOf(c, base, "rebind_mobile") != "" {
			t.Fatalf("an expired flow:\n%s", mainOf(page))
		}
		resp, page = post(t, c, base+"/settings/mobile/start", url.Values{"csrf": {tok}})
		onPage(t, resp, page, "mobile_verify", 200)
	})
}

// A flow cookie left by another account is not this user's flow.
func TestChangeFlowOfAnotherAccount(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		s.CreateAccount(t, "first@example.com", pw, "+6581230041", false)
		s.CreateAccount(t, "second@example.com", pw, "+6581230042", false)
		c := signedInClient(t, s, base, "first@example.com", "+6581230041")
		_, page := get(t, c, base+"/settings/mobile")
		post(t, c, base+"/settings/mobile/start", url.Values{"csrf": {csrf(t, page)}})
		other := signedInClient(t, s, base, "second@example.com", "+6581230042")
		u, _ := url.Parse(base)
		steal := func() {
			other.Jar.SetCookies(u, []*http.Cookie{{Name: "rebind_mobile", Value: cookieOf(c, base, "rebind_mobile"), Path: "/"}})
		}
		steal()
		resp, page := get(t, other, base+"/settings/mobile")
		onPage(t, resp, page, "mobile_intro", 200)
		if cookieOf(other, base, "rebind_mobile") != "" {
			t.Fatal("another account's flow cookie kept")
		}
		steal()
		mark := s.Mark(t, "first@example.com")
		resp, page = post(t, other, base+"/settings/mobile/email-code", url.Values{"csrf": {csrf(t, page)}})
		onPage(t, resp, page, "mobile_intro", 410)
		if len(s.Messages(t, "first@example.com")) != len(mark) {
			t.Fatal("a code was sent for another account's flow")
		}
	})
}
