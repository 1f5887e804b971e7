package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

// Issue 13, item 4: behind a proxy that rewrites Host, a form from the
// site's own address (REBIND_BASE_URL's origin, sent by a browser without
// Sec-Fetch-Site) passes the cross-origin check; another origin gets the
// product's refusal (the error page on pages, the JSON error on the API);
// and an X-Forwarded-For from a peer that is not a trusted proxy is
// logged as a warning naming the peer.
func TestBehindAProxy(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		var logs syncBuffer
		opts.Logs = &logs
		opts.Env = map[string]string{"REBIND_BASE_URL": "https://id.example.com", "REBIND_TRUSTED_PROXIES": "10.0.0.0/8"}
		s := apptest.Start(t, opts)
		post := func(path, contentType, body, origin string) (int, string, string) {
			t.Helper()
			req, err := http.NewRequest("POST", s.URL+path, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("Origin", origin)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode, resp.Header.Get("Content-Type"), string(raw)
		}
		signIn := `{"email":"nobody@example.com","password":"not-the-password-1"}`
		// The request's Host is 127.0.0.1:port, not id.example.com.
		if status, _, raw := post("/api/v1/sessions", "application/json", signIn, "https://id.example.com"); status != 401 {
			t.Errorf("the site's own origin through a Host-rewriting proxy: %d %s, want 401 (past the cross-origin check)", status, raw)
		}
		if status, ct, raw := post("/api/v1/sessions", "application/json", signIn, "https://evil.example"); status != 403 ||
			!strings.HasPrefix(ct, "application/json") || !strings.Contains(raw, `"forbidden"`) {
			t.Errorf("another origin on the API: %d %s %s, want the 403 JSON error", status, ct, raw)
		}
		if status, ct, raw := post("/login", "application/x-www-form-urlencoded", "email=a%40example.com", "https://evil.example"); status != 403 ||
			!strings.HasPrefix(ct, "text/html") || !strings.Contains(raw, "sent from another site") {
			t.Errorf("another origin on a page: %d %s, want the 403 error page:\n%s", status, ct, raw)
		}
		req, err := http.NewRequest("GET", s.URL+"/healthz", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Forwarded-For", "198.51.100.7")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if out := logs.String(); !strings.Contains(out, `"level":"WARN","msg":"X-Forwarded-For from a peer not in REBIND_TRUSTED_PROXIES`) ||
			!strings.Contains(out, `"peer":"127.0.0.1","ignored_since_last_warning":1`) {
			t.Errorf("no warning of the ignored X-Forwarded-For:\n%s", out)
		}
	})
}
