// Package smstest owns a fake of Twilio's Messages API for tests: real HTTP
// (or HTTPS) on 127.0.0.1, the same paths (Messages and the account
// resource), basic auth, form fields and JSON errors as Twilio, a record of what was sent, and switches for outages and slowness.
package smstest

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The credentials the server accepts; URL carries them.
const (
	SID   = "AC0123456789abcdef0123456789abcdef"
	Token = "smstest-auth-token-9f8e7d6c"
)

// Received is one accepted message.
type Received struct {
	To, From, Body string
}

// Server is a Twilio-compatible fake. It is safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	messages []Received
	calls    int
	failing  int
	delay    time.Duration
	active   int // requests being answered
	maxAct   int
}

// NewServer starts the fake on plain HTTP; it stops when the test ends.
func NewServer(t testing.TB) *Server {
	return start(t, nil)
}

// NewTLSServer starts the fake on HTTPS with cfg (its certificate, and
// ClientAuth to demand a client certificate); URL is then https.
func NewTLSServer(t testing.TB, cfg *tls.Config) *Server {
	return start(t, cfg)
}

func start(t testing.TB, tlsCfg *tls.Config) *Server {
	s := &Server{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{sid}/Messages.json", s.create)
	mux.HandleFunc("GET /2010-04-01/Accounts/{file}", s.account)
	mux.HandleFunc("/2010-04-01/Accounts/{sid}/Messages.json", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
	})
	s.srv = httptest.NewUnstartedServer(s.counted(mux))
	// Handshakes the tests make fail on purpose are not news.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tlsCfg != nil {
		s.srv.TLS = tlsCfg
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the URL with SID:TOKEN: http for sms.New with allowHTTP, https
// for NewTLSServer.
func (s *Server) URL() string {
	u, _ := url.Parse(s.srv.URL)
	u.User = url.UserPassword(SID, Token)
	return u.String()
}

// Messages returns a copy of the accepted messages, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.messages...)
}

// Calls counts every request that reached the server, failed ones included.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// MaxInFlight is the most requests that were being answered at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxAct
}

// SetFailing makes every request fail with status (500 or 503 for an outage,
// 429 for throttling); 0 makes the server healthy again.
func (s *Server) SetFailing(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = status
}

// SetDelay makes the server wait d before answering, or until the client
// gives up.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// WaitFor waits until at least n messages were accepted and returns them; it
// fails the test after timeout.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := s.Messages()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("smstest: %d messages after %v, want %d", len(got), timeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// counted counts the call and applies the delay and the outage switch before
// any check, as a provider that is down answers everyone alike.
func (s *Server) counted(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls++
		s.active++
		s.maxAct = max(s.maxAct, s.active)
		failing, delay := s.failing, s.delay
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.active--
			s.mu.Unlock()
		}()
		if delay > 0 && !wait(r, delay) {
			return
		}
		if failing != 0 {
			writeError(w, failing, 20000+failing, http.StatusText(failing))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// wait holds the request for d and reports false if the client gave up
// first. The body is read up front: net/http notices a closed connection
// only once the handler has consumed the body.
func wait(r *http.Request, d time.Duration) bool {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	r.Body = io.NopCloser(bytes.NewReader(body))
	select {
	case <-time.After(d):
		return true
	case <-r.Context().Done():
		return false
	}
}

// e164 is Twilio's notion of a valid To number.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// authorized answers 401 to wrong credentials and 404 to another account,
// as Twilio does, and reports whether the request may go on.
func authorized(w http.ResponseWriter, r *http.Request, sid string) bool {
	user, pass, ok := r.BasicAuth()
	if !ok || user != SID || pass != Token {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return false
	}
	if sid != SID {
		writeError(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return false
	}
	return true
}

// account serves the account resource (GET /Accounts/{SID}.json), which
// a check reads to try the credentials without sending anything.
func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	sid, ok := strings.CutSuffix(r.PathValue("file"), ".json")
	if !ok {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if authorized(w, r, sid) {
		writeJSON(w, http.StatusOK, map[string]any{"sid": SID, "status": "active", "type": "Full"})
	}
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	if !authorized(w, r, r.PathValue("sid")) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "Invalid form: "+err.Error())
		return
	}
	m := Received{To: r.PostForm.Get("To"), From: r.PostForm.Get("From"), Body: r.PostForm.Get("Body")}
	if code, msg := validate(m); code != 0 {
		writeError(w, http.StatusBadRequest, code, msg)
		return
	}
	s.mu.Lock()
	s.messages = append(s.messages, m)
	sid := fmt.Sprintf("SM%032x", len(s.messages))
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"sid": sid, "account_sid": SID, "to": m.To, "from": m.From, "body": m.Body,
		"status": "queued", "num_segments": "1",
	})
}

// validate returns Twilio's error code and message for a bad request.
func validate(m Received) (int, string) {
	switch {
	case m.To == "":
		return 21604, "A 'To' phone number is required."
	case m.From == "":
		return 21603, "A 'From' phone number is required."
	case m.Body == "":
		return 21602, "Message body is required."
	case !e164.MatchString(m.To):
		return 21211, fmt.Sprintf("The 'To' number %s is not a valid phone number.", m.To)
	}
	return 0, ""
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{
		"code": code, "message": msg, "status": status,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
