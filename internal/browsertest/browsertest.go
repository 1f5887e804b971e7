// Package browsertest drives a real headless Chromium for page tests. When
// no browser is installed the test is skipped, unless
// REBIND_TEST_REQUIRE_CHROMIUM=1 (CI sets it), which makes it a failure.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path returns the Chromium binary to use.
func Path() string {
	if p := os.Getenv("REBIND_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// New starts a fresh headless browser (its own empty profile) and returns a
// context for chromedp actions, ended with the test. timeout bounds the
// whole test's browsing.
func New(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	path := Path()
	if path == "" {
		if os.Getenv("REBIND_TEST_REQUIRE_CHROMIUM") == "1" {
			t.Fatal("REBIND_TEST_REQUIRE_CHROMIUM=1 but no Chromium was found (install Debian's chromium package)")
		}
		t.Skip("Chromium not installed: install Debian's chromium package to run page tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// Mobile returns a context emulating a phone-sized touch screen in a new tab
// of the same browser.
func Mobile(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := chromedp.NewContext(parent)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		cancel()
		return parent, func() {}
	}
	return ctx, cancel
}
