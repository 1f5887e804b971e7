package tlsclient_test

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/rebindhq/rebind/internal/tlsclient"
)

// TestClassify: certificate faults are told by their types, wrapped or not;
// an outage is no certificate fault. (The faults of real handshakes are
// tested in internal/mail and internal/sms.)
func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want tlsclient.Fault
	}{
		{nil, tlsclient.None},
		{io.EOF, tlsclient.None},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, tlsclient.None},
		{fmt.Errorf("mail: %w", x509.UnknownAuthorityError{}), tlsclient.Untrusted},
		{x509.HostnameError{Certificate: &x509.Certificate{}, Host: "a.example"}, tlsclient.WrongHost},
		{x509.CertificateInvalidError{Reason: x509.Expired}, tlsclient.Expired},
		{x509.CertificateInvalidError{Reason: x509.NotAuthorizedToSign}, tlsclient.Invalid},
	}
	for _, tt := range tests {
		if got := tlsclient.Classify(tt.err); got != tt.want {
			t.Errorf("Classify(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestConfigNeedsBothFiles(t *testing.T) {
	if _, err := tlsclient.Config(tlsclient.Files{Cert: "client.pem"}); err == nil {
		t.Error("a certificate without its key was accepted")
	}
	cfg, err := tlsclient.Config(tlsclient.Files{})
	if err != nil || cfg.RootCAs != nil || len(cfg.Certificates) != 0 {
		t.Errorf("no files: %+v, %v; want the system roots and no client certificate", cfg, err)
	}
}
