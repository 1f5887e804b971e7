package notify_test

import (
	"bytes"
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/notify"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

func notifier(t *testing.T, brand, site string) (*notify.Notifier, error) {
	t.Helper()
	q, err := outbox.NewQueue(clock.Real{}, keys.Set{bytes.Repeat([]byte{3}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(site)
	return notify.New(q, brand, u)
}

// The longest brand the configuration allows, with a realistic host name,
// still fits one SMS; an absurd host name is refused at start.
func TestSMSFitsOneSegment(t *testing.T) {
	if _, err := notifier(t, strings.Repeat("B", 24), "https://security.example-exchange.com"); err != nil {
		t.Fatalf("a 24-character brand does not fit: %v", err)
	}
	if _, err := notifier(t, "Rebind", "https://"+strings.Repeat("very-long-label.", 6)+"example.com"); err == nil {
		t.Fatal("a host name that overflows the SMS was accepted")
	}
}

// SEC-CODE-9: the SMS is short, has no link or personal data, and ends with
// the origin-bound line "@host #code".
func TestCodeMessages(t *testing.T) {
	db := storetest.SQLite(t)
	n, err := notifier(t, "Rebind", "https://rebind.example:8443")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ctx := context.Background()
	for _, ch := range []outbox.Channel{outbox.SMS, outbox.Email} {
		err := n.Code(ctx, db, notify.CodeMessage{Channel: ch, To: "+6581234567", Action: "sign in", Code: "042917",
			ExpiresAt: now.Add(5 * time.Minute), Now: now})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := n.Code(ctx, db, notify.CodeMessage{Channel: outbox.SMS, To: "+6581234567", Code: "42917"}); err == nil {
		t.Fatal("a 5-digit code was queued")
	}
	dev := outbox.DevSender{DB: db, Clock: clock.Real{}}
	q, _ := outbox.NewQueue(clock.Real{}, keys.Set{bytes.Repeat([]byte{3}, 32)})
	w := &outbox.Worker{DB: db, Queue: q, Clock: clock.Real{}, Senders: map[outbox.Channel]outbox.Sender{outbox.SMS: dev, outbox.Email: dev}}
	w.RunOnce(ctx)
	msgs, _ := outbox.DevMessages(ctx, db, "", 10)
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	for _, m := range msgs {
		switch m.Channel {
		case outbox.SMS:
			if len(m.Body) > 160 || !regexp.MustCompile(`\n\n@rebind\.example #042917$`).MatchString(m.Body) ||
				strings.Contains(m.Body, "http") || strings.Contains(m.Body, "4567") || !strings.Contains(m.Body, "Valid 5 min") {
				t.Errorf("sms %q", m.Body)
			}
		case outbox.Email:
			if m.Subject != "042917 is your Rebind verification code" || !strings.Contains(m.Body, "to sign in") ||
				!strings.Contains(m.Body, "expires in 5 minutes") {
				t.Errorf("email %q / %q", m.Subject, m.Body)
			}
		}
	}
}

func TestLinkUsesTheConfiguredSite(t *testing.T) {
	n, _ := notifier(t, "Rebind", "https://rebind.example/base/")
	got := n.Link("/stop", url.Values{"t": {"abc"}})
	if got != "https://rebind.example/base/stop?t=abc" {
		t.Fatalf("Link = %q", got)
	}
}
