package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/certtest"
)

// TestTLSFiles: the CA and client certificate files are read at Load, so a
// missing or unreadable file stops the start with the variable named
// instead of failing every message later.
func TestTLSFiles(t *testing.T) {
	ca := certtest.NewCA(t)
	caFile := ca.CAFile(t)
	certFile, keyFile := ca.ClientFiles(t)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string // in the error; empty: loads
	}{
		{"CA bundles and client certificates", map[string]string{"REBIND_SMTP_CA_FILE": caFile, "REBIND_SMS_CA_FILE": caFile,
			"REBIND_SMTP_CLIENT_CERT_FILE": certFile, "REBIND_SMTP_CLIENT_KEY_FILE": keyFile,
			"REBIND_SMS_CLIENT_CERT_FILE": certFile, "REBIND_SMS_CLIENT_KEY_FILE": keyFile}, ""},
		{"CA file missing", map[string]string{"REBIND_SMTP_CA_FILE": filepath.Join(dir, "none.pem")}, "REBIND_SMTP_CA_FILE: must be a PEM bundle"},
		{"CA file not PEM", map[string]string{"REBIND_SMS_CA_FILE": notPEM}, "REBIND_SMS_CA_FILE: must be a PEM bundle"},
		{"CA file is a key", map[string]string{"REBIND_SMTP_CA_FILE": keyFile}, "REBIND_SMTP_CA_FILE: must be a PEM bundle"},
		{"certificate without key", map[string]string{"REBIND_SMTP_CLIENT_CERT_FILE": certFile}, "REBIND_SMTP_CLIENT_KEY_FILE: must be set"},
		{"key without certificate", map[string]string{"REBIND_SMS_CLIENT_KEY_FILE": keyFile}, "REBIND_SMS_CLIENT_CERT_FILE: must be set"},
		{"key and certificate swapped", map[string]string{"REBIND_SMS_CLIENT_CERT_FILE": keyFile, "REBIND_SMS_CLIENT_KEY_FILE": certFile},
			"REBIND_SMS_CLIENT_CERT_FILE: with REBIND_SMS_CLIENT_KEY_FILE, must be a PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env), nil)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.SMTPTLS.CA != caFile || c.SMSTLS.Cert != certFile || c.SMSTLS.Key != keyFile {
					t.Errorf("SMTP %+v, SMS %+v", c.SMTPTLS, c.SMSTLS)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestSMTPHELO: the EHLO name defaults to the host of REBIND_BASE_URL, an
// address written as the literal RFC 5321 asks for.
func TestSMTPHELO(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string // empty: refused
	}{
		{map[string]string{"REBIND_BASE_URL": "https://account.exchange.example/security"}, "account.exchange.example"},
		{map[string]string{"REBIND_BASE_URL": "https://account.exchange.example:8443"}, "account.exchange.example"},
		{map[string]string{}, "[127.0.0.1]"},
		{map[string]string{"REBIND_BASE_URL": "http://[2001:db8::1]:8080"}, "[IPv6:2001:db8::1]"},
		{map[string]string{"REBIND_BASE_URL": "https://a.example", "REBIND_SMTP_HELO": "mx-out.exchange.example"}, "mx-out.exchange.example"},
		{map[string]string{"REBIND_SMTP_HELO": "[192.0.2.7]"}, "[192.0.2.7]"},
		{map[string]string{"REBIND_SMTP_HELO": "bad name"}, ""},
		{map[string]string{"REBIND_SMTP_HELO": "-bad.example"}, ""},
		{map[string]string{"REBIND_SMTP_HELO": "[2001:db8::1]"}, ""},
	}
	for _, tt := range tests {
		c, err := Load(env(tt.env), nil)
		if tt.want == "" {
			if err == nil || !strings.Contains(err.Error(), "REBIND_SMTP_HELO") {
				t.Errorf("%v: err = %v, want REBIND_SMTP_HELO refused", tt.env, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.env, err)
		} else if c.SMTPHELO != tt.want {
			t.Errorf("%v: HELO %q, want %q", tt.env, c.SMTPHELO, tt.want)
		}
	}
}
