package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/quiz"
)

// resetAccount creates a KYC account with a mobile and a rich history.
func resetAccount(t *testing.T, s *apptest.Server, email, mobile string, seed int) string {
	return s.AccountWithHistory(t, email, pw, mobile, seed)
}

// rightAnswers works out the right options from the account's facts, as its
// owner would, for questions as a page shows them.
func rightAnswers(t *testing.T, s *apptest.Server, accountID string, qs []quiz.Question) map[string][]string {
	t.Helper()
	f, err := quiz.Load(context.Background(), s.DB, accountID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, q := range qs {
		var kind quiz.Kind
		for _, spec := range quiz.Specs {
			if spec.Text == q.Text {
				kind = spec.Kind
			}
		}
		if kind == "" {
			t.Fatalf("unknown question %q", q.Text)
		}
		ids := []string{}
		for _, o := range q.Options {
			for _, v := range f.Values(kind) {
				if o.Text == quiz.OptionText(kind, v) || (kind == quiz.WithdrawalAddresses && strings.HasPrefix(o.Text, quiz.MaskAddress(v))) {
					ids = append(ids, o.ID)
				}
			}
		}
		out[q.ID] = ids
	}
	return out
}

var (
	questionBlock = regexp.MustCompile(`(?s)<fieldset class="question" data-question="([^"]+)">\s*<legend>(.*?)</legend>(.*?)</fieldset>`)
	optionInput   = regexp.MustCompile(`(?s)<input type="checkbox" name="q-([^"]+)" value="([^"]+)">\s*<span>(.*?)</span>`)
	quizField     = regexp.MustCompile(`name="quiz" value="([^"]+)"`)
)

// questionsOf reads the questions of a quiz page (already unescaped).
func questionsOf(t *testing.T, page string) (string, []quiz.Question) {
	t.Helper()
	m := quizField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no quiz on the page:\n%s", page)
	}
	var qs []quiz.Question
	for _, b := range questionBlock.FindAllStringSubmatch(page, -1) {
		q := quiz.Question{ID: b[1], Text: b[2]}
		for _, o := range optionInput.FindAllStringSubmatch(b[3], -1) {
			if o[1] != q.ID {
				t.Fatalf("option %s of question %s is named for %s", o[2], q.ID, o[1])
			}
			q.Options = append(q.Options, quiz.ShownOption{ID: o[2], Text: o[3]})
		}
		qs = append(qs, q)
	}
	return m[1], qs
}

// answerForm is the form a browser sends for the ticked options.
func answerForm(tok, quizID string, ticked map[string][]string) url.Values {
	form := url.Values{"csrf": {tok}, "quiz": {quizID}}
	for q, opts := range ticked {
		form["q-"+q] = opts
	}
	return form
}

// toMethodStep walks the reset pages from the instructions to the choice of
// method; the email code is the n-th message to email.
func toMethodStep(t *testing.T, s *apptest.Server, c *http.Client, email string, n int) (tok, page string) {
	t.Helper()
	_, page = get(t, c, s.URL+"/reset-mobile")
	tok = csrf(t, page)
	post(t, c, s.URL+"/reset-mobile/agree", url.Values{"csrf": {tok}, "agree": {"yes"}})
	resp, page := post(t, c, s.URL+"/reset-mobile/start", url.Values{"csrf": {tok}, "email": {email}, "password": {pw}})
	if resp.StatusCode != 200 || !strings.Contains(page, `data-page="reset_mobile_code"`) {
		t.Fatalf("start: %d\n%s", resp.StatusCode, page)
	}
	resp, page = post(t, c, s.URL+"/reset-mobile/verify", url.Values{"csrf": {tok}, "code": {s.Code(t, email, n)}})
	if resp.StatusCode != 200 || !strings.Contains(page, `data-page="reset_mobile_method"`) {
		t.Fatalf("verify: %d\n%s", resp.StatusCode, page)
	}
	return tok, page
}

// cookieOf returns the value of a cookie the client holds for the server.
func cookieOf(c *http.Client, base, name string) string {
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}
