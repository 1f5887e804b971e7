package api_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

// These tests pin what docs/api.md says where the page and the code were
// found to disagree (issue 7).

// Every 429 names the limit that refused in `limit` and says when to come
// back in `retry_after_seconds` and Retry-After (SPEC §5). The send limits
// of codes are named in docs/security.md and tested in internal/code.
func TestRateLimitedErrorsNameTheLimit(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		cases := []struct {
			limit string
			// hit sends requests until one is refused and returns it.
			hit func(t *testing.T, s *apptest.Server) apptest.Response
		}{
			{"signin_email", func(t *testing.T, s *apptest.Server) apptest.Response {
				return until(t, 11, func(int) apptest.Response {
					return s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "limited@example.com", "password": "wrong-" + pw})
				})
			}},
			{"signin_ip", func(t *testing.T, s *apptest.Server) apptest.Response {
				return until(t, 101, func(i int) apptest.Response {
					return s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": fmt.Sprintf("n%d@example.com", i), "password": pw})
				})
			}},
			{"pwreset_email", func(t *testing.T, s *apptest.Server) apptest.Response {
				return until(t, 6, func(int) apptest.Response {
					return s.Do(t, "POST", "/api/v1/password-reset", "", map[string]string{"email": "nobody@example.com"})
				})
			}},
			{"pwreset_ip", func(t *testing.T, s *apptest.Server) apptest.Response {
				return until(t, 31, func(i int) apptest.Response {
					return s.Do(t, "POST", "/api/v1/password-reset", "", map[string]string{"email": fmt.Sprintf("n%d@example.com", i)})
				})
			}},
			{"captcha_ip", func(t *testing.T, s *apptest.Server) apptest.Response {
				return until(t, 31, func(int) apptest.Response { return s.Do(t, "POST", "/api/v1/captcha", "", nil) })
			}},
			{"resend_cooldown", func(t *testing.T, s *apptest.Server) apptest.Response {
				s.CreateAccount(t, "cool@example.com", pw, "", false)
				r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "cool@example.com", "password": pw})
				if r.Status != 200 {
					t.Fatalf("sign-in: %d %s", r.Status, r.Raw)
				}
				return s.Do(t, "POST", "/api/v1/sessions/"+r.Body["login_id"].(string)+"/code", "", nil)
			}},
		}
		for _, c := range cases {
			t.Run(c.limit, func(t *testing.T) {
				// The clock stands still: no limit's window ends
				// between the requests that fill it.
				r := c.hit(t, apptest.Start(t, apptest.Options{Clock: startOfDay()}))
				e, _ := r.Body["error"].(map[string]any)
				secs, _ := e["retry_after_seconds"].(float64)
				if r.Status != 429 || r.ErrorCode() != "rate_limited" || e["limit"] != c.limit || secs < 1 ||
					r.Header.Get("Retry-After") != fmt.Sprint(secs) {
					t.Fatalf("%d %s (Retry-After %q), want 429 rate_limited with limit %q", r.Status, r.Raw, r.Header.Get("Retry-After"), c.limit)
				}
			})
		}
	})
}

// until makes up to n requests and returns the first refused one; it fails
// the test if none is.
func until(t *testing.T, n int, do func(i int) apptest.Response) apptest.Response {
	t.Helper()
	for i := range n {
		if r := do(i); r.Status == 429 {
			return r
		}
	}
	t.Fatalf("%d requests, none refused", n)
	return apptest.Response{}
}

// Opening a change (or a bind) cancels the one open before: its steps are
// 410 flow_expired and its status says cancelled.
func TestStartingAChangeCancelsTheOpenOne(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "twice@example.com", pw, "+6581240020", false)
		s.CreateAccount(t, "twicebind@example.com", pw, "", false)
		for kind, tok := range map[string]string{
			"mobile-change": s.SignIn(t, "twice@example.com", pw, "+6581240020"),
			"mobile-bind":   s.SignIn(t, "twicebind@example.com", pw, "twicebind@example.com"),
		} {
			open := func() string {
				r := s.Do(t, "POST", "/api/v1/"+kind, tok, nil)
				if r.Status != 201 {
					t.Fatalf("open %s: %d %s", kind, r.Status, r.Raw)
				}
				return "/api/v1/" + kind + "/" + r.Body["flow_id"].(string)
			}
			first, second := open(), open()
			if r := s.Do(t, "GET", first, tok, nil); r.Status != 200 || r.Body["state"] != "cancelled" {
				t.Errorf("%s: the first after the second opened: %d %s", kind, r.Status, r.Raw)
			}
			if r := s.Do(t, "POST", first+"/email-code", tok, nil); r.Status != 410 || r.ErrorCode() != "flow_expired" {
				t.Errorf("%s: a step of the cancelled one: %d %s", kind, r.Status, r.Raw)
			}
			if r := s.Do(t, "POST", second+"/email-code", tok, nil); r.Status != 202 {
				t.Errorf("%s: a step of the open one: %d %s", kind, r.Status, r.Raw)
			}
		}
	})
}

// A change's or a bind's verify answers with the flow's status, as GET
// …/{flow_id} does.
func TestChangeVerifyAnswersWithTheStatus(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "v@example.com", pw, "+6581240021", false)
		s.CreateAccount(t, "vbind@example.com", pw, "", false)
		for _, c := range []struct {
			kind, email, mobile string
			want                map[string]any
		}{
			{"mobile-change", "v@example.com", "+6581240021", map[string]any{"state": "new_number", "current": "+65 ****0021",
				"email_verified": true, "sms_verified": true}},
			{"mobile-bind", "vbind@example.com", "", map[string]any{"state": "new_number", "email_verified": true}},
		} {
			to := c.mobile
			if to == "" {
				to = c.email
			}
			tok := s.SignIn(t, c.email, pw, to)
			r := s.Do(t, "POST", "/api/v1/"+c.kind, tok, nil)
			base := "/api/v1/" + c.kind + "/" + r.Body["flow_id"].(string)
			codes := map[string]string{"email_code": sendCode(t, s, tok, base+"/email-code", c.email)}
			if c.mobile != "" {
				codes["sms_code"] = sendCode(t, s, tok, base+"/sms-code", c.mobile)
			}
			r = s.Do(t, "POST", base+"/verify", tok, codes)
			status := s.Do(t, "GET", base, tok, nil)
			wantKeys := append(slices.Sorted(maps.Keys(c.want)), "expires_at", "flow_id")
			slices.Sort(wantKeys)
			if r.Status != 200 || !slices.Equal(slices.Sorted(maps.Keys(r.Body)), wantKeys) || string(r.Raw) != string(status.Raw) ||
				!strings.HasSuffix(base, "/"+r.Body["flow_id"].(string)) {
				t.Fatalf("%s verify: %d %s; status %s; want the members %v", c.kind, r.Status, r.Raw, status.Raw, wantKeys)
			}
			for k, v := range c.want {
				if r.Body[k] != v {
					t.Errorf("%s verify: %s is %v, want %v", c.kind, k, r.Body[k], v)
				}
			}
		}
	})
}

// sendCode asks for a code at path and returns it from the dev outbox.
func sendCode(t *testing.T, s *apptest.Server, tok, path, to string) string {
	t.Helper()
	mark := s.Mark(t, to)
	if r := s.Do(t, "POST", path, tok, nil); r.Status != 202 {
		t.Fatalf("%s: %d %s", path, r.Status, r.Raw)
	}
	return s.CodeSince(t, to, mark)
}

// A puzzle id that was never issued is 422 captcha_invalid, like a wrong
// answer, so answers cannot tell which ids exist.
func TestUnknownCaptchaIsInvalid(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		r := s.Do(t, "POST", "/api/v1/captcha/aaaaaaaaaaaaaaaaaaaaaaaaaa", "", map[string]any{"x": 100, "trail": [][3]int{{0, 0, 50}, {400, 100, 50}}})
		if r.Status != 422 || r.ErrorCode() != "captcha_invalid" {
			t.Fatalf("unknown puzzle: %d %s", r.Status, r.Raw)
		}
	})
}
