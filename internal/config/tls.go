package config

import (
	"net/netip"
	"strings"

	"github.com/rebindhq/rebind/internal/tlsclient"
)

// tlsFiles reads prefix_CA_FILE, prefix_CLIENT_CERT_FILE and
// prefix_CLIENT_KEY_FILE and checks them now: a CA file that is missing or
// holds no certificate would otherwise surface as every message failing.
func tlsFiles(get func(name, def string) string, prefix string, bad func(string, string, ...any)) tlsclient.Files {
	f := tlsclient.Files{CA: get(prefix+"_CA_FILE", ""), Cert: get(prefix+"_CLIENT_CERT_FILE", ""), Key: get(prefix+"_CLIENT_KEY_FILE", "")}
	if f.CA != "" {
		if _, err := tlsclient.ReadCAs(f.CA); err != nil {
			bad(prefix+"_CA_FILE", "must be a PEM bundle of CA certificates: %v", err)
		}
	}
	switch {
	case f.Cert != "" && f.Key == "":
		bad(prefix+"_CLIENT_KEY_FILE", "must be set with %s_CLIENT_CERT_FILE", prefix)
	case f.Cert == "" && f.Key != "":
		bad(prefix+"_CLIENT_CERT_FILE", "must be set with %s_CLIENT_KEY_FILE", prefix)
	default:
		if _, err := tlsclient.ReadPair(f.Cert, f.Key); err != nil {
			bad(prefix+"_CLIENT_CERT_FILE", "with %s_CLIENT_KEY_FILE, must be a PEM certificate and its private key: %v", prefix, err)
		}
	}
	return f
}

// heloDefault is the EHLO name for a host: the name itself, or an
// address as the literal RFC 5321 wants ([192.0.2.1], [IPv6:2001:db8::1]).
func heloDefault(host string) string {
	addr, err := netip.ParseAddr(host)
	switch {
	case err != nil:
		return host
	case addr.Is4():
		return "[" + addr.String() + "]"
	}
	return "[IPv6:" + addr.String() + "]"
}

// isHostName accepts what RFC 5321 allows after EHLO: a domain or an
// address literal.
func isHostName(s string) bool {
	if lit, ok := strings.CutPrefix(s, "["); ok {
		lit, ok = strings.CutSuffix(lit, "]")
		v6, isV6 := strings.CutPrefix(lit, "IPv6:")
		addr, err := netip.ParseAddr(v6)
		return ok && err == nil && addr.Is6() == isV6 && addr.Zone() == ""
	}
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' ||
			strings.ContainsFunc(label, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
			}) {
			return false
		}
	}
	return true
}
