package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
)

var referenceCode = regexp.MustCompile(`id="reference-code">([A-Z2-9]{4}-[A-Z2-9]{4})<`)

// A KYC reset by documents through the pages, as a browser without
// JavaScript does it: one multipart post of the picture to the submit
// route, refused in words until it is right, then the application under
// review, its status link, a rejection and a new reset with a new
// reference code.
func TestDocumentsThroughForms(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		const email = "papers@example.com"
		s.CreateAccount(t, email, pw, "+6581236601", true)
		c := s.Client()
		tok, page := toMethodStep(t, s, c, email, 1)
		has(t, "method page", page, `href="/reset-mobile/documents" id="continue">Continue</a>`)
		resp, page := get(t, c, s.URL+"/reset-mobile/documents")
		onPage(t, resp, page, "reset_mobile_documents", 200)
		today := time.Now().UTC().Format(time.DateOnly)
		has(t, "documents page", page, ">Submit documents</h2>", `id="statement-phrase">Apply to reset Mobile on Rebind<`,
			`id="application-date">`+today+`<`, "full face and both shoulders", "All the text on your ID can be read",
			`enctype="multipart/form-data"`, `action="/reset-mobile/documents/submit"`,
			`<input type="file" id="file-selfie_with_statement" name="selfie_with_statement" accept="image/jpeg,image/png,image/webp" multiple`,
			`<svg viewBox="0 0 120 90"`, "Not accepted:", `id="submit">Submit</button>`, `src="/static/documents.js"`)
		first := referenceCode.FindStringSubmatch(page)
		if first == nil || strings.Contains(page, "transaction") {
			t.Fatalf("reference code or the wrong class:\n%s", mainOf(page))
		}
		submitURL := s.URL + "/reset-mobile/documents/submit"
		selfie := filePart("selfie_with_statement", "me.jpg", apptest.Picture(t, 1, 480, 480))
		for _, c2 := range []struct {
			name   string
			parts  []apptest.Part
			status int
			want   string
		}{
			{"nothing", []apptest.Part{csrfPart(tok)}, 400, "Add at least 1 selfie with your ID and the statement."},
			{"a text file", []apptest.Part{csrfPart(tok), filePart("selfie_with_statement", "notes.jpg", []byte("<html>not a picture</html>"))},
				415, `The picture "notes.jpg" was not accepted. Not a photo: this file is not a JPEG, PNG or WebP picture. Nothing was sent`},
			{"a small picture", []apptest.Part{csrfPart(tok), filePart("selfie_with_statement", "tiny.jpg", apptest.Picture(t, 2, 300, 300))},
				400, "too small to read"},
			{"another class's kind", []apptest.Part{csrfPart(tok), selfie, filePart("email_screenshot", "mail.png", apptest.PicturePNG(t, 3, 480, 480))},
				400, "does not send"},
			{"a transaction typed", []apptest.Part{csrfPart(tok), selfie, textPart("txid", "abcdef0123456789"), textPart("coin", "USDT"),
				textPart("amount", "5")}, 400, "do not include transactions"},
			{"the token after the picture", []apptest.Part{selfie, csrfPart(tok)}, 403, "This form has expired"},
			{"a NUL in a field", []apptest.Part{csrfPart(tok), textPart("txid", "a\x00b")}, 400, "holds a NUL"},
			{"an unknown field", []apptest.Part{csrfPart(tok), textPart("name", "x")}, 400, "should not"},
		} {
			resp, page := sendParts(t, c, submitURL, "", c2.parts...)
			if resp.StatusCode != c2.status || !strings.Contains(page, c2.want) {
				t.Fatalf("%s: %d\n%s", c2.name, resp.StatusCode, mainOf(page))
			}
		}
		if n := countOf(t, s, "SELECT COUNT(*) FROM applications"); n != 0 {
			t.Fatalf("%d applications from refused posts", n)
		}
		// An empty file input (a browser sends one) is skipped.
		resp, page = sendParts(t, c, submitURL, "", csrfPart(tok), filePart("selfie_with_statement", "", nil), selfie)
		onPage(t, resp, page, "reset_mobile_review", 200)
		has(t, "review page", page, "Your application is under review.", "within 72 hours", first[1])
		status := statusPath(t, page)
		// The browser keeps its reset until the review's deadline.
		if age := resetCookieAge(resp); age < 7*24*3600-60 {
			t.Fatalf("the reset cookie lasts %d s, not the review's 7 days", age)
		}
		// Coming back, or posting again, shows the application under review.
		resp, page = get(t, c, s.URL+"/reset-mobile/documents")
		onPage(t, resp, page, "reset_mobile_review", 200)
		resp, page = sendParts(t, c, submitURL, "", csrfPart(tok), selfie)
		onPage(t, resp, page, "reset_mobile_review", 200)
		if n := countOf(t, s, "SELECT COUNT(*) FROM application_files"); n != 1 {
			t.Fatalf("%d pictures stored, want 1", n)
		}
		// The status link, anywhere (SEC-DATA-6: never cached, no referrer).
		other := s.Client()
		resp, page = get(t, other, s.URL+status)
		onPage(t, resp, page, "reset_status", 200)
		has(t, "status page", page, "Your application is under review.", first[1])
		if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("status page headers: %v", resp.Header)
		}
		for _, bad := range []string{status + "x", "/reset-mobile/status/nothing.here", "/reset-mobile/status/" + strings.Repeat("a", 150)} {
			resp, page = get(t, other, s.URL+bad)
			onPage(t, resp, page, "error", 404)
			has(t, "a wrong status link", page, "This status link is not valid.")
		}
		// Rejected: the reason in words, the note, and a new reset.
		decide(t, s, applicationOf(t, s, c).ID, "statement_missing_or_wrong", "The date was missing.")
		_, page = get(t, other, s.URL+status)
		has(t, "rejected status", page, "Your application was not approved.", "did not show the phrase, the date and the reference code",
			"The date was missing.", `href="/reset-mobile" id="start-new">Start a new reset</a>`)
		resp, page = get(t, c, s.URL+"/reset-mobile")
		onPage(t, resp, page, "reset_status", 200)
		has(t, "the reset's own page", page, "Your application was not approved.")
		if cookieOf(c, s.URL, "rebind_reset") != "" {
			t.Fatal("the rejected reset is still this browser's")
		}
		s.WaitMessages(t, email, 3) // the code, the submission, the rejection
		_, page = toMethodStep(t, s, c, email, 4)
		_, page = get(t, c, s.URL+"/reset-mobile/documents")
		again := referenceCode.FindStringSubmatch(page)
		if again == nil || again[1] == first[1] {
			t.Fatalf("the new reset's reference code %v, the first %s", again, first[1])
		}
	})
}

// resetCookieAge is the Max-Age of the reset cookie set by the post that
// redirected to resp.
func resetCookieAge(resp *http.Response) int {
	if resp.Request.Response == nil {
		return 0
	}
	for _, ck := range resp.Request.Response.Cookies() {
		if ck.Name == "rebind_reset" {
			return ck.MaxAge
		}
	}
	return 0
}

// The status link's page shows an application cancelled by a newer reset,
// and one past its deadline as expired before the janitor has ended it;
// each says to start a new reset.
func TestStatusPageCancelledAndExpired(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		clk := clock.NewFake(time.Now())
		s := apptest.Start(t, apptest.Options{Clock: clk})
		c := s.Client()
		first := s.KYCApplication(t, "twice@example.com", pw, "+6581236604", 1)
		s.ResetToMethod(t, "twice@example.com", pw) // a newer reset cancels the first
		resp, page := get(t, c, s.URL+"/reset-mobile/status/"+first.Secret)
		onPage(t, resp, page, "reset_status", 200)
		has(t, "cancelled", page, "Your application was cancelled.", `id="start-new">Start a new reset</a>`)
		other := s.KYCApplication(t, "slow@example.com", pw, "+6581236605", 2)
		_, page = get(t, c, s.URL+"/reset-mobile/status/"+other.Secret)
		has(t, "under review", page, "Your application is under review.")
		clk.Advance(7*24*time.Hour + time.Minute)
		_, page = get(t, c, s.URL+"/reset-mobile/status/"+other.Secret)
		has(t, "past its deadline", page, "Your application expired before it was decided.", `id="start-new">Start a new reset</a>`)
	})
}
