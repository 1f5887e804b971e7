package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/browsertest"
)

// TestBrowserDocumentsKYC follows the article's option 2 (1) on a desktop:
// [Submit documents] from the choice of method; the statement's three
// lines; pictures uploaded as they are picked, each with its preview,
// progress and error in words; remove and replace; [Submit] only when
// complete; the application under review and its status link; a rejection
// with its reason; and a new reset with a new reference code.
func TestBrowserDocumentsKYC(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		const email = "selfie@example.com"
		resetAccount(t, s, email, "+6581237701", 0)
		ctx := browsertest.New(t, 120*time.Second)
		toDocumentsInBrowser(t, ctx, s, email, "Submit documents")
		text := mainText(t, ctx)
		for _, want := range []string{"Apply to reset Mobile on Rebind", time.Now().UTC().Format(time.DateOnly), "full face and both shoulders",
			"All the text on your ID can be read", "Accepted:", "Not accepted:", "Answer security questions instead"} {
			if !strings.Contains(text, want) {
				t.Fatalf("documents page lacks %q:\n%s", want, text)
			}
		}
		firstCode, _ := pageText(ctx, "#reference-code")
		if submitReady(t, ctx) {
			t.Fatal("[Submit] is enabled with nothing uploaded")
		}
		dir := t.TempDir()
		const input = "#file-selfie_with_statement"
		pick(t, ctx, input, pictureFile(t, dir, "notes.jpg", []byte("these are notes, not a photo")))
		pick(t, ctx, input, pictureFile(t, dir, "tiny.jpg", apptest.Picture(t, 2, 300, 300)))
		rows := fileRows(t, ctx, "selfie_with_statement", 2)
		if rows[0].Class != "file error" || !strings.HasPrefix(rows[0].Status, "Not a photo") || rows[0].Loaded {
			t.Fatalf("a text file: %+v", rows[0])
		}
		if rows[1].Class != "file error" || !strings.Contains(rows[1].Status, "too small to read") || !rows[1].Loaded {
			t.Fatalf("a small picture: %+v", rows[1])
		}
		if submitReady(t, ctx) {
			t.Fatal("[Submit] is enabled with refused pictures only")
		}
		clickIn(t, ctx, "#files-selfie_with_statement li:nth-child(1)", "Remove")
		clickIn(t, ctx, "#files-selfie_with_statement li:nth-child(1)", "Remove")
		fileRows(t, ctx, "selfie_with_statement", 0)
		pick(t, ctx, input, pictureFile(t, dir, "me.jpg", apptest.Picture(t, 1, 480, 480)))
		row := fileRows(t, ctx, "selfie_with_statement", 1)[0]
		if row.Class != "file done" || row.Status != "Uploaded" || row.Progress != 1 || !strings.HasPrefix(row.Preview, "blob:") || !row.Loaded {
			t.Fatalf("an uploaded picture: %+v", row)
		}
		if !submitReady(t, ctx) || live(t, s) != 1 {
			t.Fatalf("after one good picture: [Submit] disabled, or %d pictures stored", live(t, s))
		}
		// Removed, it is gone from the server too, and the keyboard is back
		// on the file input.
		clickIn(t, ctx, "#files-selfie_with_statement", "Remove")
		fileRows(t, ctx, "selfie_with_statement", 0)
		if submitReady(t, ctx) || live(t, s) != 0 || !evalBool(t, ctx, `document.activeElement.id === "file-selfie_with_statement"`) {
			t.Fatalf("after removing it: [Submit] enabled, %d pictures stored, or focus lost", live(t, s))
		}
		// Replaced: the new picture takes the old one's place.
		pick(t, ctx, input, pictureFile(t, dir, "me.jpg", apptest.Picture(t, 1, 480, 480)))
		fileRows(t, ctx, "selfie_with_statement", 1)
		pick(t, ctx, "#files-selfie_with_statement .replace-input", pictureFile(t, dir, "better.png", apptest.PicturePNG(t, 3, 520, 480)))
		waitFor(t, ctx, "the replacement", `document.querySelector("#files-selfie_with_statement .file-name").textContent === "better.png"`)
		if row := fileRows(t, ctx, "selfie_with_statement", 1)[0]; row.Status != "Uploaded" || live(t, s) != 1 {
			t.Fatalf("replaced: %+v, %d pictures stored", row, live(t, s))
		}
		clickLabel(t, ctx, "Submit")
		waitPage(t, ctx, "reset_mobile_review")
		text = mainText(t, ctx)
		if !strings.Contains(text, "Your application is under review.") || !strings.Contains(text, "within 72 hours") || !strings.Contains(text, firstCode) {
			t.Fatalf("under review: %s", text)
		}
		status := statusFromPage(t, ctx)
		// Coming back to the documents step shows the same.
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/reset-mobile/documents")); err != nil {
			t.Fatal(err)
		}
		waitPage(t, ctx, "reset_mobile_review")
		rejectAndApplyAgain(t, ctx, s, email, status, firstCode)
	})
}

// live counts the pictures uploaded and not removed.
func live(t *testing.T, s *apptest.Server) int {
	return countOf(t, s, "SELECT COUNT(*) FROM application_files WHERE removed_at IS NULL")
}

// rejectAndApplyAgain rejects the application, reads the reason at the
// status link and on the reset's page, and starts a new reset there.
func rejectAndApplyAgain(t *testing.T, ctx context.Context, s *apptest.Server, email, status, firstCode string) {
	t.Helper()
	decide(t, s, appOfAccount(t, s, email), "face_not_visible", "Please hold the phone further away.")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+status)); err != nil {
		t.Fatal(err)
	}
	waitPage(t, ctx, "reset_status")
	text := mainText(t, ctx)
	for _, want := range []string{"Your application was not approved.", "Your face and shoulders were not fully visible in the photo.",
		"Please hold the phone further away.", "Start a new reset"} {
		if !strings.Contains(text, want) {
			t.Fatalf("rejected status lacks %q:\n%s", want, text)
		}
	}
	clickLabel(t, ctx, "Start a new reset")
	// This browser still holds the rejected reset: its page says so too,
	// once, then the new reset starts.
	waitPage(t, ctx, "reset_status")
	clickLabel(t, ctx, "Start a new reset")
	waitPage(t, ctx, "reset_mobile")
	toMethodInBrowser(t, ctx, s, email)
	clickLabel(t, ctx, "Submit documents")
	waitPage(t, ctx, "reset_mobile_documents")
	if code, _ := pageText(ctx, "#reference-code"); code == firstCode || len(code) != 9 {
		t.Fatalf("the new reset's reference code %q, the first %q", code, firstCode)
	}
}

// TestBrowserDocumentsWithRecordsOnAPhone sends the documents of an
// account with deposits on a 320-pixel phone: two email screenshots picked
// at once, a transaction screenshot, and a transaction row typed, with
// [Add a transaction] and [Remove this transaction]; [Submit] by keyboard.
func TestBrowserDocumentsWithRecordsOnAPhone(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		const email = "wallet@example.com"
		recordsAccount(t, s, email, "+6581237702", depositTXID)
		ctx := phone(t, browsertest.New(t, 120*time.Second), 320)
		toDocumentsInBrowser(t, ctx, s, email, "Continue")
		text := mainText(t, ctx)
		for _, want := range []string{"deposits or withdrawals", "block explorer", "Screenshots of Rebind emails", "Transaction screenshots from the other side",
			"Transactions in your screenshots"} {
			if !strings.Contains(text, want) {
				t.Fatalf("documents page lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "Apply to reset Mobile") {
			t.Fatal("a non-KYC account is asked for the statement")
		}
		noSideScroll(t, ctx, "the documents page")
		everyInputLabelled(t, ctx)
		// Without the script three rows are offered; with it, one and a button.
		if n := evalBool(t, ctx, `document.querySelectorAll("#tx-rows [data-row]").length === 1 && !document.getElementById("add-tx").hidden`); !n {
			t.Fatal("the rows are not set up by the script")
		}
		dir := t.TempDir()
		pick(t, ctx, "#file-email_screenshot", pictureFile(t, dir, "signup.png", apptest.PicturePNG(t, 11, 480, 640)),
			pictureFile(t, dir, "login.png", apptest.PicturePNG(t, 12, 480, 640)))
		pick(t, ctx, "#file-transaction_screenshot", pictureFile(t, dir, "sent.jpg", apptest.Picture(t, 13, 480, 800)))
		for kind, n := range map[string]int{"email_screenshot": 2, "transaction_screenshot": 1} {
			for _, row := range fileRows(t, ctx, kind, n) {
				if row.Status != "Uploaded" || !row.Loaded {
					t.Fatalf("%s: %+v", kind, row)
				}
			}
		}
		noSideScroll(t, ctx, "the documents page with pictures")
		if submitReady(t, ctx) {
			t.Fatal("[Submit] is enabled before a transaction is typed")
		}
		clickLabel(t, ctx, "Add a transaction")
		waitFor(t, ctx, "a second row, focused", `document.querySelectorAll("#tx-rows [data-row]").length === 2 && document.activeElement.id === "txid-2"`)
		everyInputLabelled(t, ctx)
		clickIn(t, ctx, "#tx-rows [data-row]:nth-child(2)", "Remove this transaction")
		waitFor(t, ctx, "one row, focus on [Add a transaction]", `document.querySelectorAll("#tx-rows [data-row]").length === 1 && document.activeElement.id === "add-tx"`)
		err := chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#txid-1"), depositTXID),
			chromedp.SendKeys(chromedp.CSS("#coin-1"), "USDT"),
		)
		if err != nil {
			t.Fatal(err)
		}
		if submitReady(t, ctx) {
			t.Fatal("[Submit] is enabled with a row half typed")
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#amount-1"), "120.5")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "[Submit] enabled", `!document.getElementById("submit").disabled`)
		if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#submit")), chromedp.KeyEvent("\r")); err != nil {
			t.Fatal(err)
		}
		waitPage(t, ctx, "reset_mobile_review")
		noSideScroll(t, ctx, "the under-review page")
		app := appOfAccount(t, s, email)
		got, err := s.Reset.Application(context.Background(), app)
		if err != nil || len(got.Files) != 3 || len(got.Transactions) != 1 || got.Transactions[0].Match != "matched" {
			t.Fatalf("application: %d files, transactions %+v (%v)", len(got.Files), got.Transactions, err)
		}
	})
}

// TestBrowserDocumentsNoRecordsOnAPhone sends the email screenshots of an
// account without deposits on a 375-pixel phone, then reads the approval
// at the status link and goes [Back] to sign in.
func TestBrowserDocumentsNoRecordsOnAPhone(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		const email = "fresh@example.com"
		s.CreateAccount(t, email, pw, "+6581237703", false)
		ctx := phone(t, browsertest.New(t, 120*time.Second), 375)
		toDocumentsInBrowser(t, ctx, s, email, "Continue")
		text := mainText(t, ctx)
		if !strings.Contains(text, "signed up or signed in") || !strings.Contains(text, "inbox's list") ||
			strings.Contains(text, "Transaction") || strings.Contains(text, "Apply to reset Mobile") {
			t.Fatalf("documents of an account without deposits:\n%s", text)
		}
		noSideScroll(t, ctx, "the documents page")
		pick(t, ctx, "#file-email_screenshot", pictureFile(t, t.TempDir(), "welcome.png", apptest.PicturePNG(t, 21, 400, 700)))
		fileRows(t, ctx, "email_screenshot", 1)
		if !submitReady(t, ctx) {
			t.Fatal("[Submit] disabled with the screenshot uploaded")
		}
		clickLabel(t, ctx, "Submit")
		waitPage(t, ctx, "reset_mobile_review")
		noSideScroll(t, ctx, "the under-review page")
		status := statusFromPage(t, ctx)
		decide(t, s, appOfAccount(t, s, email), "", "")
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+status)); err != nil {
			t.Fatal(err)
		}
		waitPage(t, ctx, "reset_status")
		if text := mainText(t, ctx); !strings.Contains(text, "approved: your mobile verification was reset") || !strings.Contains(text, "24 hours") {
			t.Fatalf("approved status: %s", text)
		}
		noSideScroll(t, ctx, "the status page")
		clickLabel(t, ctx, "Back")
		waitPage(t, ctx, "login")
	})
}
