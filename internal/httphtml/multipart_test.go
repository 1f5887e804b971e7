package httphtml

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

type part struct{ name, file, data string }

// multipartPost is a multipart form post holding parts, in order.
func multipartPost(t *testing.T, ck *http.Cookie, parts ...part) *http.Request {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.file != "" {
			w, err = mw.CreateFormFile(p.name, p.file)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.data)
	}
	mw.Close()
	r := httptest.NewRequest("POST", "/upload", &b)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if ck != nil {
		r.AddCookie(ck)
	}
	return r
}

// A form with files is checked like any form (SEC-SES-5: its token first)
// and bounded (SEC-FILE-2), and its parts reach the handler unread.
func TestWrapParts(t *testing.T) {
	s := newSite(t, "k", false, io.Discard)
	tok, ck := issue(t, s)
	const max = 4 << 10
	h := s.WrapParts(max, func(w http.ResponseWriter, r *http.Request, parts *multipart.Reader) error {
		var names []string
		for {
			p, err := parts.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			b, err := io.ReadAll(p)
			if err != nil {
				return err
			}
			names = append(names, p.FormName()+"="+string(b))
		}
		io.WriteString(w, "read "+strings.Join(names, ","))
		return nil
	})
	for _, c := range []struct {
		name   string
		r      *http.Request
		status int
		shown  string
	}{
		{"token, then files", multipartPost(t, ck, part{"csrf", "", tok}, part{"photo", "a.jpg", "xyz"}, part{"txid", "", "t1"}), 200,
			"read photo=xyz,txid=t1"},
		{"no cookie", multipartPost(t, nil, part{"csrf", "", tok}, part{"photo", "a.jpg", "xyz"}), 403, "This form has expired."},
		{"a wrong token", multipartPost(t, ck, part{"csrf", "", "x" + tok}, part{"photo", "a.jpg", "xyz"}), 403, "This form has expired."},
		{"the token after a file", multipartPost(t, ck, part{"photo", "a.jpg", "xyz"}, part{"csrf", "", tok}), 403, "This form has expired."},
		{"the token as a file", multipartPost(t, ck, part{"csrf", "t.txt", tok}), 403, "This form has expired."},
		{"a huge token", multipartPost(t, ck, part{"csrf", "", strings.Repeat("a", 2*max)}), 403, "This form has expired."},
		{"no parts", multipartPost(t, ck), 403, "This form has expired."},
		{"NUL in the query", func() *http.Request {
			r := multipartPost(t, ck, part{"csrf", "", tok})
			r.URL.RawQuery = "q=%00"
			return r
		}(), 400, "holds a NUL"},
		// Not multipart: the usual checks, then a refusal.
		{"a plain form", post(url.Values{"csrf": {tok}}, ck), 400, "This form sends files"},
		{"a plain form without its token", post(url.Values{"csrf": {"x"}}, ck), 403, "This form has expired."},
		{"a plain form with a NUL", post(url.Values{"csrf": {tok}, "email": {"a\x00"}}, ck), 400, "holds a NUL"},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, c.r)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.shown) {
			t.Errorf("%s: %d\n%s", c.name, w.Code, w.Body.String())
		}
	}
	// Past the bound the handler's read fails as too large.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, multipartPost(t, ck, part{"csrf", "", tok}, part{"photo", "a.jpg", strings.Repeat("x", 2*max)}))
	if w.Code == 200 {
		t.Errorf("a body over the bound was read whole: %s", w.Body.String())
	}
}
