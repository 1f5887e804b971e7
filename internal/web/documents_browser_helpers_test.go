package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

// phone opens a new tab of the browser as a touch phone width pixels wide.
func phone(t *testing.T, ctx context.Context, width int64) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(width, 1300, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatal(err)
	}
	return tab
}

// pictureFile writes data to a file named name for the browser to pick.
func pictureFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// pick chooses files in the file input sel, as a user picking them from
// the device does.
func pick(t *testing.T, ctx context.Context, sel string, paths ...string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(sel), paths)); err != nil {
		t.Fatal(err)
	}
}

// fileRow is one picture's row as the page shows it.
type fileRow struct {
	Class, Name, Status string
	Progress            float64
	Preview             string // the preview's address
	Loaded              bool   // the preview shows a picture
}

// fileRows waits until kind's list has n rows, none still uploading, and
// returns them.
func fileRows(t *testing.T, ctx context.Context, kind string, n int) []fileRow {
	t.Helper()
	list := `Array.from(document.querySelectorAll("#files-` + kind + ` li.file"))`
	ready := list + `.length === ` + strconv.Itoa(n) + ` && !` + list + `.some(li => li.classList.contains("uploading")) &&
		` + list + `.every(li => !li.querySelector("img.preview") || li.querySelector("img.preview").hidden || li.querySelector("img.preview").complete)`
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](ready, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#files-`+kind+`").innerText`))
		t.Fatalf("waiting for %d %s rows: %v; the list reads %q", n, kind, err, text)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]fileRow](list+`.map(li => {
		const img = li.querySelector("img.preview"), bar = li.querySelector("progress");
		return {class: li.className, name: li.querySelector(".file-name").textContent, status: li.querySelector(".file-status").textContent,
			progress: bar && !bar.hidden ? bar.value / bar.max : -1, preview: img && !img.hidden ? img.src : "",
			loaded: !!img && !img.hidden && img.naturalWidth > 0};
	})`))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// clickIn clicks the button labelled label in the element sel.
func clickIn(t *testing.T, ctx context.Context, sel, label string) {
	t.Helper()
	js := `(function () {
		for (const b of document.querySelectorAll(` + strconv.Quote(sel) + ` + " button")) {
			if (b.textContent.trim() === ` + strconv.Quote(label) + ` && b.getClientRects().length > 0) { b.click(); return true; }
		}
		return false;
	})()`
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil || !ok {
		t.Fatalf("no [%s] in %s (%v)", label, sel, err)
	}
}

// evalBool evaluates a JavaScript expression.
func evalBool(t *testing.T, ctx context.Context, js string) bool {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// waitFor waits until a JavaScript expression holds.
func waitFor(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
		t.Fatalf("%s: %v; the page reads %q", what, err, text)
	}
}

// submitReady reports whether [Submit] can be pressed, waiting first for
// the page's script to have judged it.
func submitReady(t *testing.T, ctx context.Context) bool {
	t.Helper()
	waitFor(t, ctx, "the submit hint", `document.getElementById("submit-hint").textContent !== ""`)
	return !evalBool(t, ctx, `document.getElementById("submit").disabled`)
}

// noSideScroll fails if the page is wider than the screen.
func noSideScroll(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	if evalBool(t, ctx, `document.documentElement.scrollWidth > window.innerWidth`) {
		w, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.scrollWidth + " > " + window.innerWidth`))
		t.Fatalf("%s scrolls sideways: %s", where, w)
	}
}

// everyInputLabelled fails if a visible form control has no label.
func everyInputLabelled(t *testing.T, ctx context.Context) {
	t.Helper()
	bare, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("main input:not([type=hidden]), main select, main textarea"))
		.filter(i => !i.hidden && i.getClientRects().length > 0 && i.labels.length === 0).map(i => i.id || i.name)`))
	if err != nil || len(bare) > 0 {
		t.Fatalf("inputs without a label: %v (%v)", bare, err)
	}
}

// statusFromPage reads the status link's path on the under-review page.
func statusFromPage(t *testing.T, ctx context.Context) string {
	t.Helper()
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("status-link").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(href, "/reset-mobile/status/")
	if i < 0 {
		t.Fatalf("status link %q", href)
	}
	return href[i:]
}

// toDocumentsInBrowser follows a reset from its first page to the
// documents step through the button labelled label.
func toDocumentsInBrowser(t *testing.T, ctx context.Context, s *apptest.Server, email, label string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/reset-mobile")); err != nil {
		t.Fatal(err)
	}
	waitPage(t, ctx, "reset_mobile")
	toMethodInBrowser(t, ctx, s, email)
	clickLabel(t, ctx, label)
	waitPage(t, ctx, "reset_mobile_documents")
	scriptReady(t, ctx)
}
