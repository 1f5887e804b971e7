package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/browsertest"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// quizzesSubmitted counts the account's answered quizzes.
func quizzesSubmitted(t *testing.T, s *apptest.Server, accountID string) int {
	t.Helper()
	return storetest.Count(t, s.DB, `SELECT count(*) FROM quizzes q JOIN flows f ON f.id = q.flow_id
		WHERE f.account_id = $1 AND q.submitted_at IS NOT NULL`, accountID)
}

// scriptReady waits until the page's deferred script has run (it has once
// the document is complete), so a click is handled by it.
func scriptReady(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.readyState === "complete"`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("page script: %v", err)
	}
}

// toQuizInBrowser follows the reset to its questions, [Start now].
func toQuizInBrowser(t *testing.T, ctx context.Context, s *apptest.Server, email string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/reset-mobile")); err != nil {
		t.Fatal(err)
	}
	waitPage(t, ctx, "reset_mobile")
	toMethodInBrowser(t, ctx, s, email)
	clickLabel(t, ctx, "Start now")
	waitPage(t, ctx, "reset_mobile_quiz")
}

// blankDialog waits for the dialog that asks about blank questions and
// returns its text.
func blankDialog(t *testing.T, ctx context.Context) string {
	t.Helper()
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(wait, chromedp.WaitVisible(chromedp.CSS("dialog#blank-dialog"))); err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.page + ": " + document.querySelector("main").innerText`))
		t.Fatalf("no dialog about blank questions: %v; on %s", err, page)
	}
	text, err := pageText(ctx, "dialog#blank-dialog")
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// At desktop width, [Submit answers] with a question left blank opens a
// dialog naming how many; [Go back] returns to the questions with nothing
// sent, and the answers completed pass.
func TestBrowserQuizAsksAboutBlankQuestions(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		const email = "blank-browser@example.com"
		id := resetAccount(t, s, email, "+6581237501", 0)
		ctx := browsertest.New(t, 90*time.Second)
		toQuizInBrowser(t, ctx, s, email)
		qs := pageQuestions(t, ctx)
		right := rightAnswers(t, s, id, qs)
		for _, q := range qs[:3] {
			tick(t, ctx, right[q.ID]...)
		}
		scriptReady(t, ctx)
		clickLabel(t, ctx, "Submit answers")
		text := blankDialog(t, ctx)
		for _, want := range []string{"1 of the 4 questions has no option ticked.", "chance 1 of 3", "Go back", "Submit anyway"} {
			if !strings.Contains(text, want) {
				t.Errorf("dialog lacks %q: %q", want, text)
			}
		}
		clickLabel(t, ctx, "Go back")
		err := chromedp.Do(ctx,
			chromedp.WaitNotVisible(chromedp.CSS("dialog#blank-dialog")),
			chromedp.Poll[chromedp.Void](`document.activeElement.closest("fieldset") === document.querySelectorAll("fieldset.question")[3]`,
				chromedp.WithPollingTimeout(5*time.Second)),
		)
		if err != nil {
			t.Fatalf("[Go back]: %v", err)
		}
		if n := quizzesSubmitted(t, s, id); n != 0 {
			t.Fatalf("answers were sent before the user chose: %d", n)
		}
		tick(t, ctx, right[qs[3].ID]...)
		clickLabel(t, ctx, "Submit answers")
		waitPage(t, ctx, "reset_mobile_done")
	})
}

// On a phone, every question left blank: the dialog fits the screen and
// [Submit anyway] sends the answers, which fail.
func TestBrowserQuizSubmitAnywayOnAPhone(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		const email = "blank-phone@example.com"
		id := resetAccount(t, s, email, "+6581237502", 0)
		ctx := browsertest.New(t, 90*time.Second)
		phone, cancel := browsertest.Mobile(ctx)
		defer cancel()
		if err := chromedp.Do(phone, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
			t.Fatal(err)
		}
		toQuizInBrowser(t, phone, s, email)
		scriptReady(t, phone)
		clickLabel(t, phone, "Submit answers")
		if text := blankDialog(t, phone); !strings.Contains(text, "4 of the 4 questions have no option ticked.") {
			t.Fatalf("dialog: %q", text)
		}
		fits, err := chromedp.Run(phone, chromedp.Evaluate[bool](`(() => {
		const r = document.querySelector("dialog#blank-dialog").getBoundingClientRect();
		return r.left >= 0 && r.right <= window.innerWidth && document.documentElement.scrollWidth <= window.innerWidth;
	})()`))
		if err != nil || !fits {
			t.Fatalf("the dialog does not fit a phone (%v)", err)
		}
		clickLabel(t, phone, "Submit anyway")
		waitPage(t, phone, "reset_mobile_failed")
		if n := quizzesSubmitted(t, s, id); n != 1 {
			t.Fatalf("submitted: %d", n)
		}
	})
}

// Without JavaScript, the server asks instead: the same questions come
// back with a warning and [Submit anyway].
func TestBrowserQuizAsksWithoutJavaScript(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		const email = "blank-nojs@example.com"
		id := resetAccount(t, s, email, "+6581237503", 0)
		ctx := browsertest.New(t, 90*time.Second)
		toQuizInBrowser(t, ctx, s, email)
		// The questions again, now without the page's script.
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/reset-mobile")); err != nil {
			t.Fatal(err)
		}
		waitPage(t, ctx, "reset_mobile_quiz")
		if text, err := pageText(ctx, "time[data-local]"); err != nil || !strings.HasSuffix(text, " UTC") {
			t.Errorf("without JavaScript the deadline reads %q, want UTC (%v)", text, err)
		}
		qs := pageQuestions(t, ctx)
		tick(t, ctx, rightAnswers(t, s, id, qs)[qs[0].ID]...)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#submit-answers"))); err != nil {
			t.Fatal(err)
		}
		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := chromedp.Do(wait, chromedp.WaitVisible(chromedp.CSS("#blank-warning"))); err != nil {
			t.Fatalf("no warning without JavaScript: %v", err)
		}
		if text := mainText(t, ctx); !strings.Contains(text, "3 of the 4 questions have no option ticked.") {
			t.Fatalf("warning: %q", text)
		}
		if kept, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("input[type=checkbox]:checked").length`)); err != nil || kept == 0 {
			t.Fatalf("the ticked options were lost (%v)", err)
		}
		if n := quizzesSubmitted(t, s, id); n != 0 {
			t.Fatalf("submitted before the user chose: %d", n)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#submit-anyway"))); err != nil {
			t.Fatal(err)
		}
		waitPage(t, ctx, "reset_mobile_failed")
	})
}
