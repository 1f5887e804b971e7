package tlsclient

import (
	"crypto/x509"
	"errors"
	"net"
	"reflect"
)

// Fault is what is wrong with a connection's certificates; None when the
// error is not a certificate fault.
type Fault int

// The faults.
const (
	None Fault = iota
	// Untrusted: the server's certificate chains to no trusted root (a
	// private CA not in the CA file).
	Untrusted
	// WrongHost: the certificate does not name the host dialed.
	WrongHost
	// Expired: the certificate is expired or not yet valid.
	Expired
	// Invalid: the certificate is unusable for another reason (not for
	// server authentication, a CA not allowed to sign it).
	Invalid
	// ClientRefused: the server refused our client certificate, or asked
	// for one we do not have.
	ClientRefused
)

// TLS alerts a server sends about the client's certificate (RFC 8446 §6.2).
const (
	alertBadCertificate         = 42
	alertUnsupportedCertificate = 43
	alertCertificateRevoked     = 44
	alertCertificateExpired     = 45
	alertCertificateUnknown     = 46
	alertUnknownCA              = 48
	alertAccessDenied           = 49
	alertCertificateRequired    = 116
)

// Classify finds a certificate fault in err by the types crypto/x509 and
// crypto/tls return, never by the text.
func Classify(err error) Fault {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	switch {
	case err == nil:
		return None
	case errors.As(err, &unknown):
		return Untrusted
	case errors.As(err, &hostname):
		return WrongHost
	case errors.As(err, &invalid):
		if invalid.Reason == x509.Expired {
			return Expired
		}
		return Invalid
	}
	switch remoteAlert(err) {
	case alertBadCertificate, alertUnsupportedCertificate, alertCertificateRevoked, alertCertificateExpired,
		alertCertificateUnknown, alertUnknownCA, alertAccessDenied, alertCertificateRequired:
		return ClientRefused
	}
	return None
}

// remoteAlert is the TLS alert the server sent, or 0. crypto/tls reports a
// received alert as a *net.OpError with Op "remote error" whose Err is of
// an unexported uint8 type (tls.AlertError is used for QUIC only), so the
// number is read through reflection rather than from the message.
func remoteAlert(err error) uint64 {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return 0
	}
	if v := reflect.ValueOf(op.Err); v.Kind() == reflect.Uint8 {
		return v.Uint()
	}
	return 0
}

// Names are one connection's settings, for the advice on a fault.
type Names struct {
	Server        string // "SMTP server"
	URL           string // the setting with the host dialed
	CA, Cert, Key string // the settings of Files
}

// Explain says what the fault is and which setting fixes it.
func (f Fault) Explain(n Names) (problem, fix string) {
	switch f {
	case Untrusted:
		return n.Server + " certificate is not trusted", "set " + n.CA + " to the PEM bundle of the CA that issued it"
	case WrongHost:
		return n.Server + " certificate does not name the host dialed", "use in " + n.URL + " a host name the certificate lists"
	case Expired:
		return n.Server + " certificate has expired or is not yet valid", "renew the server's certificate (or correct this machine's clock)"
	case Invalid:
		return n.Server + " certificate is not valid for a server", "have the server present a server certificate issued by a CA in " + n.CA
	case ClientRefused:
		return n.Server + " refused our client certificate", "set " + n.Cert + " and " + n.Key + " to a certificate it accepts"
	}
	return "", ""
}
