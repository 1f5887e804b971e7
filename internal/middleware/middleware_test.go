package middleware

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/client"
)

func echoClient() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := client.From(r.Context())
		w.Write([]byte(info.IP + " " + info.RequestID))
	})
}

// SEC-SES-7 (v5.0.0-15.3.4): forwarded-for headers count only from trusted
// proxies.
func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	h := Client(trusted, nil)(echoClient())
	cases := []struct {
		remote, xff, want string
	}{
		{"203.0.113.9:5000", "", "203.0.113.9"},
		{"203.0.113.9:5000", "1.2.3.4", "203.0.113.9"},                       // untrusted peer: header ignored
		{"10.0.0.2:5000", "198.51.100.7", "198.51.100.7"},                    // one trusted proxy
		{"10.0.0.2:5000", "6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"}, // spoofed left end ignored
		{"10.0.0.2:5000", "garbage", "10.0.0.2"},
		{"[::ffff:203.0.113.9]:5000", "", "203.0.113.9"},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = c.remote
		if c.xff != "" {
			req.Header.Set("X-Forwarded-For", c.xff)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := strings.Fields(rec.Body.String())[0]; got != c.want {
			t.Errorf("remote %s, XFF %q: ip %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}

func TestRequestIDFromTrustedProxyOnly(t *testing.T) {
	h := Client([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, nil)(echoClient())
	for _, c := range []struct {
		remote string
		keep   bool
	}{{"10.1.1.1:1", true}, {"203.0.113.1:1", false}} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = c.remote
		req.Header.Set("X-Request-Id", "upstream-id-1234")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := strings.Fields(rec.Body.String())[1]
		if (got == "upstream-id-1234") != c.keep || rec.Header().Get("X-Request-Id") != got {
			t.Errorf("remote %s: request id %q", c.remote, got)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := SecurityHeaders(true)(http.NotFoundHandler())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
	want := map[string]string{
		"X-Content-Type-Options":    "nosniff",
		"X-Frame-Options":           "DENY",
		"Referrer-Policy":           "no-referrer",
		"Cache-Control":             "no-store",
		"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
	}
	for k, v := range want {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	csp := rec.Header().Get("Content-Security-Policy")
	for _, part := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'", "img-src 'self' data: blob:;"} {
		if !strings.Contains(csp, part) {
			t.Errorf("CSP %q lacks %q", csp, part)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Error("CSP allows inline script or style")
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/static/app.css", nil))
	if rec.Header().Get("Cache-Control") == "no-store" {
		t.Error("static assets are marked no-store")
	}
}

// SEC-SES-5 (v5.0.0-3.5.1): cross-site state changes are refused.
// Behind a proxy that rewrites Host (here to rebind.internal:8080), an
// older browser's Origin (no Sec-Fetch-Site) names the site's address
// (REBIND_BASE_URL): that origin passes, another still does not.
func TestCrossOrigin(t *testing.T) {
	site, err := url.Parse("https://id.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	co, err := CrossOrigin(nil, site)
	if err != nil {
		t.Fatal(err)
	}
	h := co(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	cases := []struct {
		method string
		header map[string]string
		want   int
	}{
		{"POST", map[string]string{"Origin": "https://id.example.com", "Host": "rebind.internal:8080"}, 204},
		{"POST", map[string]string{"Origin": "http://id.example.com", "Host": "rebind.internal:8080"}, 403},
		{"POST", map[string]string{"Origin": "https://evil.example", "Host": "rebind.internal:8080"}, 403},
		{"POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"POST", map[string]string{"Origin": "https://evil.example"}, 403},
		{"DELETE", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"POST", map[string]string{"Sec-Fetch-Site": "same-origin"}, 204},
		{"POST", map[string]string{"Origin": "http://example.com"}, 204},
		{"POST", nil, 204}, // not a browser: apps and the admin API
		{"GET", map[string]string{"Sec-Fetch-Site": "cross-site"}, 204},
	}
	for _, c := range cases {
		req := httptest.NewRequest(c.method, "http://example.com/api/v1/sessions", nil)
		for k, v := range c.header {
			req.Header.Set(k, v)
		}
		if host := c.header["Host"]; host != "" {
			req.Host = host
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%s %v: %d, want %d", c.method, c.header, rec.Code, c.want)
		}
	}
}

func TestLogAndRecover(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	var seen string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom/{id}", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	h := Chain(mux, Client(nil, nil), Log(log, func(r *http.Request, p string, status int, d time.Duration) { seen = p }), Recover(log))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/boom/secret-id-123?code=654321", nil))
	if rec.Code != 500 {
		t.Fatalf("panic gave %d", rec.Code)
	}
	out := buf.String()
	if seen != "GET /boom/{id}" || !strings.Contains(out, `"route":"GET /boom/{id}"`) || !strings.Contains(out, `"status":500`) {
		t.Fatalf("log: %s (observed %q)", out, seen)
	}
	if strings.Contains(out, "secret-id-123") || strings.Contains(out, "654321") {
		t.Fatal("the log holds the raw path or query")
	}
}

// A handler that fails after its client went away (the request context
// cancelled) is logged at info and observed as 499; the same failure with
// the client still there stays a 500 at error.
func TestLogClientGone(t *testing.T) {
	for _, gone := range []bool{true, false} {
		var logs bytes.Buffer
		var observed int
		h := Log(slog.New(slog.NewJSONHandler(&logs, nil)), func(_ *http.Request, _ string, status int, _ time.Duration) {
			observed = status
		})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}))
		ctx, cancel := context.WithCancel(context.Background())
		if gone {
			cancel()
		}
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(ctx, "GET", "/", nil))
		cancel()
		want, level := 500, `"level":"ERROR"`
		if gone {
			want, level = 499, `"level":"INFO"`
		}
		if observed != want || !strings.Contains(logs.String(), level) {
			t.Errorf("client gone %v: observed %d, log %s; want %d at %s", gone, observed, logs.String(), want, level)
		}
	}
}
