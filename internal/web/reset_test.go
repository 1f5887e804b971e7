package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
)

// The whole reset through the pages, as a browser without JavaScript would
// do it, with every inline refusal on the way.
func TestResetMobileThroughForms(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := resetAccount(t, s, "reset@example.com", "+6581234401", 0)
		c := s.Client()
		resp, page := get(t, c, s.URL+"/reset-mobile")
		tok := csrf(t, page)
		for _, want := range []string{`data-page="reset_mobile"`, "<h1>Reset Mobile Verification</h1>", ">Reset instructions</h2>",
			">Confirm reset</button>", "24 hours", "3 chances", `name="agree" value="yes" required`} {
			if !strings.Contains(page, want) {
				t.Fatalf("instructions lack %q", want)
			}
		}
		// The agreement is checked by the server too.
		resp, page = post(t, c, s.URL+"/reset-mobile/agree", url.Values{"csrf": {tok}})
		if resp.StatusCode != 400 || !strings.Contains(page, "Tick the box") || !strings.Contains(page, `data-page="reset_mobile"`) {
			t.Fatalf("no agreement: %d\n%s", resp.StatusCode, page)
		}
		resp, page = post(t, c, s.URL+"/reset-mobile/start", url.Values{"csrf": {tok}, "email": {"reset@example.com"}, "password": {pw}})
		if resp.StatusCode != 400 || !strings.Contains(page, "tick the box to accept them first") {
			t.Fatalf("start without agreeing: %d\n%s", resp.StatusCode, page)
		}
		resp, page = post(t, c, s.URL+"/reset-mobile/agree", url.Values{"csrf": {tok}, "agree": {"yes"}})
		if resp.Request.URL.String() != s.URL+"/reset-mobile" || !strings.Contains(page, `data-page="reset_mobile_account"`) ||
			!strings.Contains(page, ">Next</button>") || !strings.Contains(page, `href="/password-reset"`) {
			t.Fatalf("account step: %s\n%s", resp.Request.URL, page)
		}
		// A wrong password and an unknown email read the same.
		for _, email := range []string{"reset@example.com", "nobody@example.com"} {
			resp, page = post(t, c, s.URL+"/reset-mobile/start", url.Values{"csrf": {tok}, "email": {email}, "password": {"wrong-wrong-wrong"}})
			if resp.StatusCode != 401 || !strings.Contains(page, "The email or password is not right.") || !strings.Contains(page, `value="`+email+`"`) {
				t.Fatalf("wrong password for %s: %d\n%s", email, resp.StatusCode, page)
			}
		}
		// The flow id lives in an HttpOnly cookie, never in the address.
		noFollow := &http.Client{Jar: c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, _ = post(t, noFollow, s.URL+"/reset-mobile/start", url.Values{"csrf": {tok}, "email": {"reset@example.com"}, "password": {pw}})
		var flowCookie *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == "rebind_reset" {
				flowCookie = ck
			}
		}
		if resp.StatusCode != 303 || resp.Header.Get("Location") != "/reset-mobile" || flowCookie == nil || !flowCookie.HttpOnly ||
			flowCookie.SameSite != http.SameSiteLaxMode || flowCookie.MaxAge != 1800 {
			t.Fatalf("start: %d %q %+v", resp.StatusCode, resp.Header.Get("Location"), flowCookie)
		}
		_, page = get(t, c, s.URL+"/reset-mobile")
		if !strings.Contains(page, `data-page="reset_mobile_code"`) || !strings.Contains(page, "r****@example.com") ||
			!regexp.MustCompile(`data-resend-at="\d{10}"`).MatchString(page) || strings.Contains(page, flowCookie.Value) {
			t.Fatalf("code step:\n%s", page)
		}
		resp, page = post(t, c, s.URL+"/reset-mobile/code", url.Values{"csrf": {tok}})
		if resp.StatusCode != 429 || !regexp.MustCompile(`Try again in \d+ seconds\.`).MatchString(page) {
			t.Fatalf("resend during the cooldown: %d\n%s", resp.StatusCode, page)
		}
		resp, page = post(t, c, s.URL+"/reset-mobile/verify", url.Values{"csrf": {tok}, "code": {""}})
		if resp.StatusCode != 400 || !strings.Contains(page, "Enter the 6-digit code.") {
			t.Fatalf("empty code: %d", resp.StatusCode)
		}
		resp, page = post(t, c, s.URL+"/reset-mobile/verify", url.Values{"csrf": {tok}, "code": {"000000"}})
		if resp.StatusCode != 422 || !strings.Contains(page, "Attempts left: 4") || !strings.Contains(page, `data-page="reset_mobile_code"`) {
			t.Fatalf("wrong code: %d\n%s", resp.StatusCode, page)
		}
		resp, page = post(t, c, s.URL+"/reset-mobile/verify", url.Values{"csrf": {tok}, "code": {s.Code(t, "reset@example.com", 1)}})
		for _, want := range []string{`data-page="reset_mobile_method"`, ">Start now</button>", ">Submit documents</a>", "<strong>3 of 3</strong>", "4 questions"} {
			if !strings.Contains(page, want) {
				t.Fatalf("method step lacks %q:\n%s", want, page)
			}
		}
		// [Start now] issues the questions; a reload shows the same ones.
		_, page = post(t, c, s.URL+"/reset-mobile/quiz", url.Values{"csrf": {tok}})
		quizID, qs := questionsOf(t, page)
		if len(qs) != 4 || !strings.Contains(page, "Chance 1 of 3") || !strings.Contains(page, "Answer before") || strings.Contains(page, `type="radio"`) {
			t.Fatalf("quiz page: %d questions\n%s", len(qs), page)
		}
		for _, q := range qs {
			// Every question offers as many options, all checkboxes: nothing
			// tells how many are right.
			if len(q.Options) != len(qs[0].Options) || len(q.Options) < 4 {
				t.Fatalf("question %q has %d options", q.Text, len(q.Options))
			}
		}
		if _, again := get(t, c, s.URL+"/reset-mobile"); !strings.Contains(again, `name="quiz" value="`+quizID+`"`) {
			t.Fatal("a reload shows other questions")
		}
		// A form of other questions (an old tab) is not checked against these.
		_, page = post(t, c, s.URL+"/reset-mobile/answers", answerForm(tok, "aaaaaaaaaaaaaaaaaaaaaaaaaa", nil))
		if !strings.Contains(page, `name="quiz" value="`+quizID+`"`) {
			t.Fatalf("stale form used the quiz:\n%s", page)
		}
		resp, page = post(t, c, s.URL+"/reset-mobile/answers", answerForm(tok, quizID, rightAnswers(t, s, id, qs)))
		for _, want := range []string{`data-page="reset_mobile_done"`, "Your mobile verification was reset.", "on hold for 24 hours",
			`<a class="button" href="/login" id="back">Back</a>`, "bind a new mobile number"} {
			if !strings.Contains(page, want) {
				t.Fatalf("done page lacks %q: %d\n%s", want, resp.StatusCode, page)
			}
		}
		if acc := s.Admin(t, "GET", "/admin/v1/accounts/"+id, nil); acc.Body["mobile"] != nil || acc.Body["mobile_verification"] != false {
			t.Fatalf("account after the reset: %s", acc.Raw)
		}
		// The confirmation shows once; the next visit starts afresh.
		if _, page = get(t, c, s.URL+"/reset-mobile"); !strings.Contains(page, `data-page="reset_mobile"`) || cookieOf(c, s.URL, "rebind_reset") != "" {
			t.Fatalf("after the reset:\n%s", page)
		}
	})
}

// A failed attempt looks the same however many answers were right; after
// the third only documents remain, in this flow and in the next.
func TestResetMobileFailedAttempts(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := resetAccount(t, s, "fail@example.com", "+6581234402", 1)
		c := s.Client()
		tok, _ := toMethodStep(t, s, c, "fail@example.com", 1)
		chances := regexp.MustCompile(`<strong>\d of 3</strong>`)
		var failed []string
		for i, start := range []string{"Start now", "Continue", "Continue"} {
			_, page := post(t, c, s.URL+"/reset-mobile/quiz", url.Values{"csrf": {tok}})
			quizID, qs := questionsOf(t, page)
			if len(qs) != 4 {
				t.Fatalf("after [%s]: %d questions", start, len(qs))
			}
			ticked := map[string][]string{}
			if i == 1 { // all right but one question left blank
				ticked = rightAnswers(t, s, id, qs)
				ticked[qs[2].ID] = nil
			}
			form := answerForm(tok, quizID, ticked)
			form.Set("blank", "ok") // [Submit anyway]: blanks are asked about first
			resp, page := post(t, c, s.URL+"/reset-mobile/answers", form)
			if resp.StatusCode != 200 || !strings.Contains(page, `data-page="reset_mobile_failed"`) {
				t.Fatalf("attempt %d: %d\n%s", i+1, resp.StatusCode, page)
			}
			failed = append(failed, page)
		}
		for i, want := range []string{"<strong>2 of 3</strong>", "<strong>1 of 3</strong>"} {
			if !strings.Contains(failed[i], want) || !strings.Contains(failed[i], ">Continue</button>") ||
				!strings.Contains(failed[i], `action="/reset-mobile/quiz"`) || !strings.Contains(failed[i], ">Submit documents</a>") {
				t.Fatalf("failed page %d:\n%s", i+1, failed[i])
			}
		}
		if chances.ReplaceAllString(failed[0], "") != chances.ReplaceAllString(failed[1], "") {
			t.Fatal("a nearly right attempt reads differently from a blank one")
		}
		last := failed[2]
		if !strings.Contains(last, "used all 3 chances") || !strings.Contains(last, `<a class="button" href="/reset-mobile/documents" id="continue">Continue</a>`) ||
			strings.Contains(last, `action="/reset-mobile/quiz"`) {
			t.Fatalf("after the third attempt:\n%s", last)
		}
		resp, page := post(t, c, s.URL+"/reset-mobile/quiz", url.Values{"csrf": {tok}})
		if resp.StatusCode != 409 || !strings.Contains(page, "No security-question chances are left") {
			t.Fatalf("a fourth quiz: %d\n%s", resp.StatusCode, page)
		}
		_, page = get(t, c, s.URL+"/reset-mobile/documents")
		if !strings.Contains(page, `data-page="reset_mobile_documents"`) || !strings.Contains(page, "Apply to reset Mobile on Rebind") ||
			strings.Contains(page, "security questions instead") {
			t.Fatalf("documents page:\n%s", page)
		}
		// A new reset does not bring chances back.
		s.WaitMessages(t, "fail@example.com", 4) // the code and three failure notices
		_, page = toMethodStep(t, s, s.Client(), "fail@example.com", 5)
		if !strings.Contains(page, "used all 3 chances") || strings.Contains(page, "Start now") {
			t.Fatalf("a new reset offers questions again:\n%s", page)
		}
	})
}

// An account with too little history is offered documents only, for its
// class.
func TestResetMobileThinHistory(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "thin@example.com", pw, "+6581234403", false)
		c := s.Client()
		_, page := toMethodStep(t, s, c, "thin@example.com", 1)
		if !strings.Contains(page, "does not have enough history") || strings.Contains(page, "Start now") ||
			!strings.Contains(page, `href="/reset-mobile/documents" id="continue">Continue</a>`) {
			t.Fatalf("method page:\n%s", page)
		}
		_, page = get(t, c, s.URL+"/reset-mobile/documents")
		if !strings.Contains(page, "signed up or signed in") || strings.Contains(page, "Apply to reset Mobile") {
			t.Fatalf("documents of a non-KYC account without transfers:\n%s", page)
		}
	})
}

func TestResetMobileRefusals(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		// At the start of a 15-minute window, so the wait shown is exact.
		s := apptest.Start(t, apptest.Options{Clock: clock.NewFake(time.Now().Truncate(15 * time.Minute))})
		s.CreateAccount(t, "nomobile@example.com", pw, "", false)
		s.CreateAccount(t, "limited@example.com", pw, "+6581234404", false)
		c := s.Client()
		_, page := get(t, c, s.URL+"/reset-mobile")
		tok := csrf(t, page)
		post(t, c, s.URL+"/reset-mobile/agree", url.Values{"csrf": {tok}, "agree": {"yes"}})
		start := func(email, password string) (*http.Response, string) {
			return post(t, c, s.URL+"/reset-mobile/start", url.Values{"csrf": {tok}, "email": {email}, "password": {password}})
		}
		resp, page := start("nomobile@example.com", pw)
		if resp.StatusCode != 409 || !strings.Contains(page, "Mobile verification is not on for this account") {
			t.Fatalf("no mobile: %d\n%s", resp.StatusCode, page)
		}
		if resp, page = start("limited@example.com", strings.Repeat("x", 2000)); resp.StatusCode != 401 {
			t.Fatalf("a huge password: %d", resp.StatusCode)
		}
		for range 10 { // the huge one was not counted: 10 per email
			start("limited@example.com", "wrong-wrong-wrong")
		}
		resp, page = start("limited@example.com", pw)
		if resp.StatusCode != 429 || !strings.Contains(page, "Too many attempts. Try again in 15 minutes.") ||
			!strings.Contains(page, `data-page="reset_mobile_account"`) {
			t.Fatalf("over the limit: %d\n%s", resp.StatusCode, page)
		}
	})
}

// An expired or replaced flow sends the browser back to the start.
func TestResetMobileExpiredFlow(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		clk := clock.NewFake(time.Now())
		s := apptest.Start(t, apptest.Options{Clock: clk})
		s.CreateAccount(t, "late@example.com", pw, "+6581234405", false)
		begin := func(c *http.Client) string {
			_, page := get(t, c, s.URL+"/reset-mobile")
			tok := csrf(t, page)
			post(t, c, s.URL+"/reset-mobile/agree", url.Values{"csrf": {tok}, "agree": {"yes"}})
			_, page = post(t, c, s.URL+"/reset-mobile/start", url.Values{"csrf": {tok}, "email": {"late@example.com"}, "password": {pw}})
			if !strings.Contains(page, `data-page="reset_mobile_code"`) {
				t.Fatalf("start:\n%s", page)
			}
			return tok
		}
		a := s.Client()
		tok := begin(a)
		clk.Advance(31 * time.Minute)
		resp, page := post(t, a, s.URL+"/reset-mobile/verify", url.Values{"csrf": {tok}, "code": {"123456"}})
		if resp.StatusCode != 410 || !strings.Contains(page, "This reset has expired or was cancelled. Start again.") ||
			!strings.Contains(page, `data-page="reset_mobile"`) || cookieOf(a, s.URL, "rebind_reset") != "" {
			t.Fatalf("expired: %d\n%s", resp.StatusCode, page)
		}
		// A reset started elsewhere for the account cancels this one.
		tok = begin(a)
		begin(s.Client())
		_, page = get(t, a, s.URL+"/reset-mobile")
		if !strings.Contains(page, `data-page="reset_mobile"`) || !strings.Contains(page, "is no longer open") {
			t.Fatalf("replaced flow:\n%s", page)
		}
	})
}
