package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

// syncBuffer is a log sink the server may write from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Issue 7: a destination's code budget running out is counted, by limit
// and requester, and logged as an alert naming the account but neither
// the address nor the number.
func TestSpentDestinationBudgetIsCountedAndAlerted(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		var logs syncBuffer
		s := apptest.Start(t, apptest.Options{Logs: &logs})
		id := s.CreateAccount(t, "alerted@example.com", pw, "+6581239001", false)
		for i := range 6 {
			r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "alerted@example.com", "password": pw})
			if want := map[bool]int{true: 200, false: 429}[i < 5]; r.Status != want {
				t.Fatalf("sign-in %d: %d %s", i+1, r.Status, r.Raw)
			}
		}
		resp, err := http.Get(s.InternalURL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := `rebind_code_sends_refused_total{limit="code_dest_hour",requester="owner"} 1`; !strings.Contains(string(b), want) {
			t.Fatalf("/metrics lacks %s", want)
		}
		var alert string
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "ALERT: a destination's code budget is spent") {
				alert = line
			}
		}
		if alert == "" || !strings.Contains(alert, `"account_id":"`+id+`"`) || !strings.Contains(alert, `"level":"WARN"`) {
			t.Fatalf("no alert naming the account: %q", alert)
		}
		if strings.Contains(alert, "81239001") || strings.Contains(alert, "alerted@") {
			t.Fatalf("the alert names the destination: %s", alert)
		}
	})
}

// Issue 9: an audit event that cannot be written is neither returned to
// the request (what it records has happened) nor dropped in silence: it is
// counted by action and logged as an alert.
func TestLostAuditEventIsCountedAndAlerted(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		var logs syncBuffer
		s := apptest.Start(t, apptest.Options{Logs: &logs})
		s.CreateAccount(t, "audited@example.com", pw, "", false)
		// The audit table gone, no event can be appended.
		if _, err := s.DB.ExecContext(context.Background(), "ALTER TABLE audit_events RENAME TO audit_events_gone"); err != nil {
			t.Fatal(err)
		}
		r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "audited@example.com", "password": "not-" + pw})
		if r.Status != 401 {
			t.Fatalf("a wrong password: %d %s", r.Status, r.Raw)
		}
		resp, err := http.Get(s.InternalURL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := `rebind_audit_write_failures_total{action="authn_login_fail"} 1`; !strings.Contains(string(b), want) {
			t.Fatalf("/metrics lacks %s", want)
		}
		if !strings.Contains(logs.String(), "ALERT: an audit event could not be recorded") {
			t.Fatal("no alert in the log")
		}
	})
}
