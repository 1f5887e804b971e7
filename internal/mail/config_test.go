package mail

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The parsed fields are not observable through a real exchange (the test
// server listens on a random port), so the defaults are checked here.
func TestNewAcceptsURLs(t *testing.T) {
	tests := []struct {
		name     string
		url      string
		host     string
		port     int
		implicit bool
		user     string
		pass     string
	}{
		{"smtp default port", "smtp://u:p@mail.example", "mail.example", 587, false, "u", "p"},
		{"smtps default port", "smtps://u:p@mail.example", "mail.example", 465, true, "u", "p"},
		{"explicit port", "smtp://mail.example:2525", "mail.example", 2525, false, "", ""},
		{"no auth, trailing slash", "smtps://mail.example/", "mail.example", 465, true, "", ""},
		{"encoded password", "smtp://u%40x:p%2Fq%3A@[::1]:25", "::1", 25, false, "u@x", "p/q:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.url, "no-reply@rebind.example")
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if s.host != tt.host || s.port != tt.port || s.implicit != tt.implicit ||
				s.user != tt.user || s.pass != tt.pass {
				t.Errorf("got host=%q port=%d implicit=%v user=%q pass=%q",
					s.host, s.port, s.implicit, s.user, s.pass)
			}
			if s.cfg.dialTimeout != DefaultDialTimeout || s.cfg.requireTLS {
				t.Errorf("defaults: timeout=%v requireTLS=%v", s.cfg.dialTimeout, s.cfg.requireTLS)
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	const secret = "hunter2secret"
	tests := []struct {
		name, url, from, want string
	}{
		{"unknown scheme", "ftp://u:" + secret + "@host", "a@b.example", "scheme"},
		{"http scheme", "https://u:" + secret + "@host", "a@b.example", "scheme"},
		{"no host", "smtp://u:" + secret + "@:25", "a@b.example", "no host"},
		{"bad port", "smtp://u:" + secret + "@host:99999", "a@b.example", "port"},
		{"port not a number", "smtp://u:" + secret + "@host:smtp", "a@b.example", "malformed"},
		{"unencoded slash in password", "smtp://u:" + secret + "/x@host:25", "a@b.example", "malformed"},
		{"space in password", "smtp://u:" + secret + " x@host", "a@b.example", "malformed"},
		{"password without user", "smtp://:" + secret + "@host", "a@b.example", "both user and password"},
		{"user without password", "smtp://u@host", "a@b.example", "both user and password"},
		{"path", "smtp://u:" + secret + "@host/x", "a@b.example", "path"},
		{"query", "smtp://u:" + secret + "@host?tls=no", "a@b.example", "query"},
		{"empty from", "smtp://u:" + secret + "@host", "", "from address"},
		{"from without domain", "smtp://u:" + secret + "@host", "rebind", "from address"},
		{"from with line break", "smtp://u:" + secret + "@host", "a@b.example\r\nBcc: x@y", "line break"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.url, tt.from)
			if err == nil {
				t.Fatal("New accepted it")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
}

func TestNewRefusesZeroTimeout(t *testing.T) {
	if _, err := New("smtp://host", "a@b.example", DialTimeout(0)); err == nil {
		t.Fatal("New accepted a zero dial timeout")
	}
}

// Servers are not supposed to echo the password, but if one does it must
// still not reach the logs.
func TestRedactHidesPassword(t *testing.T) {
	s, err := New("smtp://u:hunter2secret@host", "a@b.example")
	if err != nil {
		t.Fatal(err)
	}
	inner := errors.New("535 bad password hunter2secret")
	err = s.redact(fmt.Errorf("mail: %w", inner))
	if strings.Contains(err.Error(), "hunter2secret") || !errors.Is(err, inner) {
		t.Errorf("redact = %q (chain kept: %v)", err, errors.Is(err, inner))
	}
}
