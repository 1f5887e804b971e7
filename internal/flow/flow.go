// Package flow persists multi-step procedures (sign-in, mobile reset, mobile
// change, password reset) as server-side state machines. A Machine is plain
// data: its states, the events that move between them, and whether an
// account may have only one open flow of its kind. Fire moves a flow with
// one conditional statement, so a step that the state does not allow, or a
// step raced by another request, changes nothing.
package flow

import (
	"time"
)

// Kind names a procedure.
type Kind string

// The kinds of flow.
const (
	Login         Kind = "login"
	MobileReset   Kind = "mobile_reset"
	MobileChange  Kind = "mobile_change"
	MobileBind    Kind = "mobile_bind"
	PasswordReset Kind = "password_reset"
)

// State is where a flow stands.
type State string

// States every machine shares.
const (
	Cancelled State = "cancelled"
	Completed State = "completed"
	// Rejected ends a flow that staff turned down.
	Rejected State = "rejected"
	// Expired is never stored: a flow past its lifetime reads as expired.
	Expired State = "expired"
)

// Event is a step that moves a flow.
type Event string

// Cancel is an event every machine accepts from any open state.
const Cancel Event = "cancel"

// Transition moves a flow from any of From to To.
type Transition struct {
	From []State
	To   State
}

// Machine describes one kind of flow.
type Machine struct {
	Kind        Kind
	Initial     State
	Lifetime    time.Duration
	Transitions map[Event]Transition
	// Terminal states end the flow: no event leaves them.
	Terminal []State
	// Exclusive means an account has at most one open flow of this kind;
	// creating one cancels the one before.
	Exclusive bool
}

// IsTerminal reports whether s ends the flow.
func (m *Machine) IsTerminal(s State) bool {
	if s == Cancelled || s == Expired {
		return true
	}
	for _, t := range m.Terminal {
		if t == s {
			return true
		}
	}
	return false
}

// OpenStates returns the states a flow can be in while open.
func (m *Machine) OpenStates() []State {
	seen := map[State]bool{m.Initial: true}
	open := []State{m.Initial}
	for _, t := range m.Transitions {
		for _, s := range append(append([]State(nil), t.From...), t.To) {
			if !seen[s] && !m.IsTerminal(s) {
				seen[s] = true
				open = append(open, s)
			}
		}
	}
	return open
}

// next returns where event leads and the states it may start from.
func (m *Machine) next(e Event) (Transition, bool) {
	if e == Cancel {
		return Transition{From: m.OpenStates(), To: Cancelled}, true
	}
	t, ok := m.Transitions[e]
	return t, ok
}

// Flow is one stored run of a machine.
type Flow struct {
	ID        string
	Kind      Kind
	AccountID string
	State     State
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
	IP        string
	Data      map[string]string
}

// Open reports whether the flow can still move at time now.
func (f Flow) Open(m *Machine, now time.Time) bool {
	return !m.IsTerminal(f.State) && now.Before(f.ExpiresAt)
}

// Shown is the state to show a caller: Expired for an open flow past its
// lifetime.
func (f Flow) Shown(m *Machine, now time.Time) State {
	if !m.IsTerminal(f.State) && !now.Before(f.ExpiresAt) {
		return Expired
	}
	return f.State
}
