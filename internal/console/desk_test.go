package console_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/staff"
)

// desk is a staff member at the console, as a client that does not follow
// redirects, with its form token.
type desk struct {
	t      *testing.T
	s      *apptest.Server
	m      staff.Member
	secret string
	c      *http.Client
	tok    string
}

func newDesk(t *testing.T, s *apptest.Server, email string, role staff.Role) *desk {
	t.Helper()
	m, secret, c := s.StaffMember(t, email, role)
	d := &desk{t: t, s: s, m: m, secret: secret, c: noRedirects(c)}
	_, page := d.get("/staff")
	d.tok = csrf(t, page)
	return d
}

func (d *desk) get(path string) (*http.Response, string) {
	d.t.Helper()
	return get(d.t, d.c, d.s.InternalURL+path)
}

// post sends a console form with the member's form token.
func (d *desk) post(path string, form url.Values) (*http.Response, string) {
	d.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", d.tok)
	return post(d.t, d.c, d.s.InternalURL+path, form)
}

// must sends a console form and fails unless it answers want.
func (d *desk) must(want int, path string, form url.Values) string {
	d.t.Helper()
	resp, page := d.post(path, form)
	if resp.StatusCode != want {
		d.t.Fatalf("%s as %s: %d, want %d\n%s", path, d.m.Email, resp.StatusCode, want, page)
	}
	return page
}

func appPath(id string, more ...string) string {
	return "/staff/applications/" + id + strings.Join(more, "")
}

// approval is the approve form with every item of the class's checklist
// ticked.
func approval(class string) url.Values {
	f := url.Values{"decision": {"approve"}}
	f["check"] = checks[class]
	return f
}

var checks = map[string][]string{
	"kyc":                 {"face_shoulders", "holds_id_and_statement", "id_text", "face_matches_id", "statement_text"},
	"nonkyc_no_records":   {"email_from_exchange", "email_address_and_body", "email_kind_signup_login"},
	"nonkyc_with_records": {"email_from_exchange", "email_address_and_body", "email_kind_with_records", "counterparty", "transaction_details"},
}

func rejection(reason, note string) url.Values {
	return url.Values{"decision": {"reject"}, "reason": {reason}, "note": {note}}
}

const pw = userPassword

// emailsApplication makes an account without KYC or records whose emails
// go to email, resets it by documents and submits an email screenshot of
// seed; it returns the application's id.
func emailsApplication(t *testing.T, s *apptest.Server, email, mobile string, seed uint64) apptest.Application {
	t.Helper()
	id := s.CreateAccount(t, email, pw, mobile, false)
	flowID := s.ResetToMethod(t, email, pw)
	r := s.SubmitDocuments(t, flowID, apptest.Part{Name: "email_screenshot", FileName: "mail.png", Data: apptest.PicturePNG(t, seed, 600, 500)})
	if r.Status != http.StatusCreated {
		t.Fatalf("submit: %d %s", r.Status, r.Raw)
	}
	return apptest.Application{AccountID: id, FlowID: flowID, ID: r.Body["application_id"].(string)}
}

// recordsApplication makes an account without KYC with two deposits on
// record, and submits screenshots and the two TXIDs typed (the second
// with another amount when wrongAmount).
func recordsApplication(t *testing.T, s *apptest.Server, email, mobile string, seed uint64, wrongAmount bool) apptest.Application {
	t.Helper()
	id := s.CreateAccount(t, email, pw, mobile, false)
	txid := func(i int) string { return fmt.Sprintf("%064x", seed*100+uint64(i)) }
	var deposits []map[string]any
	for i := range 2 {
		deposits = append(deposits, map[string]any{"external_id": fmt.Sprintf("d%d", i), "coin": "USDT", "network": "TRC20",
			"amount": "150.25", "address": fmt.Sprintf("TAddr%d", i), "txid": txid(i), "at": "2026-01-0" + fmt.Sprint(i+1) + "T00:00:00Z"})
	}
	if r := s.Admin(t, "POST", "/admin/v1/accounts/"+id+"/activity", map[string]any{"deposits": deposits}); r.Status != 200 {
		t.Fatalf("activity: %d %s", r.Status, r.Raw)
	}
	second := "150.25"
	if wrongAmount {
		second = "99"
	}
	typed, _ := json.Marshal([]map[string]string{{"txid": txid(0), "coin": "USDT", "amount": "150.25"}, {"txid": txid(1), "coin": "USDT", "amount": second}})
	flowID := s.ResetToMethod(t, email, pw)
	r := s.SubmitDocuments(t, flowID,
		apptest.Part{Name: "email_screenshot", FileName: "mail.png", Data: apptest.PicturePNG(t, seed, 600, 500)},
		apptest.Part{Name: "transaction_screenshot", FileName: "tx.png", Data: apptest.PicturePNG(t, seed+1000, 600, 500)},
		apptest.Part{Name: "transactions", Data: typed})
	if r.Status != http.StatusCreated {
		t.Fatalf("submit: %d %s", r.Status, r.Raw)
	}
	return apptest.Application{AccountID: id, FlowID: flowID, ID: r.Body["application_id"].(string)}
}
