package faulttest

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app"
	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/loadtest"
)

// TestDatabaseRestartUnderLoad restarts PostgreSQL under the load tool's
// mixed scenario against one server: the wallet's eligibility question,
// sign-ins by SMS code, a bind's email code, changes of number and resets
// by questions, real flows end to end with eight workers, the codes read
// from the tool's own SMTP and SMS sinks. While the database is away
// requests are answered 503 unavailable, never 500; when it is back every
// kind of flow succeeds again on the same server, which is not restarted;
// every message the outbox recorded as sent reached its provider exactly
// once — none lost, none sent twice because recording the outcome failed
// while the database was down; no reset or change is half applied (a
// number unbound or changed without its hold, or a hold without its
// change); and the audit chain verifies (SPEC §5, SEC-REC-12; issue 12's
// fault tests).
func TestDatabaseRestartUnderLoad(t *testing.T) {
	r := newRig(t)
	in := loadtest.NewInbox()
	sinks, err := loadtest.StartSinks("127.0.0.1:0", "127.0.0.1:0", in)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sinks.Close() })
	smtpSink, smsSink := sinks.SMTP, sinks.SMS
	// The SMS provider is reached through a gate: the test holds the
	// messages being sent when it stops PostgreSQL, and lets the provider
	// accept them while the database is away, so their outcomes meet the
	// outage.
	gate := NewGate(t, smsSink.URL())
	env := map[string]string{"REBIND_SMTP_URL": smtpSink.URL(), "REBIND_SMS_URL": gate.URL,
		"REBIND_TRUSTED_PROXIES": "127.0.0.1/32", "REBIND_CAPTCHA": "off"}
	for k, v := range r.sinks.Env() {
		if strings.HasPrefix(k, "REBIND_SMS_") && k != "REBIND_SMS_URL" {
			env[k] = v // the budgets sized for load
		}
	}
	// A send is given half the lease: the messages held at the gate must be
	// let through before that, or the worker gives up on them.
	const lease = 5 * time.Second
	logs := &errorLines{}
	s := apptest.Start(t, apptest.Options{DatabaseURL: r.cluster.URL(), Env: env, Logs: logs,
		Prepare: func(a *app.App) { a.Worker.Lease = lease }})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the server's errors:\n%s", logs)
		}
	})
	r.serving(s)

	var mu sync.Mutex
	var flows []loadtest.Flow
	var restarted time.Time // when the cluster accepted connections again
	var ok int
	after := map[string]int{} // flows that started after the restart and succeeded
	stop := make(chan struct{})
	var stopOnce sync.Once
	tool := loadtest.New(loadtest.Config{BaseURL: s.URL, AdminURL: s.InternalURL, AdminToken: apptest.AdminToken,
		Scenarios: []string{"mixed"}, Levels: []int{8}, Duration: 2 * time.Minute, CodeTimeout: 20 * time.Second, Stop: stop,
		OnFlow: func(f loadtest.Flow) {
			mu.Lock()
			defer mu.Unlock()
			flows = append(flows, f)
			if f.Err == nil {
				ok++
				if !restarted.IsZero() && f.Start.After(restarted) {
					after[f.Scenario]++
				}
			}
		}}, in)
	done := make(chan struct{})
	var rep loadtest.Report
	var runErr error
	go func() { defer close(done); rep, runErr = tool.Run(context.Background()) }()
	t.Cleanup(func() { stopOnce.Do(func() { close(stop) }); <-done })

	waitFor(t, "flows to succeed before the restart", 60*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return ok >= 50
	})
	held := time.Now()
	gate.Hold()
	waitFor(t, "an SMS held on its way to the provider", 30*time.Second, func() bool { return gate.Held() > 0 })
	began := time.Now()
	stopped := make(chan error, 1)
	go func() { stopped <- r.cluster.stop("fast") }()
	waitFor(t, "PostgreSQL to refuse connections", 60*time.Second, r.cluster.Refuses)
	gate.Open()
	mu.Lock()
	t.Logf("PostgreSQL stopping after %d flows; the %d SMS held meanwhile (for at most %v) went on to the provider",
		len(flows), gate.Held(), time.Since(held).Round(time.Millisecond))
	mu.Unlock()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	r.cluster.Start()
	mu.Lock()
	restarted = time.Now()
	mu.Unlock()
	t.Logf("PostgreSQL back after %v", restarted.Sub(began).Round(time.Millisecond))
	kinds := []string{"eligibility", "signin", "email-code", "change", "reset-quiz"}
	waitFor(t, "every kind of flow to succeed again after the restart", 60*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, k := range kinds {
			if after[k] < 2 {
				return false
			}
		}
		return true
	})
	t.Logf("every kind of flow succeeded again %v after the restart", time.Since(restarted).Round(time.Millisecond))
	stopOnce.Do(func() { close(stop) })
	<-done
	if runErr != nil {
		t.Fatal(runErr)
	}
	var table strings.Builder
	rep.WriteTable(&table)
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d flows, %d reached their outcome; after the restart %v\n%s", len(flows), ok, after, table.String())

	// Every answer the flows met was what they wanted or an error of the
	// contract; a 503 is the outage, a 500 never is.
	var unavailable int
	for _, f := range flows {
		switch {
		case f.Err == nil:
		case f.Status == http.StatusServiceUnavailable:
			unavailable++
		case f.Status == http.StatusInternalServerError || strings.HasPrefix(f.Code, "wrong_outcome"):
			t.Errorf("%s flow %s: %v", f.Scenario, f.ID, f.Err)
		}
	}
	if unavailable == 0 {
		t.Errorf("no flow met the outage (no 503); the restart tested nothing")
	}

	// Wait until the outbox has nothing in hand, then past one more lease:
	// a message whose outcome was not recorded would go out again then.
	waitFor(t, "the outbox to settle", 60*time.Second, func() bool {
		var n int
		err := r.db.QueryRowContext(context.Background(),
			"SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')").Scan(&n)
		return err == nil && n == 0
	})
	time.Sleep(lease + time.Second)
	r.exactlyOnce(in)
	r.wholeOrNothing(flows)
	r.verifyAudit()
}

// serving makes s, an in-process server on the rig's cluster, the rig's
// instance: the checks call its listeners (it is no process: not one to
// kill), read through its database handle, and verify the audit chain
// with its secret.
func (r *rig) serving(s *apptest.Server) {
	r.inst = &Instance{URL: s.URL, InternalURL: s.InternalURL}
	r.secrets = Secrets{Secret: s.Secret, AdminToken: apptest.AdminToken}
	r.db = s.DB
}

// exactlyOnce compares, for each channel and recipient, the messages the
// outbox records as sent with those that reached the sinks, and looks for
// an email that arrived twice.
func (r *rig) exactlyOnce(in *loadtest.Inbox) {
	r.t.Helper()
	states := outboxStates(r.t, r.db)
	r.t.Logf("outbox: %v", states)
	if states["email failed"]+states["sms failed"] > 0 {
		r.t.Errorf("messages failed for good: %v", states)
	}
	for _, ch := range []string{"email", "sms"} {
		sent := map[string]int{}
		rows, err := r.db.QueryContext(context.Background(),
			"SELECT lower(recipient), count(*) FROM outbox WHERE channel = $1 AND state = 'sent' GROUP BY lower(recipient)", ch)
		if err != nil {
			r.t.Fatal(err)
		}
		for rows.Next() {
			var to string
			var n int
			if err := rows.Scan(&to, &n); err != nil {
				r.t.Fatal(err)
			}
			sent[to] = n
		}
		rows.Close()
		got := in.Received(ch)
		var nSent, nGot int
		for _, to := range slices.Sorted(maps.Keys(sent)) {
			nSent += sent[to]
			if got[to] != sent[to] {
				r.t.Errorf("%s to %s: received %d, %d recorded as sent", ch, to, got[to], sent[to])
			}
		}
		for to, n := range got {
			nGot += n
			if _, ok := sent[to]; !ok {
				r.t.Errorf("%s to %s: received %d, none recorded as sent", ch, to, n)
			}
		}
		r.t.Logf("%s: %d messages to %d recipients recorded as sent, %d received", ch, nSent, len(sent), nGot)
	}
	for id, n := range in.Repeated() {
		r.t.Errorf("email %s received %d times", id, n)
	}
}

// wholeOrNothing judges every reset and change the tool ran with the
// kill test's parts (each applied whole or not at all; one the tool saw
// succeed applied), then looks across the database for what no flow
// accounts for: a hold without its completed flow, a number unbound or
// in the history without one, a completed flow without its hold, history
// or audit event.
func (r *rig) wholeOrNothing(flows []loadtest.Flow) {
	r.t.Helper()
	ctx := context.Background()
	byAccount := map[string][]loadtest.Flow{}
	var resets, changes []loadtest.Flow
	for _, f := range flows {
		switch f.Scenario {
		case "reset-quiz":
			resets = append(resets, f)
		case "change":
			byAccount[f.Account] = append(byAccount[f.Account], f)
		}
	}
	applied := map[string]int{}
	for _, f := range resets {
		if f.ID == "" {
			continue
		}
		name := fmt.Sprintf("reset %s (%v)", f.ID, f.Err)
		whole := r.judge(name, r.resetParts(ctx, resetFlow{account: f.Account, email: f.Email, mobile: f.Mobile, flow: f.ID}))
		if whole {
			applied["reset"]++
		} else if f.Err == nil {
			r.t.Errorf("%s succeeded but is not applied", name)
		}
	}
	for _, fs := range byAccount {
		sort.Slice(fs, func(i, j int) bool { return fs[i].Start.Before(fs[j].Start) })
		prior := 0
		for k, f := range fs {
			changes = append(changes, f)
			if f.ID == "" {
				continue
			}
			name := fmt.Sprintf("change %s (%v)", f.ID, f.Err)
			cf := changeFlow{account: f.Account, email: f.Email, old: f.Mobile, number: f.NewMobile, token: f.Token, flow: f.ID,
				prior: prior, superseded: k < len(fs)-1}
			if r.judge(name, r.changeParts(ctx, len(changes), cf)) {
				applied["change"]++
				prior++
			} else if f.Err == nil {
				r.t.Errorf("%s succeeded but is not applied", name)
			}
		}
	}
	r.t.Logf("%d resets and %d changes judged: %v applied whole, the rest not at all", len(resets), len(changes), applied)

	completed := func(kind, account string) string {
		return "EXISTS (SELECT 1 FROM flows f WHERE f.account_id = " + account + " AND f.kind = '" + kind + "' AND f.state = 'completed')"
	}
	for _, c := range []struct{ what, query string }{
		{"mobile_reset holds without a completed reset",
			"SELECT count(*) FROM holds h WHERE h.reason = 'mobile_reset' AND NOT " + completed("mobile_reset", "h.account_id")},
		{"mobile_change holds without a completed change",
			"SELECT count(*) FROM holds h WHERE h.reason = 'mobile_change' AND NOT " + completed("mobile_change", "h.account_id")},
		{"accounts unbound without a completed reset",
			"SELECT count(*) FROM accounts a WHERE (a.rebind_required OR a.mobile IS NULL AND EXISTS " +
				"(SELECT 1 FROM flows f WHERE f.account_id = a.id AND f.kind = 'mobile_reset')) AND NOT " + completed("mobile_reset", "a.id")},
		{"numbers in the history without their completed flow",
			"SELECT count(*) FROM mobile_history m WHERE NOT EXISTS (SELECT 1 FROM flows f WHERE f.id = m.flow_id AND f.state = 'completed')"},
		{"completed resets or changes without their hold",
			"SELECT count(*) FROM flows f WHERE f.kind IN ('mobile_reset', 'mobile_change') AND f.state = 'completed' AND NOT EXISTS " +
				"(SELECT 1 FROM holds h WHERE h.account_id = f.account_id AND h.reason = f.kind)"},
		{"completed resets or changes without the old number in the history",
			"SELECT count(*) FROM flows f WHERE f.kind IN ('mobile_reset', 'mobile_change') AND f.state = 'completed' AND NOT EXISTS " +
				"(SELECT 1 FROM mobile_history m WHERE m.flow_id = f.id)"},
		{"completed resets or changes without their audit event",
			"SELECT count(*) FROM flows f WHERE f.kind IN ('mobile_reset', 'mobile_change') AND f.state = 'completed' AND NOT EXISTS " +
				"(SELECT 1 FROM audit_events e WHERE e.flow_id = f.id AND e.action = f.kind || '_completed')"},
		{"completed resets whose account keeps a number",
			"SELECT count(*) FROM flows f JOIN accounts a ON a.id = f.account_id WHERE f.kind = 'mobile_reset' AND f.state = 'completed' " +
				"AND (a.mobile IS NOT NULL OR NOT a.rebind_required)"},
		{"completion audit events without their completed flow",
			"SELECT count(*) FROM audit_events e WHERE e.action IN ('mobile_reset_completed', 'mobile_change_completed') AND NOT EXISTS " +
				"(SELECT 1 FROM flows f WHERE f.id = e.flow_id AND f.state = 'completed')"},
	} {
		if n := r.count(c.query); n != 0 {
			r.t.Errorf("%d %s", n, c.what)
		}
	}
}

// errorLines keeps the server's log lines at level ERROR other than the
// outage's 503s, the first 50, for a failure's message.
type errorLines struct {
	mu    sync.Mutex
	lines []string
}

func (e *errorLines) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(`"level":"ERROR"`)) && !bytes.Contains(p, []byte(`"status":503`)) &&
		!bytes.Contains(p, []byte(`"code":"unavailable"`)) {
		e.mu.Lock()
		if len(e.lines) < 50 {
			e.lines = append(e.lines, string(bytes.TrimSpace(p)))
		}
		e.mu.Unlock()
	}
	return len(p), nil
}

func (e *errorLines) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.lines, "\n")
}
