package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// get sends a GET to url, with the admin token when admin is set, and
// returns the status, the content type and the body.
func get(t *testing.T, url string, admin bool) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if admin {
		req.Header.Set("Authorization", "Bearer "+apptest.AdminToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// Issue 9 §5: the admin API and /metrics are served on the internal
// listener only. On the public one they are unknown paths, answered
// exactly as any other unknown path (nothing tells that they exist
// elsewhere), even with the right admin token.
func TestAdminAPIAndMetricsAreOnTheInternalListenerOnly(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := s.CreateAccount(t, "split@example.com", pw, "", false)
		unknownStatus, unknownType, unknownBody := get(t, s.URL+"/no-such-page", false)
		if unknownStatus != 404 || !strings.Contains(unknownBody, "There is no page at this address.") {
			t.Fatalf("an unknown public path: %d %s", unknownStatus, unknownBody)
		}
		for _, path := range []string{"/admin/v1/accounts/" + id, "/admin/v1/audit?account=" + id, "/admin/v1/nothing", "/metrics"} {
			status, ctype, body := get(t, s.URL+path, true)
			if status != 404 || ctype != unknownType || body != unknownBody {
				t.Errorf("public %s: %d %s, want the unknown path's 404:\n%s", path, status, ctype, body)
			}
		}
		// Every method: a POST is not asked for a form token (403) first.
		r := s.Do(t, "POST", "/admin/v1/accounts", apptest.AdminToken, map[string]any{"email": "public@example.com", "password": pw})
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM accounts WHERE email = $1", "public@example.com"); r.Status != 404 ||
			string(r.Raw) != unknownBody || n != 0 {
			t.Fatalf("account creation on the public listener: %d, %d accounts made\n%s", r.Status, n, r.Raw)
		}
		if r := s.Do(t, "POST", "/metrics", "", nil); r.Status != 404 || string(r.Raw) != unknownBody {
			t.Errorf("POST /metrics on the public listener: %d %s", r.Status, r.Raw)
		}

		if r := s.Admin(t, "GET", "/admin/v1/accounts/"+id, nil); r.Status != 200 || r.Body["email"] != "split@example.com" ||
			r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("X-Request-Id") == "" {
			t.Fatalf("internal admin API: %d %v %s", r.Status, r.Header, r.Raw)
		}
		status, ctype, body := get(t, s.InternalURL+"/metrics", false)
		if status != 200 || !strings.HasPrefix(ctype, "text/plain") || !strings.Contains(body, `rebind_http_requests_total{route="GET /admin/v1/accounts/{id}",status="200"} 1`) {
			t.Fatalf("internal /metrics: %d %s\n%s", status, ctype, body)
		}
		// The internal listener has no pages and no user API: its unknown
		// paths, those included, are the JSON 404.
		for _, path := range []string{"/", "/login", "/api/v1/account", "/dev/outbox"} {
			if r := s.DoInternal(t, "GET", path, "", nil); r.Status != 404 || r.ErrorCode() != "not_found" {
				t.Errorf("internal %s: %d %s", path, r.Status, r.Raw)
			}
		}
	})
}

// /healthz and /readyz answer on both listeners, and readiness follows the
// database on both.
func TestHealthChecksOnBothListeners(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		for _, base := range []string{s.URL, s.InternalURL} {
			for path, want := range map[string]string{"/healthz": `{"status":"ok"}`, "/readyz": `{"status":"ready"}`} {
				status, ctype, body := get(t, base+path, false)
				if status != 200 || !strings.HasPrefix(ctype, "application/json") || strings.TrimSpace(body) != want {
					t.Errorf("%s%s: %d %s %s", base, path, status, ctype, body)
				}
			}
		}
		s.DB.Close()
		for _, do := range []func(testing.TB, string, string, string, any) apptest.Response{s.Do, s.DoInternal} {
			if r := do(t, "GET", "/readyz", "", nil); r.Status != 503 || r.ErrorCode() != "unavailable" {
				t.Errorf("/readyz with the database closed: %d %s", r.Status, r.Raw)
			}
		}
	})
}
