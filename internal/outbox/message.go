package outbox

import (
	"context"
	"errors"
)

// Channel is how a message travels.
type Channel string

// The channels.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Message is one rendered message ready for a Sender.
type Message struct {
	// ID is the outbox row's id; senders pass it on as an idempotency key
	// where the provider supports one.
	ID      string
	Channel Channel
	// To is an email address for Email and an E.164 number for SMS.
	To string
	// Subject is used by Email only.
	Subject string
	// Body is plain text.
	Body string
}

// Sender delivers messages of one channel. It returns the provider's id of
// the message when the provider gives one.
type Sender interface {
	Send(ctx context.Context, m Message) (providerID string, err error)
}

// permanentError marks a failure that will not go away on retry.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err to say the provider refused the message for good (an
// invalid address, a rejected recipient): the worker marks it failed instead
// of retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was wrapped by Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// ConfigFault is a failure only a change of our configuration ends: the
// provider's certificate is not trusted, our client certificate or our
// credentials are refused. The worker keeps retrying such a message (a
// fixed configuration delivers it) but counts the attempt as
// "config_fault" and logs the fault once, with the setting to fix, instead
// of once per message.
type ConfigFault struct {
	// Problem says what is wrong ("SMTP server certificate is not
	// trusted"); the worker's log line is keyed on it.
	Problem string
	// Fix names the setting to change ("set REBIND_SMTP_CA_FILE to …").
	Fix string
	Err error
}

func (e *ConfigFault) Error() string { return e.Problem + ": " + e.Fix + " (" + e.Err.Error() + ")" }
func (e *ConfigFault) Unwrap() error { return e.Err }
