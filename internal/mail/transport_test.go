package mail_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/mail"
	"github.com/rebindhq/rebind/internal/mail/mailtest"
	"github.com/rebindhq/rebind/internal/outbox"
)

func TestSendRetryableWhileServerDown(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSender(t, srv.URL())
	addr := srv.Addr()

	srv.Stop()
	_, err := send(t, s, message("1"))
	if err == nil || outbox.IsPermanent(err) {
		t.Fatalf("server down: err = %v, want a retryable error", err)
	}

	srv.Start()
	if srv.Addr() != addr {
		t.Fatalf("server came back on %s, not %s", srv.Addr(), addr)
	}
	if _, err := send(t, s, message("1")); err != nil {
		t.Fatalf("server up again: %v", err)
	}
	srv.WaitFor(t, 1, 5*time.Second)
}

func TestSendRefusesHeaderInjection(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSender(t, srv.URL())
	tests := []struct {
		name   string
		change func(*outbox.Message)
	}{
		{"CRLF in subject", func(m *outbox.Message) { m.Subject = "Hi\r\nBcc: eve@evil.example" }},
		{"LF in subject", func(m *outbox.Message) { m.Subject = "Hi\nBcc: eve@evil.example" }},
		{"CR in subject", func(m *outbox.Message) { m.Subject = "Hi\rBcc: eve@evil.example" }},
		{"CRLF in recipient", func(m *outbox.Message) { m.To = "alice@example.com\r\nBcc: eve@evil.example" }},
		{"LF in recipient", func(m *outbox.Message) { m.To = "alice@example.com\nBcc: eve@evil.example" }},
		{"two recipients", func(m *outbox.Message) { m.To = "alice@example.com, eve@evil.example" }},
		{"not an address", func(m *outbox.Message) { m.To = "alice" }},
		{"id breaks Message-ID", func(m *outbox.Message) { m.ID = "1>\r\nBcc: <eve@evil.example" }},
		{"wrong channel", func(m *outbox.Message) { m.Channel = outbox.SMS }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := message("1")
			tt.change(&m)
			_, err := send(t, s, m)
			if !outbox.IsPermanent(err) {
				t.Errorf("err = %v, want a permanent error", err)
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
}

func TestSendTLS(t *testing.T) {
	starttls := mailtest.NewTLSServer(t)
	implicit := mailtest.NewImplicitTLSServer(t)
	tests := []struct {
		name string
		srv  *mailtest.Server
		opts []mail.Option
	}{
		{"STARTTLS when offered", starttls, []mail.Option{mail.TLSConfig(starttls.ClientTLSConfig())}},
		{"STARTTLS required", starttls, []mail.Option{mail.TLSConfig(starttls.ClientTLSConfig()), mail.RequireTLS(true)}},
		{"implicit TLS", implicit, []mail.Option{mail.TLSConfig(implicit.ClientTLSConfig()), mail.RequireTLS(true)}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := send(t, newSender(t, tt.srv.URL(), tt.opts...), message(fmt.Sprint(i))); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := tt.srv.WaitFor(t, 1, 5*time.Second)
			if last := got[len(got)-1]; !last.TLS || last.User != mailtest.User {
				t.Errorf("TLS = %v, user = %q; want TLS with authentication", last.TLS, last.User)
			}
		})
	}
}

func TestSendRefusesInsecureTransport(t *testing.T) {
	plain := mailtest.NewServer(t)
	starttls := mailtest.NewTLSServer(t)
	tests := []struct {
		name string
		srv  *mailtest.Server
		opts []mail.Option
	}{
		// Production: a server (or an attacker) not offering STARTTLS.
		{"RequireTLS without STARTTLS", plain, []mail.Option{mail.RequireTLS(true)}},
		// Opportunistic still verifies: no fallback to clear text.
		{"untrusted certificate", starttls, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := send(t, newSender(t, tt.srv.URL(), tt.opts...), message("1"))
			if err == nil || outbox.IsPermanent(err) {
				t.Fatalf("err = %v, want a retryable error", err)
			}
			if strings.Contains(err.Error(), mailtest.Password) {
				t.Errorf("error %q contains the password", err)
			}
			if n := len(tt.srv.Messages()); n != 0 {
				t.Errorf("server received %d messages", n)
			}
		})
	}
}

// A server that accepts the connection and never greets must not hold a
// worker for longer than the dial timeout or the caller's deadline. The
// bound that is not under test is an hour, so only the one under test can
// end the call in time; no duration is compared.
func TestSendTimesOutOnSilentServer(t *testing.T) {
	addr := silentServer(t)
	tests := []struct {
		name string
		ctx  time.Duration
		opts []mail.Option
	}{
		{"dial timeout", time.Hour, []mail.Option{mail.DialTimeout(300 * time.Millisecond)}},
		{"context deadline", 300 * time.Millisecond, []mail.Option{mail.DialTimeout(time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSender(t, "smtp://"+addr, tt.opts...)
			ctx, cancel := context.WithTimeout(context.Background(), tt.ctx)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := s.Send(ctx, message("1"))
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || outbox.IsPermanent(err) {
					t.Fatalf("err = %v, want a retryable error", err)
				}
			case <-time.After(time.Minute):
				t.Fatal("Send still waiting for the silent server after a minute")
			}
		})
	}
}

// silentServer accepts connections and never says a word.
func silentServer(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		var conns []net.Conn
		for {
			c, err := l.Accept()
			if err != nil { // closed at the end of the test
				for _, c := range conns {
					c.Close()
				}
				return
			}
			conns = append(conns, c)
		}
	}()
	return l.Addr().String()
}

func TestSendConcurrently(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSender(t, srv.URL())
	const n = 30
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if _, err := send(t, s, message(fmt.Sprint("c", i))); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := srv.WaitFor(t, n, 5*time.Second)
	ids := map[string]bool{}
	for _, m := range got {
		ids[m.Header.Get("Message-Id")] = true
	}
	if len(ids) != n {
		t.Errorf("%d distinct Message-IDs, want %d", len(ids), n)
	}
}
