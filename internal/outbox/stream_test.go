package outbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/mail"
	"github.com/rebindhq/rebind/internal/mail/mailtest"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/sms"
	"github.com/rebindhq/rebind/internal/sms/smstest"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// run starts w.Run and stops it when the test ends.
func run(t *testing.T, w *outbox.Worker) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { w.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// waitFor polls cond every 10 ms and fails the test after a generous
// deadline: these tests assert what happens, not how fast.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func countState(t *testing.T, db *store.DB, st string) int {
	return storetest.Count(t, db, "SELECT count(*) FROM outbox WHERE state = $1", st)
}

// TestWakeAfterCommit: a message enqueued in a transaction that commits
// late is claimed once it commits, through the wake-up and not a poll
// (Poll is an hour), and not before. The old worker, woken inside the
// transaction, looked before the row was visible on PostgreSQL and slept.
func TestWakeAfterCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		q, w, rec, _ := setup(t, db)
		w.Poll = time.Hour
		run(t, w)
		time.Sleep(50 * time.Millisecond) // the worker's first look finds nothing
		ctx := context.Background()
		var id string
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			id, err = q.Enqueue(ctx, tx, outbox.Message{Channel: outbox.Email, To: "late@example.com", Body: "b"}, "test", time.Time{})
			if err != nil {
				return err
			}
			time.Sleep(200 * time.Millisecond) // a slow commit
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.got) != 0 {
				t.Error("delivered before the commit")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "delivery after commit", func() bool {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			return rec.sent[id] == 1
		})
	})
}

// TestStreamBoundedAndPooled: 100 emails through a real SMTP server and 100
// SMS through the fake provider are delivered once each, never more than
// InFlight of a channel at a time, over a handful of SMTP connections (the
// old sender dialled once per message).
func TestStreamBoundedAndPooled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		q, w, _, _ := setup(t, db)
		smtpSrv, smsSrv := mailtest.NewServer(t), smstest.NewServer(t)
		ms, err := mail.New(smtpSrv.URL(), "Rebind <no-reply@rebind.example>")
		if err != nil {
			t.Fatal(err)
		}
		ss, err := sms.New(smsSrv.URL(), "+15005550006", true, nil)
		if err != nil {
			t.Fatal(err)
		}
		const n, inFlight = 100, 4
		w.Senders = map[outbox.Channel]outbox.Sender{outbox.Email: ms, outbox.SMS: ss}
		w.InFlight = map[outbox.Channel]int{outbox.Email: inFlight, outbox.SMS: inFlight}
		for i := range n {
			enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: fmt.Sprintf("u%d@example.com", i), Subject: "s", Body: "b"}, time.Time{})
			enqueue(t, db, q, outbox.Message{Channel: outbox.SMS, To: fmt.Sprintf("+6581%06d", i), Body: fmt.Sprintf("code %d", i)}, time.Time{})
		}
		run(t, w)
		waitFor(t, "all sent", func() bool { return countState(t, db, "sent") == 2*n })
		seen := map[string]int{}
		for _, m := range smtpSrv.Messages() {
			seen[m.Header.Get("Message-Id")]++
		}
		for _, m := range smsSrv.Messages() {
			seen[m.To]++
		}
		if len(seen) != 2*n {
			t.Fatalf("%d distinct messages received, want %d", len(seen), 2*n)
		}
		for k, c := range seen {
			if c != 1 {
				t.Fatalf("%s received %d times", k, c)
			}
		}
		if got := smtpSrv.MaxInFlight(); got > inFlight {
			t.Errorf("SMTP server saw %d messages at once, limit %d", got, inFlight)
		}
		if got := smsSrv.MaxInFlight(); got > inFlight {
			t.Errorf("SMS provider saw %d requests at once, limit %d", got, inFlight)
		}
		if got := smtpSrv.Connections(); got > 2*inFlight {
			t.Errorf("%d SMTP connections for %d messages, want at most %d", got, n, 2*inFlight)
		}
	})
}

// TestBreakerOutage: SMTP is down for a minute, then for ten (on the fake
// clock). The breaker opens, codes that expire meanwhile are marked expired
// and counted, never sent, and once the server is back every other message
// goes out exactly once within two probe intervals (the clock is moved by
// ProbeEvery at most twice). The old worker's backoff had grown past the
// outage and left them waiting.
func TestBreakerOutage(t *testing.T) {
	for _, outage := range []time.Duration{time.Minute, 10 * time.Minute} {
		t.Run(outage.String(), func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) { breakerOutage(t, db, outage) })
		})
	}
}

func breakerOutage(t *testing.T, db *store.DB, outage time.Duration) {
	q, w, _, clk := setup(t, db)
	srv := mailtest.NewServer(t)
	ms, err := mail.New(srv.URL(), "Rebind <no-reply@rebind.example>")
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	var mu sync.Mutex
	observed := map[string]int{}
	opened, closed := 0, 0
	w.Senders = map[outbox.Channel]outbox.Sender{outbox.Email: ms}
	w.Poll, w.BreakAfter = 5*time.Millisecond, 3
	w.Observe = func(_ outbox.Channel, o string) { mu.Lock(); observed[o]++; mu.Unlock() }
	w.Breaker = func(_ outbox.Channel, open bool) {
		mu.Lock()
		defer mu.Unlock()
		if open {
			opened++
		} else {
			closed++
		}
	}
	expiring := map[string]bool{} // recipient -> expected to expire
	wantExpired := 0
	for i, life := range []time.Duration{0, 0, 0, 0, 0, 0, 30 * time.Second, 30 * time.Second, 5 * time.Minute, 5 * time.Minute, 10 * time.Minute, 10 * time.Minute, time.Hour} {
		to := fmt.Sprintf("u%d@example.com", i)
		var exp time.Time
		if life > 0 {
			exp = t0.Add(life)
		}
		expires := life > 0 && life <= outage
		expiring[to] = expires
		if expires {
			wantExpired++
		}
		enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: to, Body: "code"}, exp)
	}
	run(t, w)
	waitFor(t, "the breaker to open", func() bool { mu.Lock(); defer mu.Unlock(); return opened == 1 })
	for step := time.Duration(0); step < outage; step += w.ProbeEvery {
		clk.Advance(w.ProbeEvery)
		time.Sleep(5 * time.Millisecond) // give a probe a chance
	}
	waitFor(t, "expired codes marked", func() bool { return countState(t, db, "expired") == wantExpired })
	srv.Start()
	// A probe sent just before the server came back fails after the clock's
	// move below and sets its successor a ProbeEvery later. So the clock is
	// moved a probe interval at a time, only while no message is being sent
	// and the breaker is still open, and at most twice: recovery must come
	// within two probe intervals, not after a backoff grown with the outage.
	moves := 0
	want := len(expiring) - wantExpired
	waitFor(t, "delivery after recovery", func() bool {
		mu.Lock()
		open := closed == 0
		mu.Unlock()
		if open && moves < 2 && countState(t, db, "sending") == 0 {
			clk.Advance(w.ProbeEvery)
			moves++
		}
		return countState(t, db, "sent") == want
	})
	got := map[string]int{}
	for _, m := range srv.Messages() {
		got[m.To[0]]++
	}
	for to, expires := range expiring {
		if expires && got[to] != 0 {
			t.Errorf("expired code to %s was sent", to)
		}
		if !expires && got[to] != 1 {
			t.Errorf("%s received %d times", to, got[to])
		}
	}
	// Outcomes are observed after the transaction that records them commits,
	// so the last ones may reach Observe just after the table shows them.
	waitFor(t, "outcomes observed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return observed["expired"] >= wantExpired && observed["sent"] >= want
	})
	mu.Lock()
	defer mu.Unlock()
	if observed["expired"] != wantExpired || observed["sent"] != want || opened != 1 || closed != 1 {
		t.Errorf("observed %v, breaker opened %d closed %d; want %d expired, %d sent, 1 and 1", observed, opened, closed, wantExpired, want)
	}
}
