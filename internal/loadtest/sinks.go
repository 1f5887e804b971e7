package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	netmail "net/mail"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Arrival is a code that reached a sink.
type Arrival struct {
	Code string
	At   time.Time
}

// Inbox routes the codes that arrive at the sinks by recipient: a channel
// per email address or number, so the worker holding that account waits on
// its own channel instead of polling.
type Inbox struct {
	mu    sync.Mutex
	boxes map[string]chan Arrival
	// received counts messages by channel and recipient; emailIDs counts
	// emails by Message-ID.
	received map[[2]string]int
	emailIDs map[string]int

	// Codes counts the codes that arrived, Notices the messages without
	// one (security notices), Dropped the codes for which no one waited
	// and whose channel was full.
	Codes, Notices, Dropped atomic.Int64
}

// NewInbox returns an empty inbox.
func NewInbox() *Inbox {
	return &Inbox{boxes: map[string]chan Arrival{}, received: map[[2]string]int{}, emailIDs: map[string]int{}}
}

// Received counts the messages that reached the sinks for each recipient
// (in lower case) of a channel, "email" or "sms": codes and notices alike,
// a message sent twice twice.
func (in *Inbox) Received(channel string) map[string]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := map[string]int{}
	for k, n := range in.received {
		if k[0] == channel {
			out[k[1]] = n
		}
	}
	return out
}

// Repeated returns the Message-IDs of the emails that reached the SMTP
// sink more than once, with how many times (the outbox derives an email's
// Message-ID from its message, so a message sent twice shows here).
func (in *Inbox) Repeated() map[string]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := map[string]int{}
	for id, n := range in.emailIDs {
		if n > 1 {
			out[id] = n
		}
	}
	return out
}

// count notes one message to "to" on channel, and its Message-ID for an
// email that has one.
func (in *Inbox) count(channel, to, id string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.received[[2]string{channel, strings.ToLower(to)}]++
	if id != "" {
		in.emailIDs[id]++
	}
}

func (in *Inbox) box(to string) chan Arrival {
	to = strings.ToLower(to)
	in.mu.Lock()
	defer in.mu.Unlock()
	b := in.boxes[to]
	if b == nil {
		b = make(chan Arrival, 16)
		in.boxes[to] = b
	}
	return b
}

// deliver routes one message; code is empty for a notice.
func (in *Inbox) deliver(to, code string) {
	if code == "" {
		in.Notices.Add(1)
		return
	}
	in.Codes.Add(1)
	select {
	case in.box(to) <- Arrival{Code: code, At: time.Now()}:
	default:
		in.Dropped.Add(1)
	}
}

// ErrNoCode is a code that did not arrive in time.
var ErrNoCode = errors.New("code_timeout")

// Wait returns the first code to "to" that arrived after since, dropping
// older ones (of a flow that failed before it read its code).
func (in *Inbox) Wait(ctx context.Context, to string, since time.Time, timeout time.Duration) (Arrival, error) {
	b := in.box(to)
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case a := <-b:
			if a.At.Before(since) {
				continue
			}
			return a, nil
		case <-t.C:
			return Arrival{}, ErrNoCode
		case <-ctx.Done():
			return Arrival{}, ctx.Err()
		}
	}
}

var (
	emailCode = regexp.MustCompile(`^(\d{6}) is your `)
	smsCode   = regexp.MustCompile(`#(\d{6})\s*$`)
)

// SMTPSink is an SMTP server on 127.0.0.1 that accepts every message (with
// or without authentication) and hands the codes to an Inbox.
type SMTPSink struct {
	srv *smtp.Server
	l   net.Listener
}

// StartSMTP listens on addr ("127.0.0.1:0" for any port).
func StartSMTP(addr string, in *Inbox) (*SMTPSink, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("loadtest: smtp sink: %w", err)
	}
	srv := smtp.NewServer(smtpBackend{in})
	srv.Domain = "loadtest.invalid"
	srv.AllowInsecureAuth = true // 127.0.0.1 only
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go srv.Serve(l)
	return &SMTPSink{srv: srv, l: l}, nil
}

// URL is the REBIND_SMTP_URL that points a server at the sink.
func (s *SMTPSink) URL() string { return "smtp://loadtest:loadtest@" + s.l.Addr().String() }

// Close stops the sink.
func (s *SMTPSink) Close() error { return s.srv.Close() }

type smtpBackend struct{ in *Inbox }

func (b smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{in: b.in}, nil }

type smtpSession struct {
	in *Inbox
	to []string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(string, string, string) error { return nil }), nil
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	msg, err := netmail.ReadMessage(r)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, msg.Body)
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	code := ""
	if m := emailCode.FindStringSubmatch(subject); m != nil {
		code = m[1]
	}
	id := msg.Header.Get("Message-Id")
	for i, to := range s.to {
		if i > 0 {
			id = "" // one message to several recipients is one Message-ID
		}
		s.in.count("email", to, id)
		s.in.deliver(to, code)
	}
	return nil
}

func (s *smtpSession) Reset()        { s.to = nil }
func (s *smtpSession) Logout() error { return nil }

// SMSSink is a Twilio-compatible Messages API on 127.0.0.1, as
// internal/sms sends to: a form POST to
// /2010-04-01/Accounts/{sid}/Messages.json with To, From and Body, answered
// 201 with the message's JSON.
type SMSSink struct {
	srv *http.Server
	l   net.Listener
	n   atomic.Int64
}

// The account SID and token of the sink's URL (any are accepted).
const (
	smsSID   = "ACloadtest00000000000000000000000"
	smsToken = "loadtest"
)

// StartSMS listens on addr.
func StartSMS(addr string, in *Inbox) (*SMSSink, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("loadtest: sms sink: %w", err)
	}
	s := &SMSSink{l: l}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{sid}/Messages.json", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil || r.PostForm.Get("To") == "" || r.PostForm.Get("Body") == "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"code": 21602, "message": "To and Body are required", "status": 400})
			return
		}
		to, body := r.PostForm.Get("To"), r.PostForm.Get("Body")
		code := ""
		if m := smsCode.FindStringSubmatch(body); m != nil {
			code = m[1]
		}
		in.count("sms", to, "")
		in.deliver(to, code)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"sid": fmt.Sprintf("SM%032x", s.n.Add(1)), "account_sid": r.PathValue("sid"),
			"to": to, "from": r.PostForm.Get("From"), "body": body, "status": "queued", "num_segments": "1"})
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(l)
	return s, nil
}

// URL is the REBIND_SMS_URL that points a server at the sink.
func (s *SMSSink) URL() string {
	return "http://" + smsSID + ":" + smsToken + "@" + s.l.Addr().String()
}

// Close stops the sink.
func (s *SMSSink) Close() error { return s.srv.Close() }

// Sinks are the two sinks that read codes into one Inbox.
type Sinks struct {
	SMTP *SMTPSink
	SMS  *SMSSink
}

// StartSinks starts the SMTP sink on smtpAddr and the SMS sink on smsAddr
// ("127.0.0.1:0" for any port), both delivering to in.
func StartSinks(smtpAddr, smsAddr string, in *Inbox) (*Sinks, error) {
	m, err := StartSMTP(smtpAddr, in)
	if err != nil {
		return nil, err
	}
	t, err := StartSMS(smsAddr, in)
	if err != nil {
		m.Close()
		return nil, err
	}
	return &Sinks{SMTP: m, SMS: t}, nil
}

// Close stops both sinks.
func (s *Sinks) Close() error { return errors.Join(s.SMTP.Close(), s.SMS.Close()) }
