package faulttest

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestKillOneOfTwoInstances runs two instances on one PostgreSQL, races a
// limit across both, then kills one with SIGKILL in the middle of sign-ins.
// The per-destination code budget (5 an hour) holds exactly across the two
// (SEC-RATE ids in docs/security.md), the survivor goes on serving and
// delivers what the dead one had claimed once its lease ends, nothing fails
// for good, and the audit chain verifies with only the database.
func TestKillOneOfTwoInstances(t *testing.T) {
	r := newRig(t)
	r.env["REBIND_OUTBOX_LEASE"] = "5s"
	a := StartInstance(t, r.secrets, r.env) // migrates
	b := StartInstance(t, r.secrets, r.env)
	instances := []*Instance{a, b}
	sinks, tally, httpc, ctx := r.sinks, r.tally, r.hc, context.Background()
	r.inst = a
	create := func(acc Account) {
		t.Helper()
		body := map[string]any{"email": acc.Email, "password": acc.Password, "kyc": false}
		if acc.Mobile != "" {
			body["mobile"] = acc.Mobile
		}
		if _, err := r.must(ctx, r.admin(), "admin", http.StatusCreated, "POST", "/admin/v1/accounts", r.secrets.AdminToken, body); err != nil {
			t.Fatalf("create account: %v", err)
		}
	}

	// The budget race: 40 sign-ins of one account at once, half through
	// each instance, each from its own address and with the right
	// password. Five codes may go out in an hour, whoever asks.
	target := Account{Email: "target@example.com", Password: "a long enough password 1", Mobile: "+6591230000"}
	create(target)
	var codes atomic.Int32
	var race sync.WaitGroup
	for i := range 40 {
		c := &Client{Base: instances[i%2].URL, IP: fmt.Sprintf("203.0.113.%d", i+1), HTTP: httpc, Tally: tally}
		race.Go(func() {
			if status, _ := c.Call(ctx, "race", "POST", "/api/v1/sessions", "",
				map[string]string{"email": target.Email, "password": target.Password}); status == http.StatusOK {
				codes.Add(1)
			}
		})
	}
	race.Wait()

	const workers, perWorker = 8, 20
	accounts := make([][]Account, workers)
	for w := range workers {
		for i := range perWorker {
			acc := Account{Email: fmt.Sprintf("kill-%d-%d@example.com", w, i), Password: "a long enough password 1"}
			if i%2 == 0 {
				acc.Mobile = fmt.Sprintf("+659%d%06d", 1+w%8, i)
			}
			create(acc)
			accounts[w] = append(accounts[w], acc)
		}
	}
	var killed atomic.Bool
	var afterKill atomic.Int32
	loadCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for round := 0; round < 4 && loadCtx.Err() == nil; round++ {
				for _, acc := range accounts[w] {
					// A load balancer sends to the survivor once one is gone.
					base := instances[(w+round)%2]
					if killed.Load() {
						base = b
					}
					c := &Client{Base: base.URL, IP: fmt.Sprintf("198.51.100.%d", w+1), HTTP: httpc, Tally: tally}
					if c.SignIn(loadCtx, sinks, acc) && killed.Load() && base == b {
						afterKill.Add(1)
					}
					if loadCtx.Err() != nil {
						return
					}
				}
			}
		})
	}
	time.Sleep(2 * time.Second)
	// Slow SMS answers keep messages in the dead instance's hands.
	sinks.SMS.SetDelay(300 * time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	killed.Store(true)
	a.Kill()
	sinks.SMS.SetDelay(0)
	waitFor(t, "sign-ins through the survivor", 60*time.Second, func() bool { return afterKill.Load() >= 10 })
	stop()
	wg.Wait()

	db := r.db
	waitFor(t, "the survivor to finish the outbox (the dead one's lease ends after 5 s)", 90*time.Second, func() bool {
		var n int
		err := db.QueryRowContext(ctx, "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')").Scan(&n)
		return err == nil && n == 0
	})

	if got := codes.Load(); got != 5 {
		t.Errorf("%d of 40 simultaneous sign-ins across two instances sent a code; the budget is 5", got)
	}
	if got := sinks.Count(target.Mobile); got != 5 {
		t.Errorf("%s received %d codes; the budget is 5", target.Mobile, got)
	}
	if n := tally.Status("", http.StatusInternalServerError); n > 0 {
		t.Errorf("%d answers were 500:\n%s", n, tally)
	}
	states := outboxStates(t, db)
	if states["email failed"]+states["sms failed"] > 0 {
		t.Errorf("messages failed for good: %v", states)
	}
	// At least once: every message recorded as sent arrived. The dead
	// instance may have sent a message it had no time to record, which
	// the survivor sends again; it carries the same Message-ID.
	ids := map[string]bool{}
	for _, m := range sinks.Mail.Messages() {
		ids[m.Header.Get("Message-Id")] = true
	}
	if len(ids) < states["email sent"] {
		t.Errorf("%d distinct emails arrived for %d recorded as sent", len(ids), states["email sent"])
	}
	t.Logf("outbox %v; %d emails (%d distinct), %d SMS; answers:\n%s", states, len(sinks.Mail.Messages()), len(ids),
		len(sinks.SMS.Messages()), tally)

	r.verifyAudit()
}

func outboxStates(t testing.TB, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) map[string]int {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SELECT channel, state, count(*) FROM outbox GROUP BY channel, state")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	states := map[string]int{}
	for rows.Next() {
		var ch, state string
		var n int
		if err := rows.Scan(&ch, &state, &n); err != nil {
			t.Fatal(err)
		}
		states[ch+" "+state] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return states
}
