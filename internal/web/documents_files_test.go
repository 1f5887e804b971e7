package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

const depositTXID = "9f3c1a7e5b2d4c6f8a0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a"

var uploadedEarlier = regexp.MustCompile(`data-file="([^"]+)"`)

// The endpoints the page's script calls: one picture per post, answered in
// JSON with the refusal in words; removal; and the limits of a kind. Then
// the submission of a class that types its transactions.
func TestDocumentsFileEndpoints(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		const email = "records@example.com"
		recordsAccount(t, s, email, "+6581236602", depositTXID)
		c := s.Client()
		tok, _ := toMethodStep(t, s, c, email, 1)
		_, page := get(t, c, s.URL+"/reset-mobile/documents")
		has(t, "documents page", page, `id="file-email_screenshot"`, `id="file-transaction_screenshot"`, `name="txid"`,
			"block explorer", `id="add-tx" hidden`)
		if strings.Contains(page, "Apply to reset Mobile") || strings.Count(page, `name="txid"`) != 3 {
			t.Fatalf("the page of a class that types transactions:\n%s", mainOf(page))
		}
		files := s.URL + "/reset-mobile/documents/files"
		upload := func(parts ...apptest.Part) (*http.Response, string) {
			return sendParts(t, c, files, "application/json", parts...)
		}
		mail := func(seed uint64) apptest.Part {
			return filePart("email_screenshot", "mail.png", apptest.PicturePNG(t, seed, 480, 480))
		}
		for _, c2 := range []struct {
			name   string
			parts  []apptest.Part
			status int
			want   string
		}{
			{"not a picture", []apptest.Part{csrfPart(tok), filePart("email_screenshot", "mail.png", []byte("%PDF-1.7 a document"))}, 415,
				"Not a photo: this file is not a JPEG, PNG or WebP picture."},
			{"too small", []apptest.Part{csrfPart(tok), filePart("email_screenshot", "s.png", apptest.PicturePNG(t, 4, 600, 300))}, 400,
				"The picture is too small to read: it needs at least 400 pixels on its shorter side, this one has 300."},
			{"too large", []apptest.Part{csrfPart(tok), filePart("email_screenshot", "big.png", bytes.Repeat([]byte{0}, 10<<20+1))}, 413,
				"Too large: a picture may be at most 10 MB."},
			{"a kind the class does not send", []apptest.Part{csrfPart(tok), filePart("selfie_with_statement", "me.jpg", apptest.Picture(t, 5, 480, 480))},
				400, "This account does not send"},
			{"two pictures", []apptest.Part{csrfPart(tok), mail(6), mail(7)}, 400, "Send one picture at a time."},
			{"a field, not a picture", []apptest.Part{csrfPart(tok), textPart("txid", "x")}, 400, "Send one picture"},
		} {
			resp, body := upload(c2.parts...)
			if resp.StatusCode != c2.status || !strings.HasPrefix(errorMessage(t, body), c2.want) {
				t.Errorf("%s: %d %s", c2.name, resp.StatusCode, body)
			}
		}
		// Without its token the post is refused before the picture is read.
		if resp, page := upload(mail(8), csrfPart(tok)); resp.StatusCode != 403 || !strings.Contains(page, "This form has expired") {
			t.Fatalf("no token first: %d", resp.StatusCode)
		}
		// Five email screenshots at most.
		for i := range 5 {
			if resp, body := upload(csrfPart(tok), mail(uint64(10+i))); resp.StatusCode != 201 || !strings.Contains(body, `"kind":"email_screenshot"`) {
				t.Fatalf("picture %d: %d %s", i+1, resp.StatusCode, body)
			}
		}
		if resp, body := upload(csrfPart(tok), mail(20)); resp.StatusCode != 413 || errorMessage(t, body) != "At most 5 pictures of this kind; remove one first." {
			t.Fatalf("a sixth: %d %s", resp.StatusCode, body)
		}
		// The page lists them (with no picture in it); the form's remove
		// button takes one away.
		_, page = get(t, c, s.URL+"/reset-mobile/documents")
		ids := uploadedEarlier.FindAllStringSubmatch(page, -1)
		if len(ids) != 5 || strings.Contains(page, "<img") {
			t.Fatalf("%d pictures listed:\n%s", len(ids), mainOf(page))
		}
		resp, page := post(t, c, s.URL+"/reset-mobile/documents/files/"+ids[0][1]+"/remove", url.Values{"csrf": {tok}})
		onPage(t, resp, page, "reset_mobile_documents", 200)
		if strings.Contains(page, ids[0][1]) || len(uploadedEarlier.FindAllString(page, -1)) != 4 {
			t.Fatalf("after removing one:\n%s", mainOf(page))
		}
		// The script's removal: 204, then 404 for a picture that is gone,
		// or another reset's (SEC-FILE-7).
		removeJSON := func(c *http.Client, tok, id string) int {
			req, _ := http.NewRequest("POST", s.URL+"/reset-mobile/documents/files/"+id+"/remove", strings.NewReader(url.Values{"csrf": {tok}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept", "application/json")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if a, b := removeJSON(c, tok, ids[1][1]), removeJSON(c, tok, ids[1][1]); a != 204 || b != 404 {
			t.Fatalf("removing twice: %d, %d", a, b)
		}
		s.CreateAccount(t, "stranger@example.com", pw, "+6581236603", true)
		stranger := s.Client()
		strangerTok, _ := toMethodStep(t, s, stranger, "stranger@example.com", 1)
		if got := removeJSON(stranger, strangerTok, ids[2][1]); got != 404 {
			t.Fatalf("another reset's picture: %d", got)
		}
		if n := countOf(t, s, "SELECT COUNT(*) FROM application_files WHERE removed_at IS NULL"); n != 3 {
			t.Fatalf("%d pictures left, want 3", n)
		}
		submitTransactions(t, s, c, tok)
	})
}

// submitTransactions sends the documents of a class that types its
// transactions: a row refused in words, then the application with the
// TXID matched against the records.
func submitTransactions(t *testing.T, s *apptest.Server, c *http.Client, tok string) {
	t.Helper()
	submit := s.URL + "/reset-mobile/documents/submit"
	shot := filePart("transaction_screenshot", "wallet.png", apptest.PicturePNG(t, 30, 480, 480))
	resp, page := sendParts(t, c, submit, "", csrfPart(tok), shot)
	if resp.StatusCode != 400 || !strings.Contains(page, "Type at least one transaction that your screenshots show.") {
		t.Fatalf("no transaction typed: %d\n%s", resp.StatusCode, mainOf(page))
	}
	row := func(txid, coin, amount string) []apptest.Part {
		return []apptest.Part{textPart("txid", txid), textPart("coin", coin), textPart("amount", amount)}
	}
	parts := append([]apptest.Part{csrfPart(tok), shot}, row("", "", "")...)
	parts = append(parts, row(depositTXID, "US DT", "120.5")...)
	resp, page = sendParts(t, c, submit, "", parts...)
	if resp.StatusCode != 400 || !strings.Contains(page, "Transaction 1: the coin should be its symbol") ||
		!strings.Contains(page, `value="US DT" maxlength="12" placeholder="USDT" autocomplete="off" autocapitalize="characters" spellcheck="false" aria-invalid="true"`) ||
		!strings.Contains(page, `value="`+depositTXID+`"`) {
		t.Fatalf("a wrong coin: %d\n%s", resp.StatusCode, mainOf(page))
	}
	parts = append([]apptest.Part{csrfPart(tok), shot}, row(depositTXID, "usdt", "120.5")...)
	resp, page = sendParts(t, c, submit, "", parts...)
	onPage(t, resp, page, "reset_mobile_review", 200)
	app := applicationOf(t, s, c)
	if len(app.Files) != 4 || len(app.Transactions) != 1 || app.Transactions[0].Match != "matched" || app.Transactions[0].Coin != "USDT" {
		t.Fatalf("application: %d files, transactions %+v", len(app.Files), app.Transactions)
	}
}
