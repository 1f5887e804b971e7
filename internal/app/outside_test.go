package app_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/certtest"
	"github.com/rebindhq/rebind/internal/mail/mailtest"
	"github.com/rebindhq/rebind/internal/outbox"
)

// TestSMTPCertificateFault: a relay whose certificate comes from a private
// CA the server was not told of fails every email alike. The metric counts
// each attempt as outcome="config_fault", the log has one ERROR that names
// the fault and REBIND_SMTP_CA_FILE for all the messages, and the messages
// wait. A server given the CA file delivers them, greeting with the host of
// REBIND_BASE_URL.
func TestSMTPCertificateFault(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		ca := certtest.NewCA(t)
		relay := mailtest.NewTLSServerWith(t, ca.ServerConfig(t, certtest.Leaf{}, false))
		var logs syncBuffer
		opts.Logs = &logs
		opts.Env = map[string]string{"REBIND_SMTP_URL": relay.URL(), "REBIND_BASE_URL": "https://rebind.example"}
		s := apptest.Start(t, opts)
		const messages = 6 // past the breaker's 5 failures: its opening logs nothing more
		for range messages {
			err := s.DB.Tx(context.Background(), func(tx *sql.Tx) error {
				_, err := s.Worker.Queue.Enqueue(context.Background(), tx,
					outbox.Message{Channel: outbox.Email, To: "a@example.com", Subject: "s", Body: "b"}, "test", time.Time{})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		apptest.Eventually(t, 60*time.Second, "a config_fault outcome for every message", func() bool {
			return deliveries(t, s, "config_fault") >= messages
		})
		if n := deliveries(t, s, "sent") + deliveries(t, s, "failed"); n != 0 {
			t.Errorf("%d messages sent or failed for good; want all waiting", n)
		}
		l := logs.String()
		if strings.Count(l, `"level":"ERROR"`) != 1 || !strings.Contains(l, "SMTP server certificate is not trusted: set REBIND_SMTP_CA_FILE") {
			t.Errorf("want one ERROR naming the fault and REBIND_SMTP_CA_FILE for %d messages:\n%s", messages, l)
		}
		if n := len(relay.Messages()); n != 0 {
			t.Fatalf("the relay received %d messages over an unverified connection", n)
		}

		opts.Env["REBIND_SMTP_CA_FILE"] = ca.CAFile(t)
		opts.Env["REBIND_SECRET"] = s.Secret // to open the messages the first one sealed
		// A second instance on the same database: the first one keeps its
		// fault (its breaker probes now and then) while this one delivers.
		opts.Logs = nil
		apptest.Start(t, opts)
		got := relay.WaitFor(t, messages, 60*time.Second)
		for _, m := range got {
			if m.HELO != "rebind.example" || !m.TLS {
				t.Fatalf("HELO %q, TLS %v; want the host of REBIND_BASE_URL over TLS", m.HELO, m.TLS)
			}
		}
	})
}

// deliveries counts the email deliveries of one outcome on /metrics.
func deliveries(t *testing.T, s *apptest.Server, outcome string) int {
	t.Helper()
	return int(s.Metric(t, "rebind_outbox_deliveries_total", map[string]string{"channel": "email", "outcome": outcome}))
}
