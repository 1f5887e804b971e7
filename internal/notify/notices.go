package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/store"
)

// Event names a security event the owner is told about. Each has an email
// template, an SMS template, or both, in templates/<event>.email.txt and
// templates/<event>.sms.txt.
type Event string

// The events.
const (
	ResetRequested  Event = "reset_requested"
	ResetDone       Event = "reset_done"
	QuizFailed      Event = "quiz_failed"
	PasswordChanged Event = "password_changed"
	AccountFrozen   Event = "account_frozen"
	MobileChanged   Event = "mobile_changed"
	MobileBound     Event = "mobile_bound"
	// The events of a document application.
	ApplicationSubmitted Event = "application_submitted"
	ApplicationRejected  Event = "application_rejected"
	ApplicationExpired   Event = "application_expired"
)

// Notice is a security event to tell the owner about.
type Notice struct {
	Event Event
	// StopLink is the "This wasn't me" link; every notice of an event the
	// owner did not start carries one.
	StopLink string
	At       time.Time
	IP       string
	// HoldUntil is the end of the withdrawal hold the event started, if any.
	HoldUntil time.Time
	// ChancesLeft is the quiz chances left, for QuizFailed.
	ChancesLeft int
	// Mobile is the new number, masked, for MobileChanged and MobileBound.
	Mobile string
	// Application is set for the events of a document application.
	Application ApplicationNotice
}

// ApplicationNotice describes a document application in a notice.
type ApplicationNotice struct {
	StatusLink string
	Reference  string
	ReviewTime string // "within 72 hours"
	Deadline   time.Time
	Reason     string // a rejection's reason, in words
	Note       string // the reviewer's words to the user, if any
}

// Notify queues n by email to email and by SMS to mobile, where the event
// has a template for the channel and the address is not empty. Notices are
// never blocked by the code send limits and never expire.
func (n *Notifier) Notify(ctx context.Context, q store.Querier, email, mobile string, notice Notice) error {
	data := func() map[string]any {
		return map[string]any{"Link": notice.StopLink, "At": notice.At, "IP": notice.IP,
			"HoldUntil": notice.HoldUntil, "ChancesLeft": notice.ChancesLeft, "Mobile": notice.Mobile,
			"Application": notice.Application}
	}
	sent := false
	for _, c := range []struct {
		ch outbox.Channel
		to string
	}{{outbox.Email, email}, {outbox.SMS, mobile}} {
		if c.to == "" || !n.has(c.ch, string(notice.Event)) {
			continue
		}
		if err := n.send(ctx, q, c.ch, c.to, string(notice.Event), data(), time.Time{}); err != nil {
			return err
		}
		sent = true
	}
	if !sent {
		return fmt.Errorf("notify: %s went nowhere", notice.Event)
	}
	return nil
}

func (n *Notifier) has(ch outbox.Channel, name string) bool {
	if ch == outbox.Email {
		return n.email.Lookup(name+".email.txt") != nil
	}
	return n.sms.Lookup(name+".sms.txt") != nil
}
