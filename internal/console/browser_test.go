package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/browsertest"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/staff"
)

// In Chromium, at a desktop's width and at 320 px: a new member opens
// their enrolment link, reads the key written on the page (the QR code
// shows under the site's CSP), types a password and the app's code and
// presses Enter; the console's home says who they are; they visit the
// members' page, sign out with the keyboard, and sign in again with the
// next code. No page scrolls sideways.
func TestBrowserEnrolSignInSignOut(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, clk := fakeServer(t, opts)
		browser := browsertest.New(t, 120*time.Second)
		for _, width := range []int64{1280, 320} {
			email := fmt.Sprintf("w%d@example.com", width)
			_, tok, err := s.Staff.Add(context.Background(), staff.Operator, email, staff.Admin)
			if err != nil {
				t.Fatal(err)
			}
			tab, cancel := chromedp.NewContext(browser)
			defer cancel()
			if err := chromedp.Do(tab, chromedp.EmulateViewport(width, 800)); err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%d px", width)
			secret := enrolInBrowser(t, tab, clk, s.InternalURL+staff.EnrolPath+tok, name)
			if text := mainText(t, tab); !strings.Contains(text, email) || !strings.Contains(text, "admin") {
				t.Fatalf("%s: the home does not say who is signed in:\n%s", name, text)
			}
			if err := chromedp.Do(tab, chromedp.Navigate(s.InternalURL+"/staff/members")); err != nil {
				t.Fatal(err)
			}
			waitPage(t, tab, "members")
			fits(t, tab, name+" members")
			signOutByKeyboard(t, tab)
			fits(t, tab, name+" login")
			nextStep(clk)
			signInInBrowser(t, tab, email, apptest.StaffPassword, code(t, secret, clk))
			waitPage(t, tab, "queue")
			if who := evaluate[string](t, tab, `document.querySelector("[data-signed-in]").textContent`); who != email {
				t.Fatalf("%s: signed in as %q", name, who)
			}
			signOutByKeyboard(t, tab)
		}
	})
}

// enrolInBrowser opens an enrolment link, reads the key off the page and
// completes the form with the keyboard, landing on the console's home. It
// returns the key, from which the member's app makes its codes.
func enrolInBrowser(t *testing.T, tab context.Context, clk *clock.Fake, link, name string) string {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(link)); err != nil {
		t.Fatal(err)
	}
	waitPage(t, tab, "enrol")
	fits(t, tab, name+" enrol")
	if !evaluate[bool](t, tab, `(i => i.complete && i.naturalWidth > 0)(document.querySelector("img.qr"))`) {
		t.Fatalf("%s: the QR code does not show", name)
	}
	secret := evaluate[string](t, tab, `document.getElementById("secret").textContent.replace(/\s+/g, "")`)
	err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.CSS("#password"), apptest.StaffPassword),
		chromedp.SendKeys(chromedp.CSS("#confirm"), apptest.StaffPassword),
		chromedp.SendKeys(chromedp.CSS("#code"), code(t, secret, clk)+"\r"),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitPage(t, tab, "queue")
	fits(t, tab, name+" queue")
	return secret
}

// signInInBrowser fills the sign-in form and sends it with Enter.
func signInInBrowser(t *testing.T, tab context.Context, email, pw, code string) {
	t.Helper()
	err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.SendKeys(chromedp.CSS("#code"), code+"\r"),
	)
	if err != nil {
		t.Fatal(err)
	}
}

// signOutByKeyboard moves to the sign-out button with Tab from the page's
// start and presses Enter on it.
func signOutByKeyboard(t *testing.T, tab context.Context) {
	t.Helper()
	for range 10 {
		if err := chromedp.Do(tab, chromedp.KeyEvent("\t")); err != nil {
			t.Fatal(err)
		}
		if evaluate[string](t, tab, `document.activeElement.textContent.trim()`) == "Sign out" {
			if err := chromedp.Do(tab, chromedp.KeyEvent("\r")); err != nil {
				t.Fatal(err)
			}
			waitPage(t, tab, "login")
			return
		}
	}
	t.Fatal("Tab does not reach [Sign out]")
}

func evaluate[T any](t *testing.T, tab context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// waitPage waits until the page named name has loaded.
func waitPage(t *testing.T, tab context.Context, name string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS(`body[data-page="`+name+`"]`))); err != nil {
		page, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.body.dataset.page + ": " + document.querySelector("main").innerText`))
		t.Fatalf("waiting for page %s: %v; on %s", name, err, page)
	}
}

func mainText(t *testing.T, tab context.Context) string {
	t.Helper()
	return evaluate[string](t, tab, `document.querySelector("main").innerText`)
}

// fits fails if the page scrolls sideways. It saves a screenshot when
// REBIND_TEST_SCREENSHOTS names a folder.
func fits(t *testing.T, tab context.Context, name string) {
	t.Helper()
	if evaluate[bool](t, tab, `document.documentElement.scrollWidth > window.innerWidth`) {
		t.Errorf("%s scrolls sideways", name)
	}
	if dir := os.Getenv("REBIND_TEST_SCREENSHOTS"); dir != "" {
		shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "staff "+name+".png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
