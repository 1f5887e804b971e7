package api_test

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/flow"
)

const pw = "tangerine-orbit-42"

func TestSignInWithSMSCode(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "alice@example.com", pw, "+6581234567", true)
		r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "Alice@Example.com", "password": pw})
		if r.Status != 200 || r.Body["status"] != "second_factor_required" || r.Body["method"] != "sms" || r.Body["sent_to"] != "+65 ****4567" {
			t.Fatalf("start: %d %s", r.Status, r.Raw)
		}
		loginID := r.Body["login_id"].(string)
		code := s.Code(t, "+6581234567", 1)
		if msgs := s.Messages(t, "alice@example.com"); len(msgs) != 0 {
			t.Fatal("an SMS sign-in also emailed a code")
		}
		r = s.Do(t, "POST", "/api/v1/sessions/"+loginID+"/verify", "", map[string]string{"code": code})
		if r.Status != 200 || r.Body["token"] == nil || r.Body["expires_at"] == nil {
			t.Fatalf("verify: %d %s", r.Status, r.Raw)
		}
		tok := r.Body["token"].(string)
		r = s.Do(t, "GET", "/api/v1/account", tok, nil)
		if r.Status != 200 || r.Body["email"] != "alice@example.com" || r.Body["mobile"] != "+65 ****4567" ||
			r.Body["mobile_verification"] != true || r.Body["rebind_required"] != false {
			t.Fatalf("account: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "GET", "/api/v1/sessions/current", tok, nil); r.Status != 200 || r.Body["account_id"] == nil {
			t.Fatalf("current: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "DELETE", "/api/v1/sessions/current", tok, nil); r.Status != 204 {
			t.Fatalf("sign out: %d", r.Status)
		}
		if r := s.Do(t, "GET", "/api/v1/account", tok, nil); r.Status != 401 || r.ErrorCode() != "unauthorized" {
			t.Fatalf("after sign out: %d %s", r.Status, r.Raw)
		}
		// The used sign-in cannot be verified again.
		if r := s.Do(t, "POST", "/api/v1/sessions/"+loginID+"/verify", "", map[string]string{"code": code}); r.Status != 409 {
			t.Fatalf("second verify: %d %s", r.Status, r.Raw)
		}
	})
}

// Without an active second factor the code goes by email: never the
// password alone (SPEC §3.1).
func TestSignInWithEmailCode(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "bob@example.com", pw, "", false)
		r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "bob@example.com", "password": pw})
		if r.Status != 200 || r.Body["method"] != "email" || r.Body["sent_to"] != "b****@example.com" {
			t.Fatalf("start: %d %s", r.Status, r.Raw)
		}
		msg := s.WaitMessages(t, "bob@example.com", 1)[0]
		if !strings.Contains(msg.Subject, "verification code") || !strings.Contains(msg.Body, "sign in") {
			t.Fatalf("email: %+v", msg)
		}
		tok := s.SignIn(t, "bob@example.com", pw, "bob@example.com")
		if r := s.Do(t, "GET", "/api/v1/account", tok, nil); r.Status != 200 || r.Body["mobile"] != nil {
			t.Fatalf("account: %d %s", r.Status, r.Raw)
		}
	})
}

// SEC-ENUM-1 (v5.0.0-6.3.8): an unknown email and a wrong password get the
// same answer.
func TestWrongEmailAndWrongPasswordLookAlike(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "carol@example.com", pw, "+6581234568", false)
		a := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "carol@example.com", "password": "not-the-password"})
		b := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "nobody@example.com", "password": "not-the-password"})
		if a.Status != 401 || a.ErrorCode() != "invalid_credentials" || !bytes.Equal(a.Raw, b.Raw) || a.Status != b.Status {
			t.Fatalf("wrong password: %d %s; unknown email: %d %s", a.Status, a.Raw, b.Status, b.Raw)
		}
		for _, h := range []string{"Set-Cookie", "Retry-After"} {
			if a.Header.Get(h) != b.Header.Get(h) {
				t.Fatalf("header %s differs", h)
			}
		}
	})
}

func TestWrongCodes(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "dave@example.com", pw, "+6581234569", false)
		r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "dave@example.com", "password": pw})
		id := r.Body["login_id"].(string)
		right := s.Code(t, "+6581234569", 1)
		wrong := "000000"
		if right == wrong {
			wrong = "000001"
		}
		for left := 4; left >= 0; left-- {
			r = s.Do(t, "POST", "/api/v1/sessions/"+id+"/verify", "", map[string]string{"code": wrong})
			e := r.Body["error"].(map[string]any)
			if r.Status != 422 || e["code"] != "invalid_code" || e["attempts_left"] != float64(left) {
				t.Fatalf("wrong code: %d %s, want %d left", r.Status, r.Raw, left)
			}
		}
		r = s.Do(t, "POST", "/api/v1/sessions/"+id+"/verify", "", map[string]string{"code": right})
		if r.Status != 422 || r.ErrorCode() != "code_expired" {
			t.Fatalf("right code after 5 wrong: %d %s", r.Status, r.Raw)
		}
		// A code not of 6 digits is a wrong entry too, not a crash.
		r = s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "dave@example.com", "password": pw})
		id = r.Body["login_id"].(string)
		if r := s.Do(t, "POST", "/api/v1/sessions/"+id+"/verify", "", map[string]string{"code": "12ab"}); r.ErrorCode() != "invalid_code" {
			t.Fatalf("junk code: %d %s", r.Status, r.Raw)
		}
	})
}

func TestResendCooldownAndExpiry(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		clk := clock.NewFake(time.Now())
		s := apptest.Start(t, apptest.Options{Clock: clk})
		s.CreateAccount(t, "erin@example.com", pw, "+6581234570", false)
		r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "erin@example.com", "password": pw})
		id := r.Body["login_id"].(string)
		r = s.Do(t, "POST", "/api/v1/sessions/"+id+"/code", "", nil)
		if r.Status != 429 || r.ErrorCode() != "rate_limited" || r.Header.Get("Retry-After") != "60" ||
			r.Body["error"].(map[string]any)["retry_after_seconds"] != float64(60) {
			t.Fatalf("immediate resend: %d %s (Retry-After %q)", r.Status, r.Raw, r.Header.Get("Retry-After"))
		}
		clk.Advance(61 * time.Second)
		if r := s.Do(t, "POST", "/api/v1/sessions/"+id+"/code", "", nil); r.Status != 202 || r.Body["sent_to"] != "+65 ****4570" {
			t.Fatalf("resend after cooldown: %d %s", r.Status, r.Raw)
		}
		code := s.Code(t, "+6581234570", 2)
		clk.Advance(10 * time.Minute)
		if r := s.Do(t, "POST", "/api/v1/sessions/"+id+"/verify", "", map[string]string{"code": code}); r.Status != 410 || r.ErrorCode() != "flow_expired" {
			t.Fatalf("verify after the flow's lifetime: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", "/api/v1/sessions/aaaaaaaaaaaaaaaaaaaaaaaaaa/verify", "", map[string]string{"code": code}); r.Status != 404 {
			t.Fatalf("unknown login: %d %s", r.Status, r.Raw)
		}
	})
}

// SPEC §5: malformed bodies are invalid_request with a clear message.
func TestBadBodies(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		cases := map[string]string{
			"not json":      `{"email":`,
			"unknown field": `{"email":"a@example.com","password":"x","admin":true}`,
			"wrong type":    `{"email":"a@example.com","password":42}`,
			"two objects":   `{"email":"a@example.com","password":"x"}{}`,
			"array":         `[1,2]`,
			"empty":         ``,
			"missing":       `{"email":"a@example.com"}`,
			"too large":     `{"email":"a@example.com","password":"` + strings.Repeat("x", 70<<10) + `"}`,
		}
		for name, body := range cases {
			r := s.Do(t, "POST", "/api/v1/sessions", "", body)
			if name == "empty" {
				r = s.Do(t, "POST", "/api/v1/sessions", "", "")
			}
			msg, _ := r.Body["error"].(map[string]any)["message"].(string)
			if r.Status != 400 || r.ErrorCode() != "invalid_request" || msg == "" {
				t.Errorf("%s: %d %s", name, r.Status, r.Raw)
			}
		}
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/sessions", strings.NewReader("email=a"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 400 {
			t.Fatalf("form body: %v %v", resp.StatusCode, err)
		}
		if r := s.Do(t, "GET", "/api/v1/nope", "", nil); r.Status != 404 || r.ErrorCode() != "not_found" {
			t.Fatalf("unknown endpoint: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "GET", "/api/v1/account", "", nil); r.Status != 401 || r.ErrorCode() != "unauthorized" {
			t.Fatalf("no token: %d %s", r.Status, r.Raw)
		}
	})
}

func TestSignInLimits(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "frank@example.com", pw, "+6581234571", false)
		for i := range 10 {
			if r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "frank@example.com", "password": "wrong-" + pw}); r.Status != 401 {
				t.Fatalf("attempt %d: %d", i+1, r.Status)
			}
		}
		r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "frank@example.com", "password": pw})
		if r.Status != 429 || r.Header.Get("Retry-After") == "" {
			t.Fatalf("11th attempt in 15 minutes: %d %s", r.Status, r.Raw)
		}
		// The same limit holds for an address that has no account.
		for range 10 {
			s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "ghost@example.com", "password": pw})
		}
		if r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "ghost@example.com", "password": pw}); r.Status != 429 {
			t.Fatalf("unknown address not limited: %d", r.Status)
		}
	})
}

// SPEC §3.2.1: a sign-in that passes the SMS code cancels an open reset.
func TestSMSSignInCancelsOpenReset(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := s.CreateAccount(t, "gina@example.com", pw, "+6581234572", false)
		reset := &flow.Machine{Kind: flow.MobileReset, Initial: "email_code_required", Lifetime: 30 * time.Minute, Exclusive: true}
		var f flow.Flow
		err := s.DB.Tx(context.Background(), func(tx *sql.Tx) error {
			var err error
			f, err = s.Flows.Create(context.Background(), tx, reset, id, "", nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		s.SignIn(t, "gina@example.com", pw, "+6581234572")
		got, _ := s.Flows.Get(context.Background(), s.DB, reset, f.ID)
		if got.State != flow.Cancelled {
			t.Fatalf("open reset is %s after an SMS sign-in, want cancelled", got.State)
		}
	})
}

// SEC-SES-2 (v5.0.0-7.2.4): signing in again replaces the session presented.
func TestSignInRotatesTheSession(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "hana@example.com", pw, "", false)
		old := s.SignIn(t, "hana@example.com", pw, "hana@example.com")
		r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "hana@example.com", "password": pw})
		id := r.Body["login_id"].(string)
		code := s.Code(t, "hana@example.com", 2)
		r = s.Do(t, "POST", "/api/v1/sessions/"+id+"/verify", old, map[string]string{"code": code})
		if r.Status != 200 || r.Body["token"] == old {
			t.Fatalf("verify: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "GET", "/api/v1/account", old, nil); r.Status != 401 {
			t.Fatalf("the replaced session still works: %d", r.Status)
		}
	})
}

func TestFrozenAccountCannotSignIn(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := s.CreateAccount(t, "ivan@example.com", pw, "", false)
		s.DB.ExecContext(context.Background(), "UPDATE accounts SET frozen = TRUE WHERE id = $1", id)
		r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "ivan@example.com", "password": pw})
		if r.Status != 403 || r.ErrorCode() != "forbidden" {
			t.Fatalf("frozen: %d %s", r.Status, r.Raw)
		}
	})
}

// SEC-CODE-8 and SEC-AUD-4 (v5.0.0-16.2.5): codes, passwords and tokens
// never reach the log.
func TestSecretsStayOutOfLogs(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		var mu sync.Mutex
		var logs bytes.Buffer
		s := apptest.Start(t, apptest.Options{Logs: lockedWriter{&mu, &logs}})
		s.CreateAccount(t, "jo@example.com", pw, "+6581234573", false)
		r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "jo@example.com", "password": pw})
		id := r.Body["login_id"].(string)
		code := s.Code(t, "+6581234573", 1)
		s.Do(t, "POST", "/api/v1/sessions/"+id+"/verify", "", map[string]string{"code": "999999"})
		r = s.Do(t, "POST", "/api/v1/sessions/"+id+"/verify", "", map[string]string{"code": code})
		tok := r.Body["token"].(string)
		s.Do(t, "GET", "/api/v1/account", tok, nil)
		mu.Lock()
		defer mu.Unlock()
		out := logs.String()
		if !strings.Contains(out, `"route"`) {
			t.Fatal("nothing was logged; the check would prove nothing")
		}
		for _, secret := range []string{code, pw, tok, id} {
			if strings.Contains(out, secret) {
				t.Errorf("log contains %q", secret)
			}
		}
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
