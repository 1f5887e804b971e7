package console_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
)

var (
	csrfField   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	secretField = regexp.MustCompile(`(?s)<code class="secret" id="secret">(.*?)</code>`)
	tags        = regexp.MustCompile(`<[^>]+>|\s`)
)

// fakeServer starts a server on a fake clock, so tests can move to the
// next TOTP time step instead of waiting for it.
func fakeServer(t *testing.T, opts apptest.Options) (*apptest.Server, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Now().Truncate(time.Minute).Add(10 * time.Second))
	opts.Clock = clk
	return apptest.Start(t, opts), clk
}

// nextStep moves the clock to the next TOTP time step.
func nextStep(clk *clock.Fake) { clk.Advance(30 * time.Second) }

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, html.UnescapeString(string(b))
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, html.UnescapeString(string(b))
}

func csrf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("page has no form token:\n%s", page)
	}
	return m[1]
}

// secretOn reads the TOTP secret written out on an enrolment page.
func secretOn(t *testing.T, page string) string {
	t.Helper()
	m := secretField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no secret on the enrolment page:\n%s", page)
	}
	return tags.ReplaceAllString(m[1], "")
}

func code(t *testing.T, secret string, clk clock.Clock) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// noRedirects makes c return redirects instead of following them.
func noRedirects(c *http.Client) *http.Client {
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// signIn signs in to the console through its form and returns the answer.
func signIn(t *testing.T, s *apptest.Server, c *http.Client, email, pw, code string) (*http.Response, string) {
	t.Helper()
	_, page := get(t, c, s.InternalURL+"/staff/login")
	if !strings.Contains(page, `action="/staff/login"`) {
		t.Fatalf("not the sign-in page:\n%s", page)
	}
	return post(t, c, s.InternalURL+"/staff/login", url.Values{"csrf": {csrf(t, page)}, "email": {email}, "password": {pw}, "code": {code}})
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return html.UnescapeString(string(b))
}
