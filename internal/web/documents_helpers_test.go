package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/reset"
)

// sendParts posts a multipart form of parts, in order, as the browser of
// client c; accept "application/json" is how the page's script asks.
func sendParts(t *testing.T, c *http.Client, u, accept string, parts ...apptest.Part) (*http.Response, string) {
	t.Helper()
	body, ct := apptest.Multipart(t, parts...)
	req, err := http.NewRequest("POST", u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, html.UnescapeString(string(b))
}

// errorMessage reads the message of a JSON error answer.
func errorMessage(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not a JSON error: %s", body)
	}
	return e.Error.Message
}

func csrfPart(tok string) apptest.Part { return apptest.Part{Name: "csrf", Data: []byte(tok)} }

func filePart(kind, name string, data []byte) apptest.Part {
	return apptest.Part{Name: kind, FileName: name, Data: data}
}

func textPart(name, value string) apptest.Part { return apptest.Part{Name: name, Data: []byte(value)} }

// recordsAccount creates a non-KYC account with a mobile and one deposit
// whose TXID is txid.
func recordsAccount(t *testing.T, s *apptest.Server, email, mobile, txid string) string {
	t.Helper()
	id := s.CreateAccount(t, email, pw, mobile, false)
	at := time.Now().Add(-100 * 24 * time.Hour).UTC().Format(time.RFC3339)
	r := s.Admin(t, "POST", "/admin/v1/accounts/"+id+"/activity", map[string]any{"deposits": []map[string]any{{
		"external_id": "d1", "coin": "USDT", "network": "TRC20", "amount": "120.5", "address": "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
		"txid": txid, "at": at}}})
	if r.Status != 200 {
		t.Fatalf("push a deposit: %d %s", r.Status, r.Raw)
	}
	return id
}

// applicationOf returns the application of the reset this browser holds.
func applicationOf(t *testing.T, s *apptest.Server, c *http.Client) evidence.Application {
	t.Helper()
	v, err := s.Reset.Status(context.Background(), cookieOf(c, s.URL, "rebind_reset"))
	if err != nil || v.Application == nil {
		t.Fatalf("no application: %v", err)
	}
	return *v.Application
}

// decide approves (reason "") or rejects application id as the admin API
// would.
func decide(t *testing.T, s *apptest.Server, id, reason, note string) {
	t.Helper()
	_, err := s.Reset.Decide(context.Background(), id, reset.Decision{Approve: reason == "", Reason: reason, Note: note, ActorKind: audit.ActorAdmin})
	if err != nil {
		t.Fatal(err)
	}
}

var statusLink = regexp.MustCompile(`id="status-link"[^>]*>https?://[^/<]+(/reset-mobile/status/[^<]+)</a>`)

// statusPath reads the status link's path from the under-review page.
func statusPath(t *testing.T, page string) string {
	t.Helper()
	m := statusLink.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no status link on the page:\n%s", mainOf(page))
	}
	return m[1]
}

// has fails the test unless page holds every one of wants.
func has(t *testing.T, what, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Fatalf("%s lacks %q:\n%s", what, w, mainOf(page))
		}
	}
}

// appOfAccount returns the id of the application under review of the
// account whose email is email.
func appOfAccount(t *testing.T, s *apptest.Server, email string) string {
	t.Helper()
	var id string
	err := s.DB.QueryRowContext(context.Background(), `SELECT a.id FROM applications a JOIN accounts c ON c.id = a.account_id
		WHERE c.email = $1 AND a.state = 'under_review'`, email).Scan(&id)
	if err != nil {
		t.Fatalf("the application under review of %s: %v", email, err)
	}
	return id
}
