// Package mailtest owns an in-process SMTP server for tests: it speaks real
// SMTP (emersion/go-smtp) on 127.0.0.1, demands authentication, records what
// it receives, and can refuse recipients or go down to exercise retries.
package mailtest

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	netmail "net/mail"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// The credentials the server accepts; URL carries them.
const (
	User     = "mailtest"
	Password = "s3cret-smtp-pass"
)

// Received is one message as the server got it.
type Received struct {
	From    string   // envelope sender (MAIL FROM)
	To      []string // envelope recipients (RCPT TO)
	Subject string   // decoded
	Body    string   // decoded text
	Header  netmail.Header
	Raw     []byte
	User    string // who authenticated; empty if nobody
	TLS     bool   // whether the session ran over TLS
	HELO    string // the name the client gave in EHLO or HELO
}

// Server is an SMTP server listening on 127.0.0.1. It is safe for
// concurrent use.
type Server struct {
	t        testing.TB
	addr     string      // fixed at the first start, so Start comes back on the same port
	tlsCfg   *tls.Config // nil: plain SMTP only
	implicit bool        // TLS from the first byte (smtps) instead of STARTTLS
	roots    *tls.Config // what a client needs to trust tlsCfg

	mu       sync.Mutex
	srv      *smtp.Server // nil while stopped
	listener net.Listener
	messages []Received
	helos    []string // every EHLO or HELO name, in order
	failCode int
	conns    int // connections accepted
	active   int // sessions between MAIL and the end of DATA
	maxAct   int
}

// NewServer starts a plain SMTP server (no STARTTLS) that accepts PLAIN
// authentication without TLS, as a local relay would. It stops when the test
// ends.
func NewServer(t testing.TB) *Server {
	return start(t, &Server{})
}

// NewTLSServer starts a server that offers STARTTLS with a self-signed
// certificate made in memory for 127.0.0.1; ClientTLSConfig trusts it.
func NewTLSServer(t testing.TB) *Server {
	serverCfg, clientCfg := selfSigned(t)
	return start(t, &Server{tlsCfg: serverCfg, roots: clientCfg})
}

// NewTLSServerWith starts a server that offers STARTTLS with cfg: a
// certificate of the test's own CA, and ClientAuth to demand a client
// certificate. ClientTLSConfig is nil: the test knows its CA.
func NewTLSServerWith(t testing.TB, cfg *tls.Config) *Server {
	return start(t, &Server{tlsCfg: cfg})
}

// NewImplicitTLSServer starts a server that speaks TLS from the first byte,
// as on port 465; its URL is smtps://.
func NewImplicitTLSServer(t testing.TB) *Server {
	serverCfg, clientCfg := selfSigned(t)
	return start(t, &Server{tlsCfg: serverCfg, roots: clientCfg, implicit: true})
}

func start(t testing.TB, s *Server) *Server {
	t.Helper()
	s.t, s.addr = t, "127.0.0.1:0"
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// URL is an smtp:// (smtps:// for NewImplicitTLSServer) URL with the
// server's credentials, for mail.New.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", User: url.UserPassword(User, Password), Host: s.addr}
	if s.implicit {
		u.Scheme = "smtps"
	}
	return u.String()
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// ClientTLSConfig trusts the server's certificate; nil for a plain server.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.roots == nil {
		return nil
	}
	return s.roots.Clone()
}

// SetFailing makes the server refuse every recipient with code (451 for a
// temporary failure, 550 for a permanent one); 0 accepts again.
func (s *Server) SetFailing(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failCode = code
}

// Stop closes the listener and all connections, as if the server went down.
// Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		// Closed here too: srv.Close only knows the listener once the
		// Serve goroutine has registered it.
		s.listener.Close()
		s.srv.Close()
		s.srv, s.listener = nil, nil
	}
}

// Start listens again on the same port after Stop. It fails the test if the
// port cannot be had.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return
	}
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatalf("mailtest: listen on %s: %v", s.addr, err)
	}
	s.addr = l.Addr().String()
	srv := smtp.NewServer(&backend{s: s})
	srv.Domain = "mailtest.local"
	if s.implicit {
		l = tls.NewListener(l, s.tlsCfg)
	} else {
		srv.TLSConfig = s.tlsCfg
	}
	srv.AllowInsecureAuth = true // localhost only; lets tests exercise AUTH without TLS
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0) // connections dropped by Stop are expected
	s.srv, s.listener = srv, l
	go srv.Serve(l)
}

// Messages returns a copy of what was received so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.messages...)
}

// WaitFor waits until at least n messages arrived and returns them; it fails
// the test after timeout.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := s.Messages()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailtest: %d messages after %v, want %d", len(got), timeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Server) record(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, r)
}

// Connections counts the SMTP connections the server accepted.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// MaxInFlight is the most messages that were being transferred at once
// (from MAIL FROM to the end of DATA or a reset).
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxAct
}

// HELOs returns every name clients gave in EHLO or HELO, oldest first;
// a client that sends no message still greets.
func (s *Server) HELOs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.helos...)
}

func (s *Server) connected() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns++
}

func (s *Server) greeted(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.helos = append(s.helos, name)
}

func (s *Server) transfer(delta int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active += delta
	s.maxAct = max(s.maxAct, s.active)
}

func (s *Server) failing() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failCode
}
