package httphtml

import (
	"encoding/base64"
	"net/http"
	"time"

	"github.com/rebindhq/rebind/internal/token"
)

// CookieName returns the full name of the site's cookie name. On a Secure
// site the __Host- prefix pins it to this origin: browsers accept it only
// when Secure, host-only and Path=/, so a sibling subdomain cannot plant it.
func (s *Site) CookieName(name string) string {
	if s.Secure {
		return "__Host-" + s.CookiePrefix + name
	}
	return s.CookiePrefix + name
}

// SetCookie sets a cookie that scripts cannot read, for maxAge (0: until
// the browser closes).
func (s *Site) SetCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: s.Secure, SameSite: http.SameSiteLaxMode})
}

// ClearCookie tells the browser to drop a cookie SetCookie set.
func (s *Site) ClearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.Secure, SameSite: http.SameSiteLaxMode})
}

// Cookie returns the value of the request's cookie name, or "".
func Cookie(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

// CSRFToken returns the form token for this browser, setting the random
// cookie it is derived from when missing. Forms send the token back; the
// cookie alone is not enough, and another site can read neither.
func (s *Site) CSRFToken(w http.ResponseWriter, r *http.Request) string {
	name := s.CookieName("csrf")
	nonce := Cookie(r, name)
	if nonce == "" || len(nonce) > 64 {
		nonce = token.NewSecret()
		s.SetCookie(w, name, nonce, 0)
		r.AddCookie(&http.Cookie{Name: name, Value: nonce})
	}
	return base64.RawURLEncoding.EncodeToString(s.CSRFKeys.MAC([]byte(nonce)))
}

// ValidCSRF reports whether the request's csrf form field is the token of
// its browser's cookie under this site's key.
func (s *Site) ValidCSRF(r *http.Request) bool {
	return s.validToken(r, r.PostFormValue("csrf"))
}

// validToken reports whether tok is the form token of r's browser.
func (s *Site) validToken(r *http.Request, tok string) bool {
	nonce := Cookie(r, s.CookieName("csrf"))
	if nonce == "" {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return false
	}
	return s.CSRFKeys.Verify(got, []byte(nonce))
}
