package faulttest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app"
	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/mail/mailtest"
	"github.com/rebindhq/rebind/internal/sms/smstest"
)

// TestDatabaseRestartUnderLoad restarts PostgreSQL while sign-ins run
// against one server, by email code and by SMS code. While the database is
// away requests are answered 503 unavailable, never 500; when it is back
// the same server signs people in again without being restarted; and every
// message the outbox recorded as sent reached its provider exactly once —
// none lost, none sent twice because recording the outcome failed while the
// database was down (SPEC §5; issue 12's fault tests).
func TestDatabaseRestartUnderLoad(t *testing.T) {
	cluster := StartCluster(t)
	sinks := Sinks{Mail: mailtest.NewServer(t), SMS: smstest.NewServer(t)}
	env := sinks.Env()
	env["REBIND_TRUSTED_PROXIES"] = "127.0.0.1/32"
	const lease = 3 * time.Second
	s := apptest.Start(t, apptest.Options{DatabaseURL: cluster.URL(), Env: env,
		Prepare: func(a *app.App) { a.Worker.Lease = lease }})

	// Each account signs in at most 4 times: its own budget is 5 codes
	// an hour, and that limit is not what this test is about.
	const workers, perWorker = 8, 30
	accounts := make([][]Account, workers)
	for w := range workers {
		for i := range perWorker {
			a := Account{Email: fmt.Sprintf("load-%d-%d@example.com", w, i), Password: "a long enough password 1"}
			if i%2 == 0 {
				a.Mobile = fmt.Sprintf("+658%d%06d", 1+w%8, i)
			}
			s.CreateAccount(t, a.Email, a.Password, a.Mobile, false)
			accounts[w] = append(accounts[w], a)
		}
	}

	tally := &Tally{}
	transport := &http.Transport{MaxIdleConnsPerHost: workers}
	defer transport.CloseIdleConnections()
	ctx, stop := context.WithCancel(context.Background())
	var mu sync.Mutex
	var okAfterRestart int
	var restarted bool
	var wg sync.WaitGroup
	for w := range workers {
		c := &Client{Base: s.URL, IP: fmt.Sprintf("198.51.100.%d", w+1),
			HTTP: &http.Client{Transport: transport, Timeout: 30 * time.Second}, Tally: tally}
		wg.Go(func() {
			for round := range 4 {
				for _, a := range accounts[w] {
					if ctx.Err() != nil {
						return
					}
					if c.SignIn(ctx, sinks, a) {
						mu.Lock()
						if restarted {
							okAfterRestart++
						}
						mu.Unlock()
					}
					_ = round
				}
			}
		})
	}

	time.Sleep(2 * time.Second)
	cluster.Stop("fast")
	time.Sleep(3 * time.Second)
	cluster.Start()
	mu.Lock()
	restarted = true
	mu.Unlock()
	waitFor(t, "sign-ins to succeed again after the restart", 60*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return okAfterRestart >= 10
	})
	stop()
	wg.Wait()

	if n := tally.Status("", http.StatusInternalServerError); n > 0 {
		t.Errorf("%d answers were 500 while the database restarted; want 503 unavailable:\n%s", n, tally)
	}
	if tally.Status("", http.StatusServiceUnavailable) == 0 {
		t.Logf("no request met the outage (it fell between requests):\n%s", tally)
	}

	// Wait until the outbox has nothing in hand, then past one more lease:
	// a message whose outcome was not recorded would go out again then.
	waitFor(t, "the outbox to settle", 60*time.Second, func() bool {
		var n int
		err := s.DB.QueryRowContext(context.Background(),
			"SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')").Scan(&n)
		return err == nil && n == 0
	})
	time.Sleep(lease + time.Second)

	states := outboxStates(t, s.DB)
	mails, texts := sinks.Mail.Messages(), sinks.SMS.Messages()
	t.Logf("outbox: %v; received %d emails, %d SMS; answers:\n%s", states, len(mails), len(texts), tally)
	if states["email failed"]+states["sms failed"] > 0 {
		t.Errorf("messages failed for good: %v", states)
	}
	if got, want := len(mails), states["email sent"]; got != want {
		t.Errorf("the SMTP server received %d emails for %d recorded as sent", got, want)
	}
	if got, want := len(texts), states["sms sent"]; got != want {
		t.Errorf("the SMS provider received %d messages for %d recorded as sent", got, want)
	}
	ids := map[string]int{}
	for _, m := range mails {
		ids[m.Header.Get("Message-Id")]++
	}
	for _, m := range texts {
		ids[m.To+"\x00"+m.Body]++
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("message %q delivered %d times", id, n)
		}
	}
}
