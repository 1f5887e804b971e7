package mailtest

import (
	"crypto/tls"
	"crypto/x509"
	"testing"

	"github.com/rebindhq/rebind/internal/certtest"
)

// selfSigned makes a certificate for 127.0.0.1 in memory, from a CA of its
// own, and returns the server's TLS configuration and a client
// configuration that trusts it, so tests verify the certificate instead of
// skipping verification.
func selfSigned(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	ca := certtest.NewCA(t)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	return ca.ServerConfig(t, certtest.Leaf{}, false), &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
}
