// Package admin is what the exchange and its staff do to accounts: create
// one, push its activity in, lift a freeze. The admin API calls it today
// and the staff console will; each call owns its rules, its transaction
// and its audit event, so the two surfaces share one implementation and
// one audit trail and differ only in the Actor they pass. Reads (an
// account, its withdrawal eligibility, its trail) write nothing and stay
// store calls in the surfaces.
package admin

import (
	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/store"
)

// Service changes accounts on behalf of an Actor.
type Service struct {
	DB       *store.DB
	Clock    clock.Clock
	Accounts *account.Store
	Hasher   *password.Hasher
	Audit    *audit.Log
}

// Actor is who asks for a change; every event the service writes names it.
type Actor struct {
	// Kind is the event's actor: audit.ActorAdmin for the admin API.
	Kind string
	// Staff is the staff member who acted, recorded in the event's detail
	// as "staff" (SEC-AUD-6). The admin API has none: its callers are the
	// exchange's services, which share one token.
	Staff string
}

// API is the admin API's actor.
var API = Actor{Kind: audit.ActorAdmin}

// event is a successful action of the actor on an account.
func (a Actor) event(accountID string, action audit.Action, detail map[string]string) audit.Event {
	if a.Staff != "" {
		if detail == nil {
			detail = map[string]string{}
		}
		detail["staff"] = a.Staff
	}
	return audit.Event{Actor: a.Kind, AccountID: accountID, Action: action, Result: audit.OK, Detail: detail}
}
