// Package browsertest drives a real headless Chromium for page tests. When
// no browser is installed the test is skipped, unless
// REBIND_TEST_REQUIRE_CHROMIUM=1 (CI sets it), which makes it a failure.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"sync"
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

// One browser per test binary: starting Chromium costs about two seconds
// of CPU, and a package's page tests start dozens. Each test gets its own
// browser context instead (cookies, storage and cache of its own, as a
// fresh profile has), disposed of when the test ends. Main closes the
// browser and removes its profile; should a test binary end without it,
// the browser dies with the process (chromedp sets the parent-death
// signal).
var shared struct {
	mu     sync.Mutex
	root   context.Context // the browser's first tab
	cancel func()
	dir    string
}

// Main runs a package's tests and then closes the shared browser; call it
// from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	closeShared()
	os.Exit(code)
}

func closeShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cancel != nil {
		shared.cancel()
		os.RemoveAll(shared.dir)
		shared.root, shared.cancel, shared.dir = nil, nil, ""
	}
}

// browser returns the shared browser, starting it on first use or after it
// went away (a crash, a test that cancelled it).
func browser(path string) (context.Context, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.root != nil && shared.root.Err() == nil {
		return shared.root, nil
	}
	dir, err := os.MkdirTemp("", "rebind-chromium-")
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(root); err != nil {
		cancelRoot()
		cancelAlloc()
		os.RemoveAll(dir)
		return nil, err
	}
	shared.root, shared.dir = root, dir
	shared.cancel = func() { cancelRoot(); cancelAlloc() }
	return root, nil
}

// New returns a context for chromedp actions in a browser context of its
// own (an empty profile: no cookies, storage or cache from other tests),
// ended with the test. timeout bounds the whole test's browsing.
func New(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	path := Path()
	if path == "" {
		if os.Getenv("REBIND_TEST_REQUIRE_CHROMIUM") == "1" {
			t.Fatal("REBIND_TEST_REQUIRE_CHROMIUM=1 but no Chromium was found (install Debian's chromium package)")
		}
		t.Skip("Chromium not installed: install Debian's chromium package to run page tests")
	}
	var ctx context.Context
	var cancelCtx context.CancelFunc
	var err error
	for try := 0; try < 2; try++ {
		var root context.Context
		if root, err = browser(path); err != nil {
			break
		}
		ctx, cancelCtx = chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		if err = chromedp.Do(ctx); err == nil {
			break
		}
		cancelCtx()
		closeShared() // start a new browser and try once more
	}
	if err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
	})
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
