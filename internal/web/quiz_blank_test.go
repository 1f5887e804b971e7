package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

var deadlineOf = regexp.MustCompile(`Answer before <time datetime="([^"]+)"`)

// Without the page's script, answers with a question left blank are not
// taken at once: the same questions come back, with what was ticked, the
// blank questions marked, the deadline unchanged and [Submit anyway]. The
// attempt stays open (its chance was used when it was issued, SPEC §3.2),
// and nothing is submitted, failed or mailed until the user decides.
func TestQuizWithABlankQuestionAsksFirst(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		const email = "blank@example.com"
		id := resetAccount(t, s, email, "+6581237401", 0)
		c := s.Client()
		tok, _ := toMethodStep(t, s, c, email, 1)
		submitted := func() int {
			return storetest.Count(t, s.DB, "SELECT count(*) FROM quizzes q JOIN flows f ON f.id = q.flow_id WHERE f.account_id = $1 AND q.submitted_at IS NOT NULL", id)
		}

		// Chance 1: one question left blank, then [Submit anyway].
		_, page := post(t, c, s.URL+"/reset-mobile/quiz", url.Values{"csrf": {tok}})
		quizID, qs := questionsOf(t, page)
		deadline := deadlineOf.FindStringSubmatch(page)
		ticked := rightAnswers(t, s, id, qs)
		blank := qs[1].ID
		ticked[blank] = nil
		resp, page := post(t, c, s.URL+"/reset-mobile/answers", answerForm(tok, quizID, ticked))
		if resp.StatusCode != 422 || !strings.Contains(page, `data-page="reset_mobile_quiz"`) || !strings.Contains(page, `name="quiz" value="`+quizID+`"`) {
			t.Fatalf("a blank question: %d\n%s", resp.StatusCode, mainOf(page))
		}
		for _, want := range []string{
			"1 of the 4 questions has no option ticked.",
			"Chance 1 of 3",
			`<button type="submit" name="blank" value="ok" class="button secondary" id="submit-anyway" form="answers">Submit anyway</button>`,
			`id="submit-answers">Submit answers</button>`,
			`data-question="` + blank + `" aria-describedby="blank-` + blank + `"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("warning page lacks %q", want)
			}
		}
		if again := deadlineOf.FindStringSubmatch(page); again == nil || deadline == nil || again[1] != deadline[1] {
			t.Errorf("the deadline moved: %v, then %v", deadline, again)
		}
		for q, opts := range ticked {
			for _, o := range opts {
				if !strings.Contains(page, `name="q-`+q+`" value="`+o+`" checked>`) {
					t.Errorf("option %s of %s is no longer ticked", o, q)
				}
			}
		}
		if n := submitted(); n != 0 {
			t.Fatalf("answers were submitted: %d", n)
		}
		if left, err := s.Quiz.ChancesLeft(context.Background(), s.DB, id); err != nil || left != 2 {
			t.Fatalf("chances left: %d (%v)", left, err)
		}
		form := answerForm(tok, quizID, ticked)
		form.Set("blank", "ok")
		resp, page = post(t, c, s.URL+"/reset-mobile/answers", form)
		if resp.StatusCode != 200 || !strings.Contains(page, `data-page="reset_mobile_failed"`) || !strings.Contains(page, "<strong>2 of 3</strong>") {
			t.Fatalf("[Submit anyway]: %d\n%s", resp.StatusCode, mainOf(page))
		}

		// Chance 2: warned about every question, then every one answered.
		_, page = post(t, c, s.URL+"/reset-mobile/quiz", url.Values{"csrf": {tok}})
		quizID, qs = questionsOf(t, page)
		resp, page = post(t, c, s.URL+"/reset-mobile/answers", answerForm(tok, quizID, nil))
		if resp.StatusCode != 422 || !strings.Contains(page, "4 of the 4 questions have no option ticked.") || !strings.Contains(page, "Chance 2 of 3") {
			t.Fatalf("all blank: %d\n%s", resp.StatusCode, mainOf(page))
		}
		resp, page = post(t, c, s.URL+"/reset-mobile/answers", answerForm(tok, quizID, rightAnswers(t, s, id, qs)))
		if resp.StatusCode != 200 || !strings.Contains(page, `data-page="reset_mobile_done"`) {
			t.Fatalf("answered after the warning: %d\n%s", resp.StatusCode, mainOf(page))
		}
		if n := submitted(); n != 2 {
			t.Fatalf("submitted quizzes: %d", n)
		}
	})
}

// Past its deadline a quiz is not warned about: its time ran out, as the
// page says for any late answer.
func TestLateBlankAnswersAreNotWarnedAbout(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		clk := clock.NewFake(time.Now())
		s := apptest.Start(t, apptest.Options{Clock: clk})
		const email = "late-blank@example.com"
		resetAccount(t, s, email, "+6581237402", 0)
		c := s.Client()
		tok, _ := toMethodStep(t, s, c, email, 1)
		_, page := post(t, c, s.URL+"/reset-mobile/quiz", url.Values{"csrf": {tok}})
		quizID, _ := questionsOf(t, page)
		clk.Advance(11 * time.Minute)
		resp, page := post(t, c, s.URL+"/reset-mobile/answers", answerForm(tok, quizID, nil))
		if !strings.Contains(page, `data-page="reset_mobile_failed"`) || strings.Contains(page, "no option ticked") {
			t.Fatalf("late blank answers: %d\n%s", resp.StatusCode, mainOf(page))
		}
	})
}
