package mailtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

type backend struct{ s *Server }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	b.s.connected()
	b.s.greeted(c.Hostname()) // go-smtp makes a session at each EHLO or HELO
	return &session{s: b.s, tls: isTLS, helo: c.Hostname()}, nil
}

// session is one SMTP conversation; go-smtp calls it from one goroutine.
type session struct {
	s    *Server
	tls  bool
	helo string
	user string
	from string
	to   []string
	busy bool // counted in Server.active
}

func (ss *session) idle() {
	if ss.busy {
		ss.busy = false
		ss.s.transfer(-1)
	}
}

var (
	errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0},
		Message: "Authentication required"}
	errAuthFailed = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8},
		Message: "Authentication credentials invalid"}
)

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != User || password != Password {
			return errAuthFailed
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.user == "" {
		return errAuthRequired
	}
	ss.from = from
	if !ss.busy {
		ss.busy = true
		ss.s.transfer(1)
	}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if code := ss.s.failing(); code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet,
			Message: fmt.Sprintf("mailtest refuses <%s>", to)}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	defer ss.idle()
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	got, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
			Message: "mailtest cannot parse the message: " + err.Error()}
	}
	got.From, got.To, got.User, got.TLS, got.HELO = ss.from, ss.to, ss.user, ss.tls, ss.helo
	ss.s.record(got)
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil; ss.idle() }

func (ss *session) Logout() error { ss.idle(); return nil }

// parse decodes the headers and the single text part that mail.Sender
// writes; line endings in Body are \n.
func parse(raw []byte) (Received, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Received{}, err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Received{}, fmt.Errorf("subject: %w", err)
	}
	body := msg.Body
	switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return Received{}, fmt.Errorf("body: %w", err)
	}
	return Received{
		Subject: subject,
		Body:    strings.ReplaceAll(string(text), "\r\n", "\n"),
		Header:  msg.Header,
		Raw:     raw,
	}, nil
}
