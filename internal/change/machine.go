// Package change runs "change mobile number" and "bind mobile number" for
// a signed-in user (SPEC §3.3): prove the account (an email code, plus an
// SMS code to the current number when one is bound), give the new number,
// pass the slider captcha, prove the new number with an SMS code. On
// success the number is bound, withdrawals are held, other sessions end and
// the owner is told, in one transaction.
package change

import (
	"time"

	"github.com/rebindhq/rebind/internal/flow"
)

// States of a change or bind (SPEC §5).
const (
	VerifyCurrent flow.State = "verify_current" // change: email and SMS codes
	VerifyEmail   flow.State = "verify_email"   // bind: email code
	NewNumber     flow.State = "new_number"
	ConfirmNew    flow.State = "confirm_new"
)

// Events.
const (
	Verified flow.Event = "verified"
	SendNew  flow.Event = "send_new"
	Confirm  flow.Event = "confirm"
)

// Lifetime is the online part of both flows.
const Lifetime = 30 * time.Minute

func machine(kind flow.Kind, first flow.State) *flow.Machine {
	return &flow.Machine{
		Kind:     kind,
		Initial:  first,
		Lifetime: Lifetime,
		Transitions: map[flow.Event]flow.Transition{
			Verified: {From: []flow.State{first}, To: NewNumber},
			// A new number can be given again (a typo, a code that did not
			// arrive), each time with a new captcha.
			SendNew: {From: []flow.State{NewNumber, ConfirmNew}, To: ConfirmNew},
			Confirm: {From: []flow.State{ConfirmNew}, To: flow.Completed},
		},
		Terminal:  []flow.State{flow.Completed},
		Exclusive: true,
	}
}

// The machines:
//
//	change: verify_current --verified--> new_number --send_new--> confirm_new --confirm--> completed
//	bind:   verify_email   --verified--> new_number --send_new--> confirm_new --confirm--> completed
var (
	ChangeMachine = machine(flow.MobileChange, VerifyCurrent)
	BindMachine   = machine(flow.MobileBind, VerifyEmail)
)
