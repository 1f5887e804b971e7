package app_test

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/mail/mailtest"
	"github.com/rebindhq/rebind/internal/sms/smstest"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

const pw = "tangerine-orbit-42"

// Codes leave over real SMTP and a Twilio-compatible API when configured,
// and an outage of either delays messages without losing them.
func TestDeliveryOverSMTPAndSMS(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		smtpd := mailtest.NewServer(t)
		smsd := smstest.NewServer(t)
		s := apptest.Start(t, apptest.Options{Env: map[string]string{
			"REBIND_SMTP_URL": smtpd.URL(), "REBIND_MAIL_FROM": "Rebind <no-reply@rebind.example>",
			"REBIND_SMS_URL": smsd.URL(), "REBIND_SMS_FROM": "Rebind",
		}})
		s.CreateAccount(t, "mailer@example.com", pw, "", false)
		s.CreateAccount(t, "texter@example.com", pw, "+6581235555", false)

		if r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "mailer@example.com", "password": pw}); r.Status != 200 {
			t.Fatalf("email sign-in: %d %s", r.Status, r.Raw)
		}
		got := smtpd.WaitFor(t, 1, 10*time.Second)[0]
		if got.To[0] != "mailer@example.com" || !strings.Contains(got.Subject, "verification code") || !strings.Contains(got.Body, "sign in") {
			t.Fatalf("email: %+v", got)
		}

		smsd.SetFailing(503)
		r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "texter@example.com", "password": pw})
		if r.Status != 200 {
			t.Fatalf("sms sign-in: %d %s", r.Status, r.Raw)
		}
		apptest.Eventually(t, 10*time.Second, "2 calls to the failing SMS provider", func() bool { return smsd.Calls() >= 2 })
		if len(smsd.Messages()) != 0 {
			t.Fatalf("during the outage: %d calls, %d delivered", smsd.Calls(), len(smsd.Messages()))
		}
		smsd.SetFailing(0)
		msg := smsd.WaitFor(t, 1, 10*time.Second)[0]
		// SEC-CODE-9: short, no personal data, origin-bound last line.
		if msg.To != "+6581235555" || msg.From != "Rebind" || len(msg.Body) > 160 ||
			strings.Contains(msg.Body, "texter") || strings.Contains(msg.Body, "5555") || !strings.Contains(msg.Body, "\n\n@127.0.0.1 #") {
			t.Fatalf("sms: %+v", msg)
		}
		code := msg.Body[len(msg.Body)-6:]
		r = s.Do(t, "POST", "/api/v1/sessions/"+r.Body["login_id"].(string)+"/verify", "", map[string]string{"code": code})
		if r.Status != 200 {
			t.Fatalf("verify with the delivered code: %d %s", r.Status, r.Raw)
		}
		if n := len(smsd.Messages()); n != 1 {
			t.Fatalf("%d SMS delivered, want exactly 1", n)
		}
	})
}

// Two servers on one PostgreSQL: the code-guess limit holds across them
// (SEC-RACE-1 across instances).
func TestTwoInstancesShareTheGuessLimit(t *testing.T) {
	url := storetest.PostgresURL(t)
	a := apptest.Start(t, apptest.Options{DatabaseURL: url})
	b := apptest.Start(t, apptest.Options{DatabaseURL: url, Env: map[string]string{"REBIND_SECRET": a.Secret}})
	a.CreateAccount(t, "twin@example.com", pw, "+6581236666", false)
	r := b.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "twin@example.com", "password": pw})
	if r.Status != 200 {
		t.Fatalf("start on b: %d %s", r.Status, r.Raw)
	}
	id := r.Body["login_id"].(string)
	right := a.Code(t, "+6581236666", 1)
	wrong := "111111"
	if right == wrong {
		wrong = "222222"
	}
	// finished counts guesses that came after the right one had completed
	// the sign-in: 409 wrong_state, which only a success can explain.
	var evaluated, succeeded, expired, finished atomic.Int32
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range 51 {
		srv, guess := a, wrong
		if i%2 == 1 {
			srv = b
		}
		if i == 30 {
			guess = right
		}
		wg.Go(func() {
			<-gate
			r := srv.Do(t, "POST", "/api/v1/sessions/"+id+"/verify", "", map[string]string{"code": guess})
			switch {
			case r.Status == 200:
				evaluated.Add(1)
				succeeded.Add(1)
			case r.ErrorCode() == "invalid_code":
				evaluated.Add(1)
			case r.ErrorCode() == "code_expired":
				expired.Add(1)
			case r.ErrorCode() == "wrong_state":
				finished.Add(1)
			default:
				t.Errorf("unexpected answer %d %s", r.Status, r.Raw)
			}
		})
	}
	close(gate)
	wg.Wait()
	if evaluated.Load() > 5 || succeeded.Load() > 1 || evaluated.Load()+expired.Load()+finished.Load() != 51 ||
		(finished.Load() > 0 && succeeded.Load() != 1) {
		t.Fatalf("across two instances: %d evaluated (%d succeeded), %d refused, %d after the sign-in completed; want at most 5 evaluated",
			evaluated.Load(), succeeded.Load(), expired.Load(), finished.Load())
	}
	// Both instances deliver from the one outbox, each message once.
	a.CreateAccount(t, "twin2@example.com", pw, "", false)
	for i := range 3 {
		srv := a
		if i == 1 {
			srv = b
		}
		if r := srv.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "twin2@example.com", "password": pw}); r.Status != 200 {
			t.Fatalf("sign-in %d: %d %s", i, r.Status, r.Raw)
		}
	}
	// Once all three are marked sent no worker can claim them again, so
	// the count of deliveries is final.
	sent := func() int {
		return storetest.Count(t, a.DB, "SELECT count(*) FROM outbox WHERE recipient = $1 AND state = 'sent'", "twin2@example.com")
	}
	apptest.Eventually(t, 10*time.Second, "3 messages marked sent", func() bool { return sent() == 3 })
	if n := len(a.Messages(t, "twin2@example.com")); n != 3 || sent() != 3 {
		t.Fatalf("%d messages delivered (%d marked sent) for 3 sign-ins", n, sent())
	}
}

func TestHealthReadinessMetrics(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		for path, want := range map[string]string{"/healthz": `"ok"`, "/readyz": `"ready"`} {
			resp, err := http.Get(s.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
				t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
			}
		}
		s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "m@example.com", "password": pw})
		resp, err := http.Get(s.InternalURL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`rebind_http_requests_total{route="POST /api/v1/sessions",status="401"} 1`, `rebind_outbox_messages{state="pending"}`, `rebind_outbox_oldest_pending_seconds{channel="sms"}`, "go_goroutines",
			`rebind_build_info{goversion="` + runtime.Version() + `"`, "rebind_database_up 1"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		s.DB.Close()
		r := s.Do(t, "GET", "/readyz", "", nil)
		if r.Status != 503 || r.ErrorCode() != "unavailable" {
			t.Fatalf("/readyz with the database closed: %d %s", r.Status, r.Raw)
		}
		// Issue 13, item 5: with the database down, /metrics still answers
		// with what needs no database, and says the database is down.
		resp, err = http.Get(s.InternalURL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("/metrics with the database closed: %d\n%s", resp.StatusCode, b)
		}
		for _, want := range []string{"rebind_database_up 0", `rebind_http_requests_total{route="POST /api/v1/sessions",status="401"} 1`, "go_goroutines"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("/metrics with the database closed lacks %s", want)
			}
		}
	})
}
