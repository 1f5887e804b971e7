package web_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/browsertest"
)

// codeRow is a code input and its get-code button as laid out.
type codeRow struct {
	Input   float64 `json:"input"`
	Button  float64 `json:"button"`
	Page    float64 `json:"page"`
	Label   string  `json:"label"`
	OneLine bool    `json:"oneLine"`
}

// codeRows measures every .with-button row on the page.
func codeRows(t *testing.T, ctx context.Context) []codeRow {
	t.Helper()
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]codeRow](`Array.from(document.querySelectorAll(".with-button")).map(r => ({
		input: r.querySelector("input").getBoundingClientRect().width,
		button: r.querySelector("button").getBoundingClientRect().width,
		page: document.documentElement.clientWidth,
		label: r.querySelector("button").textContent,
		oneLine: (b => b.scrollWidth <= b.clientWidth && b.getBoundingClientRect().height <= r.querySelector("input").getBoundingClientRect().height + 1)(r.querySelector("button"))}))`))
	if err != nil || len(rows) == 0 {
		t.Fatalf("code rows: %v (%v)", rows, err)
	}
	return rows
}

// checkCodeRows fails unless, at a phone's width, each code input is at
// least as wide as its button (counting down, the button's label is at its
// longest), the button's label stays on one line inside it and nothing
// scrolls sideways. It saves a screenshot when REBIND_TEST_SCREENSHOTS
// names a folder, to look at the layout.
func checkCodeRows(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	for _, r := range codeRows(t, ctx) {
		if r.Input+0.5 < r.Button || r.Input+r.Button > r.Page || !r.OneLine {
			t.Errorf("%s at %v px: input %.0f px, button %q %.0f px (on one line: %v)", name, r.Page, r.Input, r.Label, r.Button, r.OneLine)
		}
	}
	if wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); err != nil || wide {
		t.Errorf("%s scrolls sideways (%v)", name, err)
	}
	if dir := os.Getenv("REBIND_TEST_SCREENSHOTS"); dir != "" {
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// At 375 px (a common phone), the code inputs of the sign-in and change
// pages are as wide as their get-code buttons.
func TestBrowserCodeInputsOnAPhone(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		const email, mobile = "narrow@example.com", "+6581237101"
		s.CreateAccount(t, email, pw, mobile, false)
		ctx := browsertest.New(t, 90*time.Second)
		phone, cancel := browsertest.Mobile(ctx)
		defer cancel()
		if err := chromedp.Do(phone, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
			t.Fatal(err)
		}
		err := chromedp.Do(phone,
			chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), pw),
			chromedp.Submit(chromedp.CSS(`form[action="/login"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		waitPage(t, phone, "login_verify")
		checkCodeRows(t, phone, "login_verify")
		signInInBrowser(t, phone, s, base, email, mobile)
		if err := chromedp.Do(phone, chromedp.Navigate(base+"/settings/mobile")); err != nil {
			t.Fatal(err)
		}
		waitPage(t, phone, "mobile_intro")
		clickLabel(t, phone, "Continue")
		waitPage(t, phone, "mobile_verify")
		getCodes(t, phone, s, email, mobile)
		checkCodeRows(t, phone, "mobile_verify")
	})
}
