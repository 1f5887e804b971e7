package web_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/web"
)

// recorder lists the patterns a route table registers.
type recorder []string

func (rec *recorder) Handle(pattern string, _ http.Handler) { *rec = append(*rec, pattern) }

// A NUL byte or invalid UTF-8 in any page's form, query or address is a
// clear 400 page, on both databases, before any of it reaches a query
// (SPEC §5, issue 7): PostgreSQL cannot store either, which was a 500.
func TestBadBytesInPagesAreA400Page(t *testing.T) {
	var rec recorder
	if err := (&web.Pages{Dev: true}).Routes(&rec); err != nil {
		t.Fatal(err)
	}
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		c := s.Client()
		_, page := get(t, c, s.URL+"/login")
		tok := csrf(t, page)
		for _, pattern := range rec {
			method, path, _ := strings.Cut(pattern, " ")
			switch {
			case pattern == "GET /static/":
				continue // files, no database
			case path == "":
				method, path = "GET", "/no-such-page"
			}
			path = strings.NewReplacer("{$}", "", "{id}", "aaaaaaaaaaaaaaaaaaaaaaaaaa").Replace(path)
			for _, bad := range []string{"a\x00b", "a\xffb"} {
				var resp *http.Response
				var page string
				if method == "POST" {
					resp, page = post(t, c, s.URL+path, url.Values{"csrf": {tok}, "email": {bad}, "number": {bad}, "t": {bad}})
				} else {
					resp, page = get(t, c, s.URL+path+"?to="+url.QueryEscape(bad)+"&t="+url.QueryEscape(bad))
				}
				if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
					!strings.Contains(page, `data-page="error"`) || !strings.Contains(page, "holds a NUL character or bytes that are not UTF-8") {
					t.Errorf("%s %s with %q: %d %.300s", method, path, bad, resp.StatusCode, mainOf(page))
				}
			}
		}
		resp, page := get(t, c, s.URL+"/no-such-page%00")
		if resp.StatusCode != 400 || !strings.Contains(page, `data-page="error"`) {
			t.Errorf("NUL in the address: %d %.300s", resp.StatusCode, mainOf(page))
		}
	})
}

// A page form posted from another site is refused with 403 as an error
// page that says why, not the standard library's plain text (issue 7;
// SEC-SES-5).
func TestCrossSiteFormsGetAnErrorPage(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		var rec recorder
		if err := (&web.Pages{Dev: true}).Routes(&rec); err != nil {
			t.Fatal(err)
		}
		s := apptest.Start(t, opts)
		for _, pattern := range rec {
			method, path, _ := strings.Cut(pattern, " ")
			if method != "POST" {
				continue
			}
			path = strings.ReplaceAll(path, "{id}", "aaaaaaaaaaaaaaaaaaaaaaaaaa")
			req, err := http.NewRequest("POST", s.URL+path, strings.NewReader("email=a%40example.com"))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			resp, page := do(t, req)
			if resp.StatusCode != 403 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
				!strings.Contains(page, `data-page="error"`) || !strings.Contains(page, "sent from another site") {
				t.Errorf("%s: %d %s %.300s", pattern, resp.StatusCode, resp.Header.Get("Content-Type"), mainOf(page))
			}
		}
	})
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, html.UnescapeString(string(b))
}
