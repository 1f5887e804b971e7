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
