// Package mail owns email delivery: it turns an outbox.Message into one
// plain-text email and hands it to an SMTP server, configured from a single
// smtp:// or smtps:// URL. It decides which SMTP failures are permanent.
package mail

import (
	"crypto/tls"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultDialTimeout bounds connecting and each SMTP exchange.
const DefaultDialTimeout = 10 * time.Second

// Sender delivers email through one SMTP server. It is safe for concurrent
// use: each Send has a connection to itself, taken from a small pool.
type Sender struct {
	mu     sync.Mutex
	idle   []*conn
	closed bool

	host     string
	port     int
	implicit bool // smtps://: TLS from the first byte
	user     string
	pass     string
	from     *netmail.Address
	domain   string // of the from address, for Message-IDs
	cfg      config
}

type config struct {
	requireTLS  bool
	tlsConfig   *tls.Config
	dialTimeout time.Duration
	helo        string
}

// Option adjusts a Sender at construction.
type Option func(*config)

// RequireTLS makes an smtp:// Sender refuse to talk to a server that does not
// offer STARTTLS, instead of sending in clear. Production sets it.
func RequireTLS(require bool) Option {
	return func(c *config) { c.requireTLS = require }
}

// TLSConfig replaces the TLS configuration (roots, minimum version) used for
// STARTTLS and implicit TLS. ServerName defaults to the URL's host.
func TLSConfig(cfg *tls.Config) Option {
	return func(c *config) { c.tlsConfig = cfg }
}

// HELO sets the name sent in EHLO (or HELO); without it go-mail sends
// this machine's host name, which relays may refuse or log as unknown.
func HELO(name string) Option {
	return func(c *config) { c.helo = name }
}

// DialTimeout bounds connecting and each SMTP command; default 10 s.
func DialTimeout(d time.Duration) Option {
	return func(c *config) { c.dialTimeout = d }
}

// New validates rawURL and from once, so a bad configuration stops the
// service at start instead of failing every message later.
//
// rawURL is smtp://[user:pass@]host[:port] (port 587, STARTTLS when offered)
// or smtps://[user:pass@]host[:port] (port 465, implicit TLS). Without
// user:pass the Sender does not authenticate. from is an address, optionally
// with a display name ("Rebind <no-reply@rebind.example>").
func New(rawURL, from string, opts ...Option) (*Sender, error) {
	s, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if s.from, s.domain, err = parseFrom(from); err != nil {
		return nil, err
	}
	s.cfg = config{dialTimeout: DefaultDialTimeout}
	for _, opt := range opts {
		opt(&s.cfg)
	}
	if s.cfg.dialTimeout <= 0 {
		return nil, errors.New("mail: dial timeout must be positive")
	}
	if strings.ContainsFunc(s.cfg.helo, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return nil, errors.New("mail: HELO name must be a host name without spaces or control characters")
	}
	return s, nil
}

// errBadURL never quotes the URL: a malformed one may have the password in
// any part that the parser would echo back.
var errBadURL = errors.New("mail: SMTP URL is malformed; expected smtp://user:pass@host:port " +
	"or smtps://user:pass@host:port with special characters in user and password percent-encoded")

func parseURL(rawURL string) (*Sender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errBadURL
	}
	s := &Sender{host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		s.port = 587
	case "smtps":
		s.port, s.implicit = 465, true
	default:
		return nil, fmt.Errorf("mail: SMTP URL scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if s.host == "" {
		return nil, errors.New("mail: SMTP URL has no host")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("mail: SMTP URL must not have a path, query or fragment")
	}
	if p := u.Port(); p != "" {
		if s.port, err = strconv.Atoi(p); err != nil || s.port < 1 || s.port > 65535 {
			return nil, errors.New("mail: SMTP URL port must be between 1 and 65535")
		}
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		if s.user == "" || s.pass == "" {
			return nil, errors.New("mail: SMTP URL must carry both user and password, or neither")
		}
	}
	return s, nil
}

func parseFrom(from string) (*netmail.Address, string, error) {
	if strings.ContainsAny(from, "\r\n") {
		return nil, "", errors.New("mail: from address contains a line break")
	}
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, "", fmt.Errorf("mail: from address %q: %w", from, err)
	}
	at := strings.LastIndexByte(addr.Address, '@')
	if at < 0 || at == len(addr.Address)-1 {
		return nil, "", fmt.Errorf("mail: from address %q has no domain", from)
	}
	return addr, addr.Address[at+1:], nil
}

// tlsConfig is the configuration for this server: the caller's, or a strict
// default, always naming the host so certificates are verified against it.
func (s *Sender) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.cfg.tlsConfig != nil {
		cfg = s.cfg.tlsConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.host
	}
	return cfg
}
