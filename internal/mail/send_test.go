package mail_test

import (
	"context"
	"errors"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/mail"
	"github.com/rebindhq/rebind/internal/mail/mailtest"
	"github.com/rebindhq/rebind/internal/outbox"
)

const from = "Rebind <no-reply@rebind.example>"

func message(id string) outbox.Message {
	return outbox.Message{
		ID:      id,
		Channel: outbox.Email,
		To:      "alice@example.com",
		Subject: "Your code: 123456 — valid 10 min",
		Body:    "Hello Alice,\n\nyour code is 123456. Ünïcode stays intact.\n",
	}
}

func newSender(t *testing.T, rawURL string, opts ...mail.Option) *mail.Sender {
	t.Helper()
	s, err := mail.New(rawURL, from, opts...)
	if err != nil {
		t.Fatalf("mail.New: %v", err)
	}
	return s
}

func send(t *testing.T, s *mail.Sender, m outbox.Message) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Send(ctx, m)
}

func TestSendDeliversOneMessage(t *testing.T) {
	srv := mailtest.NewServer(t)
	id, err := send(t, newSender(t, srv.URL()), message("out-42"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if want := "<out-42@rebind.example>"; id != want {
		t.Errorf("provider id = %q, want %q", id, want)
	}
	got := srv.WaitFor(t, 1, 5*time.Second)[0]
	want := message("out-42")
	if got.From != "no-reply@rebind.example" || len(got.To) != 1 || got.To[0] != want.To {
		t.Errorf("envelope from=%q to=%q", got.From, got.To)
	}
	if got.Subject != want.Subject {
		t.Errorf("subject = %q, want %q", got.Subject, want.Subject)
	}
	if got.Body != want.Body {
		t.Errorf("body = %q, want %q", got.Body, want.Body)
	}
	if got.User != mailtest.User {
		t.Errorf("authenticated as %q, want %q", got.User, mailtest.User)
	}
	checkHeaders(t, got.Header)
}

func checkHeaders(t *testing.T, h netmail.Header) {
	t.Helper()
	exact := map[string]string{
		"Message-Id":     "<out-42@rebind.example>",
		"Auto-Submitted": "auto-generated",
		"From":           `"Rebind" <no-reply@rebind.example>`,
		"To":             "<alice@example.com>",
	}
	for k, v := range exact {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") ||
		!strings.Contains(strings.ToLower(ct), "charset=utf-8") {
		t.Errorf("Content-Type = %q, want text/plain UTF-8", ct)
	}
	if d, err := h.Date(); err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date = %q (%v), want now", h.Get("Date"), err)
	}
	if h.Get("User-Agent") != "" || h.Get("X-Mailer") != "" {
		t.Errorf("library advertises itself: %q %q", h.Get("User-Agent"), h.Get("X-Mailer"))
	}
}

func TestSendAuthentication(t *testing.T) {
	srv := mailtest.NewServer(t)
	u, _ := url.Parse(srv.URL())
	const wrong = "wrong-password-xyz"
	tests := []struct {
		name  string
		user  *url.Userinfo
		fault string // the outbox.ConfigFault's problem
	}{
		{"wrong password", url.UserPassword(mailtest.User, wrong), "SMTP server refused our user name or password"},
		{"no credentials", nil, "SMTP server requires authentication"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u.User = tt.user
			_, err := send(t, newSender(t, u.String()), message("1"))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if outbox.IsPermanent(err) {
				t.Errorf("permanent %v; a configuration problem must stay retryable", err)
			}
			if fault := (*outbox.ConfigFault)(nil); !errors.As(err, &fault) || fault.Problem != tt.fault {
				t.Errorf("err = %v, want the configuration fault %q", err, tt.fault)
			}
			if strings.Contains(err.Error(), wrong) {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
}

func TestSendClassifiesRefusals(t *testing.T) {
	tests := []struct {
		code      int
		permanent bool
	}{
		{421, false}, {451, false}, {452, false},
		{550, true}, {553, true}, {554, true},
		// Authentication required at RCPT: our configuration (a
		// ConfigFault), not the recipient.
		{530, false},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.code), func(t *testing.T) {
			srv := mailtest.NewServer(t)
			srv.SetFailing(tt.code)
			_, err := send(t, newSender(t, srv.URL()), message("1"))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if outbox.IsPermanent(err) != tt.permanent {
				t.Errorf("code %d: permanent = %v, want %v (%v)", tt.code, !tt.permanent, tt.permanent, err)
			}
			srv.SetFailing(0)
			if _, err := send(t, newSender(t, srv.URL()), message("2")); err != nil {
				t.Errorf("after recovery: %v", err)
			}
		})
	}
}
