package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/store"
)

// CodeMessage is a verification code to deliver.
type CodeMessage struct {
	Channel outbox.Channel
	To      string
	// Action says what the code is for, in words that finish "to …":
	// "sign in", "reset your mobile verification".
	Action    string
	Code      string
	ExpiresAt time.Time
	Now       time.Time
	// Decoy renders and writes the message like any other, as a row that
	// is never delivered (outbox.Queue.Decoy): for an address without an
	// account, which must cost what an address with one costs.
	Decoy bool
}

// Code queues a verification code. The message expires with the code: if
// the provider is down until then, it is not delivered late.
func (n *Notifier) Code(ctx context.Context, q store.Querier, m CodeMessage) error {
	if len(m.Code) != 6 {
		return fmt.Errorf("notify: code must be 6 digits")
	}
	data := map[string]any{
		"Code":    m.Code,
		"Action":  m.Action,
		"Minutes": int(m.ExpiresAt.Sub(m.Now).Round(time.Minute) / time.Minute),
	}
	if !m.Decoy {
		return n.send(ctx, q, m.Channel, m.To, "code", data, m.ExpiresAt)
	}
	msg, err := n.render(m.Channel, "code", data)
	if err != nil {
		return err
	}
	msg.To = m.To
	return n.queue.Decoy(ctx, q, msg, "code", m.ExpiresAt)
}
