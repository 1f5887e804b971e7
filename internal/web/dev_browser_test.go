package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/browsertest"
)

// TestBrowserDemoAccountsFromTheOutbox opens the demo accounts' page the
// way a newcomer finds it, from the dev outbox, reads the rich account's
// password and history, and renews it after a chance was used; on a phone
// the long addresses wrap instead of widening the page.
func TestBrowserDemoAccountsFromTheOutbox(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, ids := demoServer(t, opts.DatabaseURL)
		const email = "alice@demo.rebind.invalid"
		flowID, _ := startDemoReset(t, s, email, "harbor-lantern-17")
		if r := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz", "", nil); r.Status != 201 {
			t.Fatalf("quiz: %d %s", r.Status, r.Raw)
		}
		ctx := browsertest.New(t, 60*time.Second)
		card := `section[data-email="` + email + `"]`
		err := chromedp.Do(ctx,
			chromedp.Navigate(s.URL+"/dev/outbox"),
			chromedp.Click(chromedp.CSS("#to-demo-accounts")),
			chromedp.WaitVisible(chromedp.CSS(`body[data-page="dev_accounts"] `+card)),
		)
		if err != nil {
			t.Fatal(err)
		}
		text, err := pageText(ctx, card)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"harbor-lantern-17", "+6591234567", "Which of these markets have you traded on?", "Security questions or documents"} {
			if !strings.Contains(text, want) {
				t.Errorf("alice's card lacks %q:\n%s", want, text)
			}
		}
		if chances, _ := pageText(ctx, card+" [data-chances]"); chances != "2" {
			t.Fatalf("after one quiz the page shows %q chances", chances)
		}
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(card+` button[data-renew]`)),
			chromedp.WaitVisible(chromedp.CSS("#renewed")),
		)
		if err != nil {
			t.Fatal(err)
		}
		if chances, _ := pageText(ctx, card+" [data-chances]"); chances != "3" {
			t.Fatalf("renewed, the page shows %q chances", chances)
		}
		if r := s.Do(t, "GET", "/api/v1/mobile-reset/"+flowID, "", nil); r.Body["state"] != "cancelled" {
			t.Fatalf("the open reset of %s after renew: %s", ids[email], r.Raw)
		}
		phone, cancel := browsertest.Mobile(ctx)
		defer cancel()
		if err := chromedp.Do(phone, chromedp.Navigate(s.URL+"/dev/accounts"), chromedp.WaitVisible(chromedp.CSS(card))); err != nil {
			t.Fatal(err)
		}
		wide, err := chromedp.Run(phone, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > screen.width`))
		if err != nil || wide {
			t.Fatalf("the page is wider than a phone (%v)", err)
		}
	})
}
