package web_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/session"
)

// changeServer starts a test server and returns it with its address.
func changeServer(t *testing.T, opts apptest.Options) (*apptest.Server, string) {
	t.Helper()
	s := apptest.Start(t, opts)
	return s, s.URL
}

// signedInClient signs in through the API (the code goes to "to") and
// returns a browser-like client holding the session cookie for base.
func signedInClient(t *testing.T, s *apptest.Server, base, email, to string) *http.Client {
	t.Helper()
	tok := s.SignIn(t, email, pw, to)
	c := s.Client()
	u, _ := url.Parse(base)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: session.CookieName(false), Value: tok, Path: "/"}})
	return c
}

var captchaAttr = regexp.MustCompile(`data-captcha="([^"]+)"`)

// puzzleID reads the challenge id the puzzle page carries.
func puzzleID(t *testing.T, page string) string {
	t.Helper()
	m := captchaAttr.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no puzzle on the page:\n%s", page)
	}
	return m[1]
}

// solveForm is the form the slider posts for challenge id, dropped at x
// along a person-like drag.
func solveForm(tok, id string, x int, seed uint64) url.Values {
	trail := captcha.HumanTrail(rand.New(rand.NewPCG(seed, 7)), x)
	raw := make([][3]int, len(trail))
	for i, p := range trail {
		raw[i] = [3]int{p.T, p.X, p.Y}
	}
	b, _ := json.Marshal(raw)
	return url.Values{"csrf": {tok}, "captcha": {id}, "x": {strconv.Itoa(x)}, "trail": {string(b)}}
}

// solve answers the puzzle on page rightly.
func solve(t *testing.T, s *apptest.Server, c *http.Client, base, tok, page string) (*http.Response, string) {
	t.Helper()
	id := puzzleID(t, page)
	x, err := s.Captcha.AnswerForTest(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return post(t, c, base+"/settings/mobile/puzzle", solveForm(tok, id, x, uint64(x)))
}

// onPage fails unless page is the page named name.
func onPage(t *testing.T, resp *http.Response, page, name string, status int) {
	t.Helper()
	if resp.StatusCode != status || !strings.Contains(page, `data-page="`+name+`"`) {
		m := regexp.MustCompile(`data-page="([^"]*)"`).FindStringSubmatch(page)
		t.Fatalf("want page %s (%d), got %v (%d) at %s:\n%s", name, status, m, resp.StatusCode, resp.Request.URL, mainOf(page))
	}
}

// mainOf returns the <main> of a page, for failure messages.
func mainOf(page string) string {
	if i := strings.Index(page, "<main"); i >= 0 {
		if j := strings.Index(page[i:], "</main>"); j >= 0 {
			return page[i : i+j]
		}
	}
	return page
}

// toNewNumber walks a change from the warning to the number step; mobile
// is the number bound now.
func toNewNumber(t *testing.T, s *apptest.Server, c *http.Client, base, email, mobile string) string {
	t.Helper()
	_, page := get(t, c, base+"/settings/mobile")
	tok := csrf(t, page)
	resp, page := post(t, c, base+"/settings/mobile/start", url.Values{"csrf": {tok}})
	onPage(t, resp, page, "mobile_verify", 200)
	mark, markSMS := s.Mark(t, email), s.Mark(t, mobile)
	post(t, c, base+"/settings/mobile/email-code", url.Values{"csrf": {tok}})
	post(t, c, base+"/settings/mobile/sms-code", url.Values{"csrf": {tok}})
	resp, page = post(t, c, base+"/settings/mobile/verify", url.Values{"csrf": {tok},
		"email_code": {s.CodeSince(t, email, mark)}, "sms_code": {s.CodeSince(t, mobile, markSMS)}})
	onPage(t, resp, page, "mobile_number", 200)
	return tok
}
