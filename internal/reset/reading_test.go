package reset_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/ocr"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/screenshot"
)

const recordTXID = "0x8e1f0c2a7d3b4e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b"

// withRecords makes an account of class nonkyc_with_records (one deposit
// of 0.5 ETH with recordTXID) and brings its reset to the method step.
func withRecords(t *testing.T, s *apptest.Server, email, mobile string) string {
	t.Helper()
	id := s.CreateAccount(t, email, pw, mobile, false)
	at := time.Now().Add(-48 * time.Hour).UTC().Format(time.RFC3339)
	if r := s.Admin(t, "POST", "/admin/v1/accounts/"+id+"/activity", map[string]any{"deposits": []map[string]any{{"external_id": "d1",
		"coin": "ETH", "network": "ERC20", "amount": "0.5", "address": "0x52908400098527886E0F7030069857D2E4169EE7", "txid": recordTXID, "at": at}}}); r.Status != 200 {
		t.Fatalf("push: %d %s", r.Status, r.Raw)
	}
	return s.ResetToMethod(t, email, pw)
}

// screenshots are an email of the exchange to email and the deposit's
// page in the wallet it was sent from.
func screenshots(email string) []reset.Picture {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tr := screenshot.Transfer{Direction: "deposit", Coin: "ETH", Network: "ERC20", Amount: "0.5",
		Address: "0x52908400098527886E0F7030069857D2E4169EE7", TXID: recordTXID, At: at}
	mail := screenshot.Mail{Kind: screenshot.Login, Brand: "Rebind", To: email, At: at, IP: "203.0.113.9", Device: "Pixel 8"}
	style := screenshot.Style{Seed: 5, Width: 1080, Height: 2340, Text: 40}
	return []reset.Picture{
		{Kind: evidence.EmailScreenshot, Data: screenshot.PNG(screenshot.Email(mail, style))},
		{Kind: evidence.TransactionScreenshot, Data: screenshot.JPEG(screenshot.Transaction(tr, style), 90)},
	}
}

// The screenshots are read after the submission, not in it: the
// application is stored with its reading pending; ReadPending reads it
// once, appends what it read (the deposit's TXID matched on the
// transaction screenshot, the account's address on the email), audits the
// reading with counts only (SEC-AUD-4), and the admin API's detail shows
// the findings.
func TestScreenshotsReadAfterSubmission(t *testing.T) {
	if !ocr.New(ocr.Config{}).Available() {
		if os.Getenv("REBIND_TEST_REQUIRE_TESSERACT") != "" {
			t.Fatal("tesseract is not installed and REBIND_TEST_REQUIRE_TESSERACT is set")
		}
		t.Skip("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-eng); set REBIND_TEST_REQUIRE_TESSERACT=1 to fail instead")
	}
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		ctx := context.Background()
		flowID := withRecords(t, s, "reader@example.com", "+6581237001")
		sub, err := s.Reset.Submit(ctx, flowID, screenshots("reader@example.com"),
			[]evidence.Transaction{{TXID: recordTXID, Coin: "ETH", Amount: "0.5"}})
		if err != nil {
			t.Fatal(err)
		}
		app := sub.Application
		if app.Reading != evidence.ReadPending || has(app.Findings, "screenshot_txid_matched") {
			t.Fatalf("read during the submission: %q %v", app.Reading, app.Findings)
		}
		if n, err := s.Reset.ReadPending(ctx); n != 1 || err != nil {
			t.Fatalf("ReadPending = %d, %v", n, err)
		}
		got, err := s.Evidence.Get(ctx, s.DB, app.ID)
		if err != nil || got.Reading != evidence.ReadDone {
			t.Fatalf("after reading: %q %v", got.Reading, err)
		}
		files := map[evidence.Kind]string{}
		for _, f := range got.Files {
			files[f.Kind] = f.ID
		}
		for code, file := range map[string]string{"screenshot_txid_matched": files[evidence.TransactionScreenshot],
			"screenshot_email_found": files[evidence.EmailScreenshot], "screenshot_email_kind": files[evidence.EmailScreenshot]} {
			if !hasOn(got.Findings, code, file) {
				t.Errorf("no %s on file %s: %v", code, file, got.Findings)
			}
		}
		for _, f := range got.Findings[len(app.Findings):] {
			if f.Flag {
				t.Errorf("the reading flagged %+v", f)
			}
		}
		if n, err := s.Reset.ReadPending(ctx); n != 0 || err != nil {
			t.Fatalf("read again: %d, %v", n, err)
		}
		events, err := s.Audit.ByFlow(ctx, s.DB, flowID, 100)
		reads := 0
		for _, e := range events {
			if e.Action == string(audit.ApplicationRead) && e.Actor == audit.ActorSystem && e.Detail["application"] == app.ID && e.Detail["ocr"] == "true" {
				reads++
				// Counts only: no text read goes into the trail (SEC-AUD-4).
				if len(e.Detail) != 4 || e.Detail["findings"] == "" || e.Detail["flags"] != "0" {
					t.Errorf("reading event detail %v", e.Detail)
				}
			}
		}
		if err != nil || reads != 1 {
			t.Fatalf("%d reading events: %v", reads, err)
		}
		det := s.Admin(t, "GET", "/admin/v1/applications/"+app.ID, nil)
		if det.Body["reading"] != "done" || !containsCode(det.Body["findings"], "screenshot_txid_matched") {
			t.Fatalf("admin detail: %s", det.Raw)
		}
	})
}

// Without the OCR program (REBIND_OCR_COMMAND naming one that is not
// there) the application is read all the same, with the finding that its
// screenshots could not be: the rest of the review works.
func TestScreenshotsWithoutOCR(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		opts.Env = map[string]string{"REBIND_OCR_COMMAND": filepath.Join(t.TempDir(), "tesseract")}
		s := apptest.Start(t, opts)
		ctx := context.Background()
		flowID := withRecords(t, s, "noocr@example.com", "+6581237002")
		sub, err := s.Reset.Submit(ctx, flowID, screenshots("noocr@example.com"),
			[]evidence.Transaction{{TXID: recordTXID, Coin: "ETH", Amount: "0.5"}})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.Reset.ReadPending(ctx); n != 1 || err != nil {
			t.Fatalf("ReadPending = %d, %v", n, err)
		}
		got, err := s.Evidence.Get(ctx, s.DB, sub.Application.ID)
		if err != nil || got.Reading != evidence.ReadDone || !has(got.Findings, "ocr_unavailable") || has(got.Findings, "screenshot_txid_matched") ||
			!has(got.Findings, "transaction_matched") {
			t.Fatalf("after reading: %q %v %v", got.Reading, got.Findings, err)
		}
		det := s.Admin(t, "GET", "/admin/v1/applications/"+got.ID, nil)
		if !containsCode(det.Body["findings"], "ocr_unavailable") {
			t.Fatalf("admin detail: %s", det.Raw)
		}
	})
}

func has(fs []evidence.Finding, code string) bool { return hasOn(fs, code, "") }

func hasOn(fs []evidence.Finding, code, file string) bool {
	for _, f := range fs {
		if f.Code == code && (file == "" || f.File == file) {
			return true
		}
	}
	return false
}

func containsCode(findings any, code string) bool {
	list, _ := findings.([]any)
	for _, f := range list {
		if fmt.Sprint(f.(map[string]any)["code"]) == code {
			return true
		}
	}
	return false
}
