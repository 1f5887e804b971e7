package api_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/upload"
)

func docsPath(flowID string) string { return "/api/v1/mobile-reset/" + flowID + "/documents" }

func want(t *testing.T, what string, r apptest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.ErrorCode() != code {
		t.Errorf("%s: %d %s, want %d %s", what, r.Status, r.Raw, status, code)
	}
}

func part(kind string, data []byte) apptest.Part {
	return apptest.Part{Name: kind, FileName: "picture.jpg", Data: data}
}

func txPart(json string) apptest.Part { return apptest.Part{Name: "transactions", Data: []byte(json)} }

var referenceCode = regexp.MustCompile(`^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$`)

// A full submission by each class of account through the API: what the
// documents endpoint asks for, pictures uploaded ahead and in the
// submission, the typed transactions matched against the records, the
// flow's status and the status link's answer.
func TestSubmitDocumentsByClass(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		t.Run("kyc", func(t *testing.T) {
			s.CreateAccount(t, "kyc@example.com", pw, "+6581236001", true)
			flowID := s.ResetToMethod(t, "kyc@example.com", pw)
			d := s.Do(t, "GET", docsPath(flowID), "", nil)
			if d.Status != 200 || d.Body["class"] != "kyc" || d.Body["statement_phrase"] != "Apply to reset Mobile on Rebind" ||
				d.Body["application_date"] != time.Now().UTC().Format(time.DateOnly) ||
				!referenceCode.MatchString(d.Body["reference_code"].(string)) || d.Body["transactions_required"] != false ||
				fmt.Sprint(d.Body["items"]) != "[map[accepts:[image/jpeg image/png image/webp] kind:selfie_with_statement max:3 min:1]]" ||
				len(d.Body["files"].([]any)) != 0 || d.Body["review_time"] != "within 72 hours" || d.Body["max_files"] != float64(10) {
				t.Fatalf("documents: %d %s", d.Status, d.Raw)
			}
			up := s.UploadDocument(t, flowID, apptest.Selfie(t, 1))
			if up.Status != 201 || up.Body["kind"] != "selfie_with_statement" || up.Body["width"] != float64(480) || up.Body["height"] != float64(480) {
				t.Fatalf("upload: %d %s", up.Status, up.Raw)
			}
			if d := s.Do(t, "GET", docsPath(flowID), "", nil); fmt.Sprint(d.Body["files"]) != fmt.Sprint([]any{up.Body}) {
				t.Fatalf("documents after an upload: %s", d.Raw)
			}
			r := s.SubmitDocuments(t, flowID, apptest.Selfie(t, 2))
			if r.Status != 201 || r.Body["state"] != "under_review" || !strings.Contains(r.Body["status_url"].(string), "/reset-mobile/status/") {
				t.Fatalf("submit: %d %s", r.Status, r.Raw)
			}
			appID := r.Body["application_id"].(string)
			st := s.Do(t, "GET", "/api/v1/mobile-reset/"+flowID, "", nil)
			app, _ := st.Body["application"].(map[string]any)
			if st.Body["state"] != "under_review" || app["id"] != appID || app["state"] != "under_review" || app["submitted_at"] == nil ||
				app["deadline"] == nil || app["reason"] != nil || app["reason_text"] != nil || app["ended_at"] != nil {
				t.Fatalf("flow status: %s", st.Raw)
			}
			_, secret, _ := strings.Cut(r.Body["status_url"].(string), "/reset-mobile/status/")
			as := s.Do(t, "GET", "/api/v1/application-status/"+secret, "", nil)
			if as.Status != 200 || as.Body["id"] != appID || as.Body["class"] != "kyc" || as.Body["reference_code"] != d.Body["reference_code"] ||
				as.Body["state"] != "under_review" {
				t.Fatalf("application status: %d %s", as.Status, as.Raw)
			}
			if det := s.Admin(t, "GET", "/admin/v1/applications/"+appID, nil); len(det.Body["files"].([]any)) != 2 {
				t.Fatalf("the uploaded and the submitted picture: %s", det.Raw)
			}
		})
		t.Run("nonkyc_no_records", func(t *testing.T) {
			s.CreateAccount(t, "plain@example.com", pw, "+6581236002", false)
			flowID := s.ResetToMethod(t, "plain@example.com", pw)
			d := s.Do(t, "GET", docsPath(flowID), "", nil)
			if d.Body["class"] != "nonkyc_no_records" || fmt.Sprint(d.Body["items"]) !=
				"[map[accepts:[image/jpeg image/png image/webp] kind:email_screenshot max:6 min:1]]" {
				t.Fatalf("documents: %s", d.Raw)
			}
			r := s.SubmitDocuments(t, flowID, part("email_screenshot", apptest.PicturePNG(t, 3, 600, 420)))
			if r.Status != 201 {
				t.Fatalf("submit: %d %s", r.Status, r.Raw)
			}
		})
		t.Run("nonkyc_with_records", func(t *testing.T) {
			submitWithRecords(t, s)
		})
	})
}

// submitWithRecords submits the class that types its transactions: a TXID
// on record is matched, a wrong one is not found, and both are findings.
func submitWithRecords(t *testing.T, s *apptest.Server) {
	id := s.CreateAccount(t, "rec@example.com", pw, "+6581236003", false)
	at := time.Now().Add(-48 * time.Hour).UTC().Format(time.RFC3339)
	if r := s.Admin(t, "POST", "/admin/v1/accounts/"+id+"/activity", map[string]any{"deposits": []map[string]any{{"external_id": "d1",
		"coin": "USDT", "network": "TRC20", "amount": "150.25", "address": "TAddr1", "txid": "abc123def4567890", "at": at}}}); r.Status != 200 {
		t.Fatalf("push: %d %s", r.Status, r.Raw)
	}
	flowID := s.ResetToMethod(t, "rec@example.com", pw)
	d := s.Do(t, "GET", docsPath(flowID), "", nil)
	if d.Body["class"] != "nonkyc_with_records" || d.Body["transactions_required"] != true || len(d.Body["items"].([]any)) != 2 {
		t.Fatalf("documents: %s", d.Raw)
	}
	pics := []apptest.Part{part("email_screenshot", apptest.Picture(t, 4, 480, 640)), part("transaction_screenshot", apptest.Picture(t, 5, 480, 640))}
	want(t, "without transactions", s.SubmitDocuments(t, flowID, pics...), 400, "invalid_request")
	r := s.SubmitDocuments(t, flowID, append(pics, txPart(`[{"txid":"abc123def4567890","coin":"usdt","amount":"150.25"},`+
		`{"txid":"ffff0000ffff0000","coin":"USDT","amount":"1"}]`))...)
	if r.Status != 201 {
		t.Fatalf("submit: %d %s", r.Status, r.Raw)
	}
	det := s.Admin(t, "GET", "/admin/v1/applications/"+r.Body["application_id"].(string), nil)
	txs := det.Body["transactions"].([]any)
	if len(txs) != 2 || txs[0].(map[string]any)["match"] != "matched" || txs[0].(map[string]any)["direction"] != "deposit" ||
		txs[1].(map[string]any)["match"] != "not_found" {
		t.Fatalf("transactions: %s", det.Raw)
	}
	var codes []string
	for _, f := range det.Body["findings"].([]any) {
		f := f.(map[string]any)
		if strings.HasPrefix(f["code"].(string), "transaction_") {
			codes = append(codes, fmt.Sprint(f["code"], "/", f["flag"]))
		}
	}
	if fmt.Sprint(codes) != "[transaction_matched/false transaction_not_found/true]" {
		t.Fatalf("transaction findings %v: %s", codes, det.Raw)
	}
}

// Every refusal of the submission endpoint, each before anything is
// stored (SEC-FILE-1, SEC-FILE-2).
func TestSubmitDocumentsRefusals(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "refuse@example.com", pw, "+6581236011", true)
		flowID := s.ResetToMethod(t, "refuse@example.com", pw)
		selfie := apptest.Selfie(t, 11)
		eleven := make([]apptest.Part, 11)
		for i := range eleven {
			eleven[i] = selfie
		}
		for _, c := range []struct {
			name   string
			parts  []apptest.Part
			status int
			code   string
		}{
			{"no picture", nil, 400, "invalid_request"},
			{"unknown part", []apptest.Part{selfie, {Name: "passport", Data: []byte("x")}}, 400, "invalid_request"},
			{"a kind the class does not send", []apptest.Part{selfie, part("email_screenshot", apptest.Picture(t, 12, 480, 480))}, 400, "invalid_request"},
			{"transactions for a KYC account", []apptest.Part{selfie, txPart(`[{"txid":"abc123def4567890","coin":"BTC","amount":"1"}]`)}, 400, "invalid_request"},
			{"transactions with an unknown field", []apptest.Part{selfie, txPart(`[{"txid":"abc123def4567890","coin":"BTC","amount":"1","match":"matched"}]`)}, 400, "invalid_request"},
			{"transactions with a wrong type", []apptest.Part{selfie, txPart(`[{"txid":"abc123def4567890","coin":"BTC","amount":1}]`)}, 400, "invalid_request"},
			{"transactions not a list", []apptest.Part{selfie, txPart(`{"txid":"abc123def4567890"}`)}, 400, "invalid_request"},
			{"transactions and more", []apptest.Part{selfie, txPart(`[] []`)}, 400, "invalid_request"},
			{"transactions twice", []apptest.Part{selfie, txPart(`[]`), txPart(`[]`)}, 400, "invalid_request"},
			{"too small to read", []apptest.Part{part("selfie_with_statement", apptest.Picture(t, 13, 300, 300))}, 400, "invalid_request"},
			{"HTML named .jpg", []apptest.Part{part("selfie_with_statement", []byte("<html><script>alert(1)</script></html>"))}, 415, "unsupported_media"},
			{"eleven pictures", eleven, 413, "file_too_large"},
			{"four selfies", eleven[:4], 413, "file_too_large"},
		} {
			want(t, c.name, s.SubmitDocuments(t, flowID, c.parts...), c.status, c.code)
		}
		r := s.SubmitDocuments(t, flowID, apptest.Part{Name: "passport", Data: []byte("x")})
		if e := r.Body["error"].(map[string]any); e["field"] != "passport" {
			t.Errorf("an unknown part is named: %s", r.Raw)
		}
		want(t, "JSON body", s.Do(t, "POST", docsPath(flowID), "", map[string]any{"selfie_with_statement": "x"}), 400, "invalid_request")
		if n := count(t, s, "SELECT count(*) FROM application_files"); n != 0 {
			t.Fatalf("refused submissions stored %d pictures", n)
		}
		if st := s.Do(t, "GET", "/api/v1/mobile-reset/"+flowID, "", nil); st.Body["state"] != "method_required" || st.Body["application"] != nil {
			t.Fatalf("refused submissions moved the flow: %s", st.Raw)
		}
		if r := s.SubmitDocuments(t, flowID, selfie); r.Status != 201 {
			t.Fatalf("submit: %d %s", r.Status, r.Raw)
		}
		want(t, "submitting twice", s.SubmitDocuments(t, flowID, apptest.Selfie(t, 14)), 409, "wrong_state")
		want(t, "documents under review", s.Do(t, "GET", docsPath(flowID), "", nil), 409, "wrong_state")
		want(t, "unknown flow", s.SubmitDocuments(t, "aaaaaaaaaaaaaaaaaaaaaaaaaa", selfie), 404, "not_found")
		want(t, "unknown status link", s.Do(t, "GET", "/api/v1/application-status/"+flowID+".bm90LWEtbWFj", "", nil), 404, "not_found")
		want(t, "status link without a MAC", s.Do(t, "GET", "/api/v1/application-status/"+flowID, "", nil), 404, "not_found")
	})
}

func count(t *testing.T, s *apptest.Server, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A picture over the size limit is refused after reading one byte more
// than the limit, not the whole of it (SEC-FILE-2).
func TestOversizedPicture(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "big@example.com", pw, "+6581236021", true)
		flowID := s.ResetToMethod(t, "big@example.com", pw)
		big := append(apptest.Picture(t, 21, 480, 480), bytes.Repeat([]byte{0}, int(upload.Default.MaxFileBytes))...)
		want(t, "per file", s.UploadDocument(t, flowID, part("selfie_with_statement", big)), 413, "file_too_large")
		want(t, "in a submission", s.SubmitDocuments(t, flowID, part("selfie_with_statement", big)), 413, "file_too_large")
	})
}
