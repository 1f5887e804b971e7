package faulttest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestTerminateDrains sends SIGTERM while sign-ins are in flight and the
// SMS provider is slow: every request that reached the server gets its
// answer, the instance exits cleanly, and the messages its outbox had
// claimed are sent and recorded, not left for another instance's lease to
// find.
func TestTerminateDrains(t *testing.T) {
	r := newRig(t).on(t, nil)
	in, sinks, tally, ctx := r.inst, r.sinks, r.tally, context.Background()
	const n = 30
	for i := range n {
		body := map[string]any{"email": fmt.Sprintf("term-%d@example.com", i), "password": "a long enough password 1",
			"kyc": false, "mobile": fmt.Sprintf("+6592%06d", i)}
		if _, err := r.must(ctx, r.admin(), "admin", http.StatusCreated, "POST", "/admin/v1/accounts", r.secrets.AdminToken, body); err != nil {
			t.Fatalf("create account: %v", err)
		}
	}
	sinks.SMS.SetDelay(500 * time.Millisecond)
	// A connection per request: no keep-alive connection that the server
	// closes as idle while a request is on its way.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	type answer struct {
		status int
		body   map[string]any
	}
	answered := make(chan answer, n)
	for i := range n {
		c := &Client{Base: in.URL, IP: fmt.Sprintf("198.51.100.%d", i+1), HTTP: fresh, Tally: tally}
		wg.Go(func() {
			status, body := c.Call(ctx, "password", "POST", "/api/v1/sessions", "",
				map[string]string{"email": fmt.Sprintf("term-%d@example.com", i), "password": "a long enough password 1"})
			answered <- answer{status, body}
		})
	}
	// Once the first codes are with the slow provider (every request has
	// long been sent), stop the server.
	waitFor(t, "the outbox to hand codes to the provider", 30*time.Second, func() bool { return sinks.SMS.Calls() > 0 })
	time.Sleep(200 * time.Millisecond)
	if err := in.Terminate(30 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, in.Output())
	}
	wg.Wait()
	close(answered)
	for a := range answered {
		// 200, or 503 with Retry-After when the password checks shed
		// load (nothing was counted against the caller). A dropped
		// connection or a 503 of a database closed under the request
		// is a request the shutdown did not finish.
		shed := a.status == http.StatusServiceUnavailable && a.body != nil && errorField(a.body, "retry_after_seconds") != nil
		if a.status != http.StatusOK && !shed {
			t.Errorf("a sign-in in flight at SIGTERM was answered %d %v", a.status, a.body)
		}
	}
	if tally.Status("password", http.StatusOK) == 0 {
		t.Fatalf("no sign-in was answered before the stop:\n%s", tally)
	}

	db := r.db
	var sending int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM outbox WHERE state = 'sending'").Scan(&sending); err != nil {
		t.Fatal(err)
	}
	if sending > 0 {
		t.Errorf("%d messages were left claimed at exit (states %v)", sending, outboxStates(t, db))
	}
	states := outboxStates(t, db)
	if got := len(sinks.SMS.Messages()); got != states["sms sent"] {
		t.Errorf("the provider received %d messages for %d recorded as sent", got, states["sms sent"])
	}
	t.Logf("outbox %v, %d SMS received; answers:\n%s", states, len(sinks.SMS.Messages()), tally)
}

// errorField returns a member of an error answer's "error" object.
func errorField(body map[string]any, name string) any {
	e, _ := body["error"].(map[string]any)
	return e[name]
}
