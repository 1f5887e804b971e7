package sms_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/certtest"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/sms"
	"github.com/rebindhq/rebind/internal/sms/smstest"
	"github.com/rebindhq/rebind/internal/tlsclient"
)

// TestPrivateCA runs the provider on HTTPS with a certificate of a private
// CA: each fault of our configuration is an outbox.ConfigFault naming the
// setting to fix, for a send and for the check alike, and the right
// configuration delivers. Certificates are always verified (ASVS
// v5.0.0-12.3.1, 12.3.2; a private CA: 12.3.4; client certificates:
// 12.3.5); no error holds the token (SEC-AUD-4).
func TestPrivateCA(t *testing.T) {
	ca := certtest.NewCA(t)
	caFile := ca.CAFile(t)
	certFile, keyFile := ca.ClientFiles(t)
	plain := smstest.NewTLSServer(t, ca.ServerConfig(t, certtest.Leaf{}, false))
	mutual := smstest.NewTLSServer(t, ca.ServerConfig(t, certtest.Leaf{}, true))
	const wrongToken = "wrong-token-5c4b"
	tests := []struct {
		name     string
		srv      *smstest.Server
		files    tlsclient.Files
		badToken bool
		fault    string // the ConfigFault's problem; empty: delivers
		fix      string
	}{
		{name: "CA file trusted", srv: plain, files: tlsclient.Files{CA: caFile}},
		{name: "no CA file", srv: plain, fault: "SMS provider certificate is not trusted", fix: "REBIND_SMS_CA_FILE"},
		{name: "wrong token", srv: plain, files: tlsclient.Files{CA: caFile}, badToken: true,
			fault: "SMS provider refused our credentials", fix: "REBIND_SMS_URL"},
		{name: "client certificate", srv: mutual, files: tlsclient.Files{CA: caFile, Cert: certFile, Key: keyFile}},
		{name: "client certificate missing", srv: mutual, files: tlsclient.Files{CA: caFile},
			fault: "SMS provider refused our client certificate", fix: "REBIND_SMS_CLIENT_CERT_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tlsCfg, err := tlsclient.Config(tt.files)
			if err != nil {
				t.Fatal(err)
			}
			rawURL := tt.srv.URL()
			if tt.badToken {
				u, _ := url.Parse(rawURL)
				u.User = url.UserPassword(smstest.SID, wrongToken)
				rawURL = u.String()
			}
			s, err := sms.New(rawURL, sender, false, sms.Client(tlsCfg))
			if err != nil {
				t.Fatal(err)
			}
			before := len(tt.srv.Messages())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			checkErr := s.Check(ctx)
			_, sendErr := send(t, s, text("Rebind: your code is 123456"))
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
				if err != nil && (strings.Contains(err.Error(), wrongToken) || strings.Contains(err.Error(), smstest.Token)) {
					t.Errorf("%s: error %q holds a token", what, err)
				}
			}
			want := before
			if tt.fault == "" {
				want++
			}
			if n := len(tt.srv.Messages()); n != want {
				t.Errorf("provider holds %d messages, want %d (the check sends none)", n, want)
			}
		})
	}
}
