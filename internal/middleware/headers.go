package middleware

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// contentSecurityPolicy allows only the binary's own scripts, styles and
// images (data: images for the captcha, blob: for the preview of a picture
// the user is uploading, which the page's script makes from the user's own
// file: the server never sends an uploaded picture back), no inline
// script, no framing, and forms posting only to this site.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// SecurityHeaders sets the headers every response carries. Dynamic
// responses are never cached (they hold personal data and flow state);
// static assets under /static/ may be. hsts adds Strict-Transport-Security,
// which only makes sense behind https.
func SecurityHeaders(hsts bool) func(http.Handler) http.Handler {
	// The values are built once: every response shares these one-element
	// slices (Header.Set and Add replace or grow a slice, never write into
	// it), which saves a map key canonicalisation and an allocation per
	// header per request.
	fixed := map[string][]string{
		"Content-Security-Policy":      {contentSecurityPolicy},
		"X-Content-Type-Options":       {"nosniff"},
		"X-Frame-Options":              {"DENY"},
		"Referrer-Policy":              {"no-referrer"},
		"Cross-Origin-Opener-Policy":   {"same-origin"},
		"Cross-Origin-Resource-Policy": {"same-origin"},
		"Permissions-Policy":           {"camera=(), microphone=(), geolocation=(), payment=()"},
	}
	if hsts {
		fixed["Strict-Transport-Security"] = []string{"max-age=63072000; includeSubDomains"}
	}
	for k, v := range fixed {
		fixed[k] = v[:1:1]
	}
	noStore := []string{"no-store"}[:1:1]
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			for k, v := range fixed {
				h[k] = v
			}
			if !strings.HasPrefix(r.URL.Path, "/static/") {
				h["Cache-Control"] = noStore
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CrossOrigin refuses state-changing requests that a browser marks as coming
// from another site (Sec-Fetch-Site, or an Origin that is not this host):
// deny answers them (each surface in its own shape, a 403); nil means the
// standard library's plain-text 403. Requests without either header are not
// from a browser's cross-site context and pass; page forms also carry a
// token (see the web package) for browsers that send neither.
//
// The origins of sites (REBIND_BASE_URL, REBIND_STAFF_URL) are trusted: a
// proxy that rewrites Host makes an older browser's Origin (sent without
// Sec-Fetch-Site) differ from the Host rebind sees, though the form came
// from rebind's own page.
func CrossOrigin(deny http.Handler, sites ...*url.URL) (func(http.Handler) http.Handler, error) {
	cop := http.NewCrossOriginProtection()
	if deny != nil {
		cop.SetDenyHandler(deny)
	}
	for _, u := range sites {
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return nil, fmt.Errorf("trusted origin of %s: %w", u, err)
		}
	}
	return func(next http.Handler) http.Handler { return cop.Handler(next) }, nil
}
