package mail

import (
	"context"
	"errors"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Connections are reused: dialing, STARTTLS and AUTH cost several round
// trips, more than the message itself. A connection is used by one Send at
// a time (go-mail's Client holds per-connection state), goes back to the
// idle list after a message (go-mail sends RSET after each), and is closed
// after maxConnMessages messages, after idling connIdle, or on any error.
const (
	maxIdleConns    = 16
	maxConnMessages = 100
	connIdle        = 30 * time.Second
)

type conn struct {
	client *gomail.Client
	sent   int
	used   time.Time
}

// send delivers msg on an idle connection or a new one. A reused
// connection the server has dropped fails go-mail's NOOP check before any
// command of the message is sent, so that one case is retried on a fresh
// connection.
func (s *Sender) send(ctx context.Context, msg *gomail.Msg) error {
	for {
		c, reused, err := s.get(ctx)
		if err != nil {
			return err
		}
		err = c.client.Send(msg)
		if err == nil {
			c.sent++
			s.put(c)
			return nil
		}
		c.client.Close()
		var se *gomail.SendError
		if reused && errors.As(err, &se) && se.Reason == gomail.ErrConnCheck {
			continue
		}
		return err
	}
}

func (s *Sender) get(ctx context.Context) (*conn, bool, error) {
	s.mu.Lock()
	for len(s.idle) > 0 {
		c := s.idle[len(s.idle)-1]
		s.idle = s.idle[:len(s.idle)-1]
		if time.Since(c.used) < connIdle {
			s.mu.Unlock()
			return c, true, nil
		}
		go c.client.Close()
	}
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, false, errors.New("mail: sender is closed")
	}
	client, err := s.client(ctx)
	if err != nil {
		return nil, false, err
	}
	if err := client.DialWithContext(ctx); err != nil {
		return nil, false, err
	}
	return &conn{client: client}, false, nil
}

func (s *Sender) put(c *conn) {
	c.used = time.Now()
	s.mu.Lock()
	if !s.closed && c.sent < maxConnMessages && len(s.idle) < maxIdleConns {
		s.idle = append(s.idle, c)
		c = nil
	}
	s.mu.Unlock()
	if c != nil {
		c.client.Close()
	}
}

// Close ends the idle connections with QUIT; a Send after Close fails.
// The outbox worker calls it when it stops.
func (s *Sender) Close() error {
	s.mu.Lock()
	idle := s.idle
	s.idle, s.closed = nil, true
	s.mu.Unlock()
	var errs []error
	for _, c := range idle {
		errs = append(errs, c.client.Close())
	}
	return errors.Join(errs...)
}
