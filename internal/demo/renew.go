package demo

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/password"
)

// Renewed says what a renewal did.
type Renewed struct {
	Email           string
	FlowsCancelled  int64
	Unfrozen        bool
	CountersCleared int64
	// MobileRestored reports whether the demo number was bound again (a
	// reset or a change had removed or replaced it).
	MobileRestored bool
}

// Renew puts named demo account id back as it was printed at start, so a
// tester can try its flows again: its security-question chances return,
// its open flows are cancelled, a freeze is lifted, the demo password and
// (if it has one) the demo number are set again, and every rate counter
// of the dev server is cleared (they count per address, email and number
// and in total, all of them the tester's). Its history, holds and audit
// trail stay. Any other account is not_found; outside dev mode Renew
// refuses.
func (d *Desk) Renew(ctx context.Context, id string) (Renewed, error) {
	if err := d.refuse(); err != nil {
		return Renewed{}, err
	}
	a, err := d.Accounts.ByID(ctx, d.DB, id)
	if err != nil {
		return Renewed{}, err
	}
	k := namedIndex(a.Email)
	if k < 0 {
		return Renewed{}, apperr.New(apperr.NotFound, "no such demo account: only the accounts printed at start can be renewed")
	}
	n := named[k]
	hash, err := d.Hasher.Hash(ctx, n.password)
	if err != nil {
		return Renewed{}, apperr.Busy(password.RetryAfter, err)
	}
	out := Renewed{Email: a.Email}
	err = d.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := d.Quiz.Renew(ctx, tx, a.ID); err != nil {
			return err
		}
		if out.FlowsCancelled, err = d.Flows.CancelAllOpen(ctx, tx, a.ID, ""); err != nil {
			return err
		}
		if out.Unfrozen, err = d.Accounts.SetFrozen(ctx, tx, a.ID, false); err != nil {
			return err
		}
		if err := d.Accounts.SetPasswordHash(ctx, tx, a.ID, hash); err != nil {
			return err
		}
		if n.mobile != "" && (a.Mobile != n.mobile || !a.MobileVerification) {
			if _, err := d.Accounts.BindMobile(ctx, tx, a.ID, n.mobile, "demo_renewed", client.From(ctx).IP, ""); err != nil {
				if apperr.Is(err, apperr.MobileUnavailable) {
					return apperr.New(apperr.Conflict, "the demo number "+n.mobile+" is bound to another account now, so it cannot be put back")
				}
				return err
			}
			out.MobileRestored = true
		}
		if out.CountersCleared, err = d.Limiter.Clear(ctx, tx); err != nil {
			return err
		}
		return d.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorDev, AccountID: a.ID, Action: audit.DemoAccountRenewed,
			Result: audit.OK, Detail: map[string]string{
				"flows_cancelled":  strconv.FormatInt(out.FlowsCancelled, 10),
				"unfrozen":         strconv.FormatBool(out.Unfrozen),
				"mobile_restored":  strconv.FormatBool(out.MobileRestored),
				"counters_cleared": strconv.FormatInt(out.CountersCleared, 10)}})
	})
	if err != nil {
		return Renewed{}, err
	}
	return out, nil
}

// namedIndex returns the index of the named account with this email, or -1.
func namedIndex(email string) int {
	for k, n := range named {
		if n.local+"@"+Domain == email {
			return k
		}
	}
	return -1
}
