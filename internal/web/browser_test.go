package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/browsertest"
)

// TestBrowserSignInWithSMS signs in through the pages in real Chromium,
// reading the SMS code from the dev outbox, and follows the article's first
// steps: [Log In], the 2FA page, [Security authentication unavailable?],
// [Mobile unavailable, apply to reset], [Confirm reset].
func TestBrowserSignInWithSMS(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "chrome@example.com", pw, "+6581231111", true)
		ctx := browsertest.New(t, 60*time.Second)

		err := chromedp.Do(ctx,
			chromedp.Navigate(s.URL+"/"),
			chromedp.Click(chromedp.CSS(`header a[href="/login"]`)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-page="login"] #email`)),
			chromedp.SendKeys(chromedp.CSS("#email"), "chrome@example.com"),
			chromedp.SendKeys(chromedp.CSS("#password"), pw),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-page="login_verify"] #code`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		text, err := pageText(ctx, "main")
		if err != nil || !strings.Contains(text, "+65 ****1111") {
			t.Fatalf("2FA page text %q: %v", text, err)
		}
		// The resend button counts down right after a code was sent.
		countingDown(t, ctx, "[data-resend-at]", "the resend button")
		// The dialog opens in place and leads to the reset page.
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`a[data-open-dialog="unavailable"]`)),
			chromedp.WaitVisible(chromedp.CSS("dialog#unavailable")),
		)
		if err != nil {
			t.Fatal(err)
		}
		dialog, _ := pageText(ctx, "dialog#unavailable")
		for _, label := range []string{"Security authentication unavailable?", "Mobile unavailable, apply to reset", "Confirm reset"} {
			if !strings.Contains(dialog, label) {
				t.Fatalf("dialog lacks %q: %q", label, dialog)
			}
		}
		// Cancel closes it; the code can still be entered.
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("dialog#unavailable [data-close-dialog]")),
			chromedp.WaitNotVisible(chromedp.CSS("dialog#unavailable")),
			chromedp.SendKeys(chromedp.CSS("#code"), codeFromDevOutbox(t, ctx, s, "+6581231111")),
			chromedp.Click(chromedp.CSS(`form[action="/login/verify"] button.wide`)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-page="account"] dl.facts`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		text, _ = pageText(ctx, "main")
		if !strings.Contains(text, "chrome@example.com") || !strings.Contains(text, "+65 ****1111") {
			t.Fatalf("account page: %q", text)
		}
		// The [Account] menu holds [Settings].
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("details.menu summary")), chromedp.WaitVisible(chromedp.CSS(`.menu-panel a[href="/settings"]`)))
		if err != nil {
			t.Fatal(err)
		}
	})
}

// codeFromDevOutbox reads the newest code sent to "to" from the dev outbox
// page, in another tab of the same browser, as a developer would.
func codeFromDevOutbox(t *testing.T, ctx context.Context, s *apptest.Server, to string) string {
	t.Helper()
	s.WaitMessages(t, to, 1) // the page is static: load it once the worker delivered
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	err := chromedp.Do(tab, chromedp.Navigate(s.URL+"/dev/outbox?to="+url.QueryEscape(to)),
		chromedp.WaitVisible(chromedp.CSS("article.message pre")))
	if err != nil {
		t.Fatalf("open the dev outbox: %v", err)
	}
	body, err := pageText(tab, "article.message pre")
	if err != nil {
		t.Fatalf("read the dev outbox: %v", err)
	}
	m := regexp.MustCompile(`#(\d{6})`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no code in %q", body)
	}
	return m[1]
}

func TestBrowserDialogLeadsToReset(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "lost@example.com", pw, "+6581232222", false)
		ctx := browsertest.New(t, 60*time.Second)
		err := chromedp.Do(ctx,
			chromedp.Navigate(s.URL+"/login"),
			chromedp.SendKeys(chromedp.CSS("#email"), "lost@example.com"),
			chromedp.SendKeys(chromedp.CSS("#password"), pw),
			chromedp.Submit(chromedp.CSS(`form[action="/login"]`)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-page="login_verify"] #code`)),
			chromedp.Click(chromedp.CSS(`a[data-open-dialog="unavailable"]`)),
			chromedp.WaitVisible(chromedp.CSS("dialog#unavailable")),
			chromedp.Click(chromedp.CSS(`dialog#unavailable button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-page="reset_mobile"] main h1`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		h1, _ := pageText(ctx, "main h1")
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		if h1 != "Reset Mobile Verification" || !strings.Contains(loc, "/reset-mobile") {
			t.Fatalf("after [Confirm reset]: %q at %s", h1, loc)
		}
	})
}

// An account without a bound mobile signs in with an email code.
func TestBrowserSignInWithEmailCode(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "nomobile@example.com", pw, "", false)
		ctx := browsertest.New(t, 60*time.Second)
		err := chromedp.Do(ctx,
			chromedp.Navigate(s.URL+"/login"),
			chromedp.SendKeys(chromedp.CSS("#email"), "nomobile@example.com"),
			chromedp.SendKeys(chromedp.CSS("#password"), pw),
			chromedp.Submit(chromedp.CSS(`form[action="/login"]`)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-page="login_verify"] #code`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		label, _ := pageText(ctx, `label[for=code]`)
		if label != "Email verification code" {
			t.Fatalf("code label %q", label)
		}
		err = chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#code"), s.Code(t, "nomobile@example.com", 1)),
			chromedp.Click(chromedp.CSS(`form[action="/login/verify"] button.wide`)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-page="account"] dl.facts`)),
		)
		if err != nil {
			t.Fatal(err)
		}
	})
}
