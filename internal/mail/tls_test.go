package mail_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/certtest"
	"github.com/rebindhq/rebind/internal/mail"
	"github.com/rebindhq/rebind/internal/mail/mailtest"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/tlsclient"
)

// TestPrivateCA runs a relay with STARTTLS and AUTH whose certificate is
// issued by a private CA, as platform teams run postfix: each fault of our
// configuration is an outbox.ConfigFault naming the setting to fix, for a
// send and for the check alike, and the right configuration delivers.
// Certificates are always verified (ASVS v5.0.0-12.3.1, 12.3.2; a private
// CA: 12.3.4; client certificates: 12.3.5), and no error holds the
// password (SEC-AUD-4).
func TestPrivateCA(t *testing.T) {
	ca := certtest.NewCA(t)
	caFile := ca.CAFile(t)
	certFile, keyFile := ca.ClientFiles(t)
	plain := mailtest.NewTLSServerWith(t, ca.ServerConfig(t, certtest.Leaf{}, false))
	mutual := mailtest.NewTLSServerWith(t, ca.ServerConfig(t, certtest.Leaf{}, true))
	expired := mailtest.NewTLSServerWith(t, ca.ServerConfig(t, certtest.Leaf{Expired: true}, false))
	other := certtest.NewCA(t) // a client certificate the relay does not know
	otherCert, otherKey := other.ClientFiles(t)
	tests := []struct {
		name       string
		srv        *mailtest.Server
		files      tlsclient.Files
		serverName string        // dial under another name than the certificate's
		user       *url.Userinfo // nil: the server's
		fault      string        // the ConfigFault's problem; empty: delivers
		fix        string        // what the fix names
	}{
		{name: "CA file trusted", srv: plain, files: tlsclient.Files{CA: caFile}},
		{name: "no CA file", srv: plain, fault: "SMTP server certificate is not trusted", fix: "REBIND_SMTP_CA_FILE"},
		{name: "another name", srv: plain, files: tlsclient.Files{CA: caFile}, serverName: "relay.elsewhere.example",
			fault: "SMTP server certificate does not name the host dialed", fix: "REBIND_SMTP_URL"},
		{name: "expired certificate", srv: expired, files: tlsclient.Files{CA: caFile},
			fault: "SMTP server certificate has expired or is not yet valid", fix: "renew"},
		{name: "wrong password", srv: plain, files: tlsclient.Files{CA: caFile}, user: url.UserPassword(mailtest.User, "wrong-pass-7"),
			fault: "SMTP server refused our user name or password", fix: "REBIND_SMTP_URL"},
		{name: "client certificate", srv: mutual, files: tlsclient.Files{CA: caFile, Cert: certFile, Key: keyFile}},
		{name: "client certificate missing", srv: mutual, files: tlsclient.Files{CA: caFile},
			fault: "SMTP server refused our client certificate", fix: "REBIND_SMTP_CLIENT_CERT_FILE"},
		{name: "client certificate of another CA", srv: mutual, files: tlsclient.Files{CA: caFile, Cert: otherCert, Key: otherKey},
			fault: "SMTP server refused our client certificate", fix: "REBIND_SMTP_CLIENT_KEY_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tlsCfg, err := tlsclient.Config(tt.files)
			if err != nil {
				t.Fatal(err)
			}
			tlsCfg.ServerName = tt.serverName
			u, _ := url.Parse(tt.srv.URL())
			if tt.user != nil {
				u.User = tt.user
			}
			s := newSender(t, u.String(), mail.TLSConfig(tlsCfg), mail.RequireTLS(true), mail.HELO("rebind.example"))
			before := len(tt.srv.Messages())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			checkErr := s.Check(ctx)
			_, sendErr := send(t, s, message("tls-1"))
			for what, err := range map[string]error{"Check": checkErr, "Send": sendErr} {
				if tt.fault == "" {
					if err != nil {
						t.Errorf("%s: %v", what, err)
					}
					continue
				}
				var fault *outbox.ConfigFault
				if !errors.As(err, &fault) || fault.Problem != tt.fault || !strings.Contains(fault.Fix, tt.fix) {
					t.Errorf("%s: err = %v; want the configuration fault %q naming %s", what, err, tt.fault, tt.fix)
				}
				if outbox.IsPermanent(err) {
					t.Errorf("%s: %v is permanent; a fixed configuration must still deliver the message", what, err)
				}
				if err != nil && strings.Contains(err.Error(), "wrong-pass-7") {
					t.Errorf("%s: error %q holds the password", what, err)
				}
			}
			want := before
			if tt.fault == "" {
				want++
			}
			if got := tt.srv.Messages(); len(got) != want {
				t.Fatalf("server holds %d messages, want %d", len(got), want)
			} else if tt.fault == "" && (got[len(got)-1].HELO != "rebind.example" || !got[len(got)-1].TLS) {
				t.Errorf("HELO %q, TLS %v; want rebind.example over TLS", got[len(got)-1].HELO, got[len(got)-1].TLS)
			}
		})
	}
}

// TestCheckSendsNothing: the check greets with the configured name, goes
// through STARTTLS and AUTH, and leaves no message.
func TestCheckSendsNothing(t *testing.T) {
	ca := certtest.NewCA(t)
	srv := mailtest.NewTLSServerWith(t, ca.ServerConfig(t, certtest.Leaf{}, false))
	tlsCfg, err := tlsclient.Config(tlsclient.Files{CA: ca.CAFile(t)})
	if err != nil {
		t.Fatal(err)
	}
	s := newSender(t, srv.URL(), mail.TLSConfig(tlsCfg), mail.RequireTLS(true), mail.HELO("mx.rebind.example"))
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	helos := srv.HELOs()
	if len(helos) != 2 || helos[0] != "mx.rebind.example" || helos[1] != "mx.rebind.example" {
		t.Errorf("greetings %q; want mx.rebind.example before and after STARTTLS", helos)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("the check left %d messages", n)
	}
}
