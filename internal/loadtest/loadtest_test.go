package loadtest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/smtp"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/loadtest"
)

// codesPerFlow is how many codes each scenario's flow reads from the sinks.
var codesPerFlow = map[string]int{"signin": 1, "email-code": 1, "reset-quiz": 1, "change": 3, "eligibility": 0, "bare": 0}

// serve starts a server on opts whose mail and SMS go to a new inbox's
// sinks.
func serve(t *testing.T, opts apptest.Options) (*apptest.Server, *loadtest.Inbox) {
	t.Helper()
	in := loadtest.NewInbox()
	sinks := startSinks(t, in)
	opts.Env = map[string]string{"REBIND_SMTP_URL": sinks.SMTP.URL(), "REBIND_SMS_URL": sinks.SMS.URL(),
		"REBIND_TRUSTED_PROXIES": "127.0.0.1/32", "REBIND_CAPTCHA": "off"}
	return apptest.Start(t, opts), in
}

// Every scenario runs a fixed number of flows at concurrency 4 against a
// whole server on each database, its mail and SMS going to the tool's own
// sinks: every flow reaches its outcome (the tool checks it), none fails,
// and the report counts exactly the flows run, each step once a flow and
// each code delivered once. OnFlow is told of each flow once, with the
// server's flow and, for a change, the numbers as the database has them;
// once the outbox has sent everything, the sinks received for each
// recipient what the outbox records as sent to it, no email twice.
func TestScenarios(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, in := serve(t, opts)
		const flows = 8
		var mu sync.Mutex
		var told []loadtest.Flow
		tool := loadtest.New(loadtest.Config{BaseURL: s.URL, AdminURL: s.InternalURL, AdminToken: apptest.AdminToken,
			Scenarios: loadtest.Scenarios, Levels: []int{4}, Flows: flows,
			OnFlow: func(f loadtest.Flow) { mu.Lock(); told = append(told, f); mu.Unlock() }}, in)
		rep, err := tool.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var table strings.Builder
		rep.WriteTable(&table)
		if len(rep.Results) != len(loadtest.Scenarios) {
			t.Fatalf("results: %d\n%s", len(rep.Results), table.String())
		}
		for _, r := range rep.Results {
			if r.Flows != flows || r.Errors != 0 || r.Flow.N != flows || r.Concurrency != 4 {
				t.Errorf("%s: %d flows (%d timed), %d errors %v, want %d flows and none", r.Scenario, r.Flows, r.Flow.N, r.Errors, r.ErrorsBy, flows)
			}
			if r.Scenario == "mixed" {
				continue
			}
			for _, st := range r.Steps {
				if st.N != flows {
					t.Errorf("%s: step %s ran %d times, want %d", r.Scenario, st.Name, st.N, flows)
				}
			}
			if want := codesPerFlow[r.Scenario] * flows; r.Delivery.N != want {
				t.Errorf("%s: %d deliveries timed, want %d", r.Scenario, r.Delivery.N, want)
			}
		}
		if t.Failed() {
			t.Log("\n" + table.String())
		}
		if n := in.Dropped.Load(); n != 0 {
			t.Errorf("%d codes arrived for nobody", n)
		}
		checkTold(t, s, told, flows*len(loadtest.Scenarios))
		checkReceived(t, s, in)
	})
}

// kinds are the server's flow kinds of the scenarios that open one.
var kinds = map[string]string{"email-code": "mobile_bind", "reset-quiz": "mobile_reset", "change": "mobile_change"}

func checkTold(t *testing.T, s *apptest.Server, told []loadtest.Flow, want int) {
	t.Helper()
	if len(told) != want {
		t.Errorf("OnFlow told of %d flows, want %d", len(told), want)
	}
	last := map[string]loadtest.Flow{} // each account's last change
	for _, f := range told {
		if f.Err != nil || f.Account == "" || f.End.Before(f.Start) || f.Scenario == "mixed" {
			t.Errorf("told %+v", f)
			continue
		}
		kind, opens := kinds[f.Scenario]
		if opens != (f.ID != "") {
			t.Errorf("%s told with flow id %q", f.Scenario, f.ID)
		}
		if opens && count(t, s, "SELECT count(*) FROM flows WHERE id = $1 AND account_id = $2 AND kind = $3", f.ID, f.Account, kind) != 1 {
			t.Errorf("%s: flow %s is not the account's %s", f.Scenario, f.ID, kind)
		}
		if f.Scenario != "change" {
			continue
		}
		if f.NewMobile == "" || f.Token == "" ||
			count(t, s, "SELECT count(*) FROM mobile_history WHERE account_id = $1 AND mobile = $2 AND flow_id = $3", f.Account, f.Mobile, f.ID) != 1 {
			t.Errorf("change told as %+v; its old number is not in the history", f)
		}
		if l, ok := last[f.Account]; !ok || l.Start.Before(f.Start) {
			last[f.Account] = f
		}
	}
	for id, f := range last {
		if count(t, s, "SELECT count(*) FROM accounts WHERE id = $1 AND mobile = $2", id, f.NewMobile) != 1 {
			t.Errorf("account %s: its last change's new number %s is not bound", id, f.NewMobile)
		}
	}
}

func checkReceived(t *testing.T, s *apptest.Server, in *loadtest.Inbox) {
	t.Helper()
	apptest.Eventually(t, 30*time.Second, "the outbox to send everything", func() bool {
		return count(t, s, "SELECT count(*) FROM outbox WHERE state <> 'sent'") == 0
	})
	for _, ch := range []string{"email", "sms"} {
		sent := map[string]int{}
		rows, err := s.DB.QueryContext(context.Background(), "SELECT lower(recipient), count(*) FROM outbox WHERE channel = $1 GROUP BY lower(recipient)", ch)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var to string
			var n int
			if err := rows.Scan(&to, &n); err != nil {
				t.Fatal(err)
			}
			sent[to] = n
		}
		rows.Close()
		got := in.Received(ch)
		if len(sent) == 0 || fmt.Sprint(got) != fmt.Sprint(sent) {
			t.Errorf("%s: received %v, outbox sent %v", ch, got, sent)
		}
	}
	if r := in.Repeated(); len(r) != 0 {
		t.Errorf("emails received twice: %v", r)
	}
}

func count(t *testing.T, s *apptest.Server, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// Closing Config.Stop ends a run that would last an hour: the level
// running stops starting flows, those it ran are reported, and no later
// level runs.
func TestStop(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, in := serve(t, opts)
		stop := make(chan struct{})
		var once sync.Once
		var mu sync.Mutex
		told := 0
		tool := loadtest.New(loadtest.Config{BaseURL: s.URL, AdminURL: s.InternalURL, AdminToken: apptest.AdminToken,
			Scenarios: []string{"eligibility"}, Levels: []int{2, 4}, Duration: time.Hour, Stop: stop,
			OnFlow: func(loadtest.Flow) {
				mu.Lock()
				defer mu.Unlock()
				if told++; told == 5 {
					once.Do(func() { close(stop) })
				}
			}}, in)
		done := make(chan struct{})
		var rep loadtest.Report
		var err error
		go func() { rep, err = tool.Run(context.Background()); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			t.Fatal("the run went on after Stop was closed")
		}
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(rep.Results) != 1 || rep.Results[0].Concurrency != 2 || rep.Results[0].Flows != told || told < 5 {
			t.Errorf("results %+v after %d flows; want the first level's, with every flow told", rep.Results, told)
		}
	})
}

// The SMTP sink counts an email by recipient and notices one that arrives
// twice with the same Message-ID; the SMS sink counts by number.
func TestInboxCounts(t *testing.T) {
	in := loadtest.NewInbox()
	sinks := startSinks(t, in)
	smtpSink, smsSink := sinks.SMTP, sinks.SMS
	mailTo := func(to, id string) {
		t.Helper()
		u, _ := url.Parse(smtpSink.URL())
		msg := "Message-Id: " + id + "\r\nSubject: 123456 is your code\r\n\r\nbody\r\n"
		if err := smtp.SendMail(u.Host, nil, "no-reply@rebind.example", []string{to}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	mailTo("a@example.com", "<out-1@rebind.example>")
	mailTo("A@example.com", "<out-1@rebind.example>")
	mailTo("b@example.com", "<out-2@rebind.example>")
	u, _ := url.Parse(smsSink.URL())
	u.User = nil
	for range 3 {
		resp, err := http.PostForm(u.String()+"/2010-04-01/Accounts/AC1/Messages.json", url.Values{"To": {"+6591234567"}, "Body": {"notice"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("sms: %d", resp.StatusCode)
		}
	}
	if got := fmt.Sprint(in.Received("email")); got != "map[a@example.com:2 b@example.com:1]" {
		t.Errorf("emails received: %s", got)
	}
	if got := fmt.Sprint(in.Received("sms")); got != "map[+6591234567:3]" {
		t.Errorf("SMS received: %s", got)
	}
	if got := fmt.Sprint(in.Repeated()); got != "map[<out-1@rebind.example>:2]" {
		t.Errorf("repeated: %s", got)
	}
}

// startSinks starts both sinks on any free port, stopped when the test ends.
func startSinks(t *testing.T, in *loadtest.Inbox) *loadtest.Sinks {
	t.Helper()
	sinks, err := loadtest.StartSinks("127.0.0.1:0", "127.0.0.1:0", in)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sinks.Close() })
	return sinks
}
