package web_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/browsertest"
	"github.com/rebindhq/rebind/internal/quiz"
)

// clickLabel clicks the visible button or link whose text is exactly label,
// as a user following the article would.
func clickLabel(t *testing.T, ctx context.Context, label string) {
	t.Helper()
	js := fmt.Sprintf(`(function (label) {
		for (const e of document.querySelectorAll("button, a")) {
			if (e.textContent.trim() === label && e.getClientRects().length > 0) { e.click(); return true; }
		}
		return false;
	})(%s)`, strconv.Quote(label))
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	if err != nil || !ok {
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.page`))
		t.Fatalf("no visible [%s] on page %q (%v)", label, page, err)
	}
}

// waitPage waits until the page named name has loaded.
func waitPage(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`body[data-page="`+name+`"]`))); err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.page + ": " + document.querySelector("main").innerText`))
		t.Fatalf("waiting for page %s: %v; on %s", name, err, page)
	}
}

// countingDown waits until the page's script has disabled the resend
// button sel for its cooldown. The script is deferred and may run after the
// page is shown, so checking at once would race it.
func countingDown(t *testing.T, ctx context.Context, sel, what string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.querySelector("`+sel+`").disabled`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("%s does not count down after a code was sent: %v", what, err)
	}
}

func mainText(t *testing.T, ctx context.Context) string {
	t.Helper()
	// Read in the page itself: chromedp.Text looks the node up by an id
	// from its own copy of the document, which a page that has just
	// replaced the last one can leave stale ("Could not find node with
	// given id", about one run in ten).
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// pageText waits for the first element matching sel and returns its
// text, read in the page. chromedp.Text looks the node up by an id from
// its own copy of the document, which a page that has just replaced the
// last one can leave stale: it then gave "" or "Could not find node with
// given id" now and then on a busy machine.
func pageText(ctx context.Context, sel string) (string, error) {
	q := "document.querySelector(" + strconv.Quote(sel) + ")"
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](q+" !== null", chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		return "", err
	}
	return chromedp.Run(ctx, chromedp.Evaluate[string](q+".innerText"))
}

// pageQuestions reads the questions shown on the quiz page.
func pageQuestions(t *testing.T, ctx context.Context) []quiz.Question {
	t.Helper()
	qs, err := chromedp.Run(ctx, chromedp.Evaluate[[]quiz.Question](`Array.from(document.querySelectorAll("fieldset.question")).map(f => ({
		id: f.dataset.question,
		text: f.querySelector("legend").textContent.trim(),
		options: Array.from(f.querySelectorAll("label.option")).map(l => ({
			id: l.querySelector("input[type=checkbox]").value, text: l.querySelector("span").textContent.trim()}))
	}))`))
	if err != nil || len(qs) != 4 {
		t.Fatalf("questions on the page: %d (%v)", len(qs), err)
	}
	return qs
}

func tick(t *testing.T, ctx context.Context, optionIDs ...string) {
	t.Helper()
	for _, id := range optionIDs {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`input[type=checkbox][value="`+id+`"]`))); err != nil {
			t.Fatal(err)
		}
	}
}

// toMethodInBrowser follows the article's steps 3 to 5 from the
// [Reset Mobile Verification] page to the choice of method.
func toMethodInBrowser(t *testing.T, ctx context.Context, s *apptest.Server, email string) {
	t.Helper()
	if h1, _ := pageText(ctx, "main h1"); h1 != "Reset Mobile Verification" {
		t.Fatalf("page title %q", h1)
	}
	if h2, _ := pageText(ctx, "h2#instructions"); h2 != "Reset instructions" {
		t.Fatalf("instructions heading %q", h2)
	}
	// Unticked, the browser refuses the form (and the server would too).
	if missing, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("agree").validity.valueMissing`)); !missing {
		t.Fatal("the agreement is not required")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#agree"))); err != nil {
		t.Fatal(err)
	}
	clickLabel(t, ctx, "Confirm reset")
	waitPage(t, ctx, "reset_mobile_account")
	mark := s.Mark(t, email)
	err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/password-reset"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	clickLabel(t, ctx, "Next")
	waitPage(t, ctx, "reset_mobile_code")
	countingDown(t, ctx, "#get-code", "the get-code button")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#code"), s.CodeSince(t, email, mark))); err != nil {
		t.Fatal(err)
	}
	clickLabel(t, ctx, "Next")
	waitPage(t, ctx, "reset_mobile_method")
}

// TestBrowserResetMobileByTheArticle follows the help-center article from
// the 2FA page to a reset by security questions, then signs in again and
// sees the rebind banner.
func TestBrowserResetMobileByTheArticle(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		const email = "article@example.com"
		id := resetAccount(t, s, email, "+6581235501", 0)
		ctx := browsertest.New(t, 90*time.Second)

		// 1. [Log In], email and password, then [Security authentication unavailable?].
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/")); err != nil {
			t.Fatal(err)
		}
		clickLabel(t, ctx, "Log In")
		waitPage(t, ctx, "login")
		err := chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), pw),
			chromedp.Submit(chromedp.CSS(`form[action="/login"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitPage(t, ctx, "login_verify")
		clickLabel(t, ctx, "Security authentication unavailable?")
		// 2. [Mobile unavailable, apply to reset], [Confirm reset].
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("dialog#unavailable"))); err != nil {
			t.Fatal(err)
		}
		chosen, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("dialog#unavailable input:checked").closest("label").querySelector("strong").textContent`))
		if chosen != "Mobile unavailable, apply to reset" {
			t.Fatalf("dialog choice %q", chosen)
		}
		clickLabel(t, ctx, "Confirm reset")
		waitPage(t, ctx, "reset_mobile")
		// 3 to 5: [Reset instructions], [Confirm reset], [Next], [Next].
		toMethodInBrowser(t, ctx, s, email)
		// 6, option 1: the reminder, [Start now], the questions.
		if text := mainText(t, ctx); !strings.Contains(text, "4 questions") || !strings.Contains(text, "3 of 3") {
			t.Fatalf("reminder: %q", text)
		}
		clickLabel(t, ctx, "Start now")
		waitPage(t, ctx, "reset_mobile_quiz")
		qs := pageQuestions(t, ctx)
		for _, ids := range rightAnswers(t, s, id, qs) {
			tick(t, ctx, ids...)
		}
		clickLabel(t, ctx, "Submit answers")
		waitPage(t, ctx, "reset_mobile_done")
		if text := mainText(t, ctx); !strings.Contains(text, "Your mobile verification was reset.") || !strings.Contains(text, "24 hours") {
			t.Fatalf("done page: %q", text)
		}
		// [Back] to sign in, now with an email code, and the banner asks to rebind.
		clickLabel(t, ctx, "Back")
		waitPage(t, ctx, "login")
		mark := s.Mark(t, email)
		err = chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), pw),
			chromedp.Submit(chromedp.CSS(`form[action="/login"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitPage(t, ctx, "login_verify")
		if label, _ := pageText(ctx, `label[for=code]`); label != "Email verification code" {
			t.Fatalf("second factor after the reset: %q", label)
		}
		err = chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#code"), s.CodeSince(t, email, mark)),
			chromedp.Click(chromedp.CSS(`form[action="/login/verify"] button.wide`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitPage(t, ctx, "account")
		banner, err := pageText(ctx, ".banner.warn")
		if err != nil || !strings.Contains(banner, "Mobile verification is off") {
			t.Fatalf("rebind banner %q (%v)", banner, err)
		}
		if href, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".banner.warn a").getAttribute("href")`)); href != "/settings/mobile" {
			t.Fatalf("banner button leads to %q", href)
		}
	})
}

// TestBrowserResetMobileOutOfChances fails the questions three times, with
// [Continue] between chances, and ends where only documents remain
// (article step 6(5)).
func TestBrowserResetMobileOutOfChances(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		const email = "unlucky@example.com"
		id := resetAccount(t, s, email, "+6581235502", 1)
		ctx := browsertest.New(t, 90*time.Second)
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/reset-mobile")); err != nil {
			t.Fatal(err)
		}
		waitPage(t, ctx, "reset_mobile")
		toMethodInBrowser(t, ctx, s, email)
		for i, label := range []string{"Start now", "Continue", "Continue"} {
			clickLabel(t, ctx, label)
			waitPage(t, ctx, "reset_mobile_quiz")
			if i == 1 { // one wrong option ticked; the others left blank
				qs := pageQuestions(t, ctx)
				right := map[string]bool{}
				for _, ids := range rightAnswers(t, s, id, qs) {
					for _, o := range ids {
						right[o] = true
					}
				}
				for _, o := range qs[0].Options {
					if !right[o.ID] {
						tick(t, ctx, o.ID)
						break
					}
				}
				checkNoSideScroll(t, ctx, s)
			}
			clickLabel(t, ctx, "Submit answers")
			// Questions are left blank: the page asks first (in a dialog, or
			// from the server before the script has run).
			if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("dialog#blank-dialog[open], #blank-warning"))); err != nil {
				t.Fatalf("attempt %d: not asked about blank questions: %v", i+1, err)
			}
			clickLabel(t, ctx, "Submit anyway")
			waitPage(t, ctx, "reset_mobile_failed")
			text := mainText(t, ctx)
			if left := 2 - i; left > 0 && !strings.Contains(text, fmt.Sprintf("%d of 3", left)) {
				t.Fatalf("attempt %d: %q", i+1, text)
			}
		}
		text := mainText(t, ctx)
		if !strings.Contains(text, "used all 3 chances") || strings.Contains(text, "Submit documents") {
			t.Fatalf("after three failures: %q", text)
		}
		clickLabel(t, ctx, "Continue")
		waitPage(t, ctx, "reset_mobile_documents")
		if text := mainText(t, ctx); !strings.Contains(text, "Apply to reset Mobile on Rebind") {
			t.Fatalf("documents page: %q", text)
		}
	})
}

// checkNoSideScroll opens the current reset step on a phone-sized screen
// (the same browser, so the same reset) and checks nothing overflows.
func checkNoSideScroll(t *testing.T, ctx context.Context, s *apptest.Server) {
	t.Helper()
	phone, cancel := browsertest.Mobile(ctx)
	defer cancel()
	if err := chromedp.Do(phone, chromedp.Navigate(s.URL+"/reset-mobile"), chromedp.WaitVisible(chromedp.CSS("fieldset.question"))); err != nil {
		t.Fatal(err)
	}
	wide, err := chromedp.Run(phone, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil || wide {
		t.Fatalf("the questions scroll sideways on a phone (%v)", err)
	}
}
