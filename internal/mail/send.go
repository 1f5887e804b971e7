package mail

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/rebindhq/rebind/internal/outbox"
)

var _ outbox.Sender = (*Sender)(nil)

// Send delivers m as one text/plain UTF-8 email and returns its Message-ID.
// A message the server refused for good (5xx to RCPT or DATA) and a message
// that cannot be composed are outbox.Permanent; everything else, such as an
// unreachable server or a 4xx reply, is worth retrying.
func (s *Sender) Send(ctx context.Context, m outbox.Message) (string, error) {
	msg, msgID, err := s.compose(m)
	if err != nil {
		return "", outbox.Permanent(err)
	}
	if err := s.send(ctx, msg); err != nil {
		err = s.redact(fmt.Errorf("mail: %w", err))
		// Before refusedForGood: a relay may ask for authentication (530)
		// at RCPT, and that is our configuration, not the recipient.
		if fault := configFault(err); fault != err {
			return "", fault
		}
		if refusedForGood(err) {
			return "", outbox.Permanent(err)
		}
		return "", err
	}
	return msgID, nil
}

// Check does what a send does before the message, and stops: it connects,
// says EHLO, STARTTLS (smtp://) and AUTH, then QUIT. Nothing is sent. A
// fault of our configuration is an *outbox.ConfigFault.
func (s *Sender) Check(ctx context.Context) error {
	client, err := s.client(ctx)
	if err == nil {
		if err = client.DialWithContext(ctx); err == nil {
			err = client.Close()
		}
	}
	if err != nil {
		return configFault(s.redact(fmt.Errorf("mail: %w", err)))
	}
	return nil
}

// compose builds the message. Headers are set only from checked values:
// go-mail encodes a subject with a line break and sends it, but a line break
// there is a bug upstream and must not reach anyone.
func (s *Sender) compose(m outbox.Message) (*gomail.Msg, string, error) {
	if m.Channel != outbox.Email {
		return nil, "", fmt.Errorf("mail: cannot send a %q message", m.Channel)
	}
	if hasControl(m.To) || hasControl(m.Subject) {
		return nil, "", errors.New("mail: control character in recipient or subject")
	}
	to, err := netmail.ParseAddress(m.To)
	if err != nil {
		return nil, "", fmt.Errorf("mail: recipient %q: %w", m.To, err)
	}
	msgID, err := s.messageID(m.ID)
	if err != nil {
		return nil, "", err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent(),
		gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP))
	msg.FromMailAddress(s.from)
	msg.ToMailAddress(to)
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetGenHeader(gomail.HeaderMessageID, msgID)
	// RFC 3834: tells vacation responders and ticket systems not to answer.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	return msg, msgID, nil
}

// messageID derives the Message-ID from the outbox id, so a retried message
// carries the same id and receiving servers can recognise a duplicate.
func (s *Sender) messageID(id string) (string, error) {
	if id == "" {
		id = rand.Text()
	}
	for _, r := range id {
		if !isAtext(r) && r != '.' {
			return "", fmt.Errorf("mail: message id %q is not usable in a Message-ID", id)
		}
	}
	return "<" + id + "@" + s.domain + ">", nil
}

// isAtext reports whether r may appear in the left part of a Message-ID
// (RFC 5322 atext).
func isAtext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

func hasControl(v string) bool {
	return strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f })
}

// client is built per connection: go-mail's Client keeps per-connection
// state, so sharing one across concurrent sends would race.
func (s *Sender) client(ctx context.Context) (*gomail.Client, error) {
	timeout, err := s.timeout(ctx)
	if err != nil {
		return nil, err
	}
	policy := gomail.TLSOpportunistic
	if s.cfg.requireTLS {
		policy = gomail.TLSMandatory
	}
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(s.tlsConfig()),
		gomail.WithTLSPolicy(policy),
	}
	if s.cfg.helo != "" {
		opts = append(opts, gomail.WithHELO(s.cfg.helo))
	}
	if s.implicit {
		opts = append(opts, gomail.WithSSL())
	}
	if s.user != "" {
		// go-mail refuses PLAIN and LOGIN over an unencrypted connection
		// (except to localhost), so the password never travels in clear.
		opts = append(opts, gomail.WithUsername(s.user), gomail.WithPassword(s.pass),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
	}
	client, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("configuring client: %w", err)
	}
	return client, nil
}

// timeout is the dial timeout, shortened to what is left of ctx: go-mail
// uses ctx only to dial, not for the SMTP commands that follow.
func (s *Sender) timeout(ctx context.Context) (time.Duration, error) {
	d := s.cfg.dialTimeout
	if dl, ok := ctx.Deadline(); ok {
		d = min(d, time.Until(dl))
	}
	if d <= 0 {
		return 0, context.DeadlineExceeded
	}
	return d, nil
}

// refusedForGood reports whether the server answered RCPT or DATA with a 5xx
// reply: the recipient or the content was refused, and resending the same
// message will not change that. A 5xx to MAIL FROM or AUTH is left
// retryable: it points at our configuration, not at this message.
func refusedForGood(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		return se.ErrorCode() >= 500 && se.ErrorCode() < 600
	}
	return false
}

// redactedError hides the SMTP password from the text of an error while
// keeping the chain for errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact keeps the password out of logs even if a server or library echoes
// it back.
func (s *Sender) redact(err error) error {
	if s.pass == "" || !strings.Contains(err.Error(), s.pass) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), s.pass, "[redacted]"), err: err}
}
