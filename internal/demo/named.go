package demo

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/phone"
	"github.com/rebindhq/rebind/internal/store"
)

// Named is a fixed demo account that dev mode creates for testers.
type Named struct {
	Generated
	Case string // what a tester uses it for
}

// namedSeed fixes the history of the named accounts: the same every start.
const namedSeed = 0x7265_6269_6e64

// named lists the cases a tester needs. The mobiles lie outside every bulk
// range, so bulk accounts never take them. Passwords are long, memorable,
// not in the common-password list and free of the email's local part, so
// they pass the same check a user's password does.
var named = []struct {
	local, password, mobile, note string
	traits                        traits
}{
	{"alice", "harbor-lantern-17", "+6591234567",
		"KYC, mobile bound, rich history: security questions, or documents with a selfie",
		traits{kyc: true, mobile: true, transfers: true, home: "SG", ageDays: 1100,
			min:        floors{deposits: 12, addresses: 3, markets: 6, assets: 4, logins: 40},
			orderTypes: []string{"stop_limit", "oco", "trailing_stop", "post_only"},
			products:   []string{"convert", "earn_flexible", "futures_usdt", "grid_bot", "price_alert", "dust_convert", "launchpool"}}},
	{"bob", "copper-meadow-29", "",
		"KYC, no mobile bound: signs in with an email code; bind a mobile",
		traits{kyc: true, transfers: true, home: "IN", ageDays: 540,
			min:        floors{deposits: 4, addresses: 1, markets: 2, assets: 2, logins: 12},
			orderTypes: []string{"stop_limit"}, products: []string{"p2p", "convert"}}},
	{"carol", "violet-summit-83", "+447400123456",
		"not KYC, with deposits and withdrawals: security questions, or documents with email and transaction screenshots",
		traits{mobile: true, transfers: true, home: "GB", ageDays: 240,
			min:        floors{deposits: 5, addresses: 2, markets: 2, assets: 2, logins: 15},
			orderTypes: []string{}, products: []string{"earn_flexible", "dust_convert"}}},
	{"dave", "quiet-orchard-64", "+4917612345678",
		"not KYC, never deposited or withdrew (trades only): security questions, or documents with signup and login email screenshots",
		traits{mobile: true, home: "DE", ageDays: 95, min: floors{logins: 8},
			orderTypes: []string{}, products: []string{"demo_trading"}}},
}

// NamedAccounts returns the named demo accounts with histories that end at
// now. They are the same on every call but for the times, which move with
// now.
func NamedAccounts(now time.Time) []Named {
	p := DefaultPopulation()
	out := make([]Named, len(named))
	for k, n := range named {
		g, _ := p.generate(RNG(namedSeed, k), now, n.traits)
		g.Email, g.Password, g.Mobile = n.local+"@"+Domain, n.password, n.mobile
		out[k] = Named{Generated: g, Case: n.note}
	}
	return out
}

// Seeded is a named account as stored. An account that was already there
// keeps the history it was created with; Named is what would be created now.
type Seeded struct {
	Named
	ID      string
	Created bool // false when it was already there
}

// SeedNamed creates the named accounts that do not exist yet (looked up by
// email), through the same account store the admin API uses, and returns
// all of them. It is safe to call at every start, and by several instances
// at once: one that loses the race finds the winner's account.
func SeedNamed(ctx context.Context, db *store.DB, h *password.Hasher, now time.Time) ([]Seeded, error) {
	st := account.NewStore(fixedClock(now))
	var out []Seeded
	for _, n := range NamedAccounts(now) {
		s, err := seedNamed(ctx, db, st, h, n, now)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func seedNamed(ctx context.Context, db *store.DB, st *account.Store, h *password.Hasher, n Named, now time.Time) (Seeded, error) {
	if a, err := st.ByEmail(ctx, db, n.Email); err == nil {
		return Seeded{Named: n, ID: a.ID}, nil
	} else if !apperr.Is(err, apperr.NotFound) {
		return Seeded{}, fmt.Errorf("demo: look up %s: %w", n.Email, err)
	}
	hash, err := h.Hash(ctx, n.Password)
	if err != nil {
		return Seeded{}, fmt.Errorf("demo: hash the password of %s: %w", n.Email, err)
	}
	var id string
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		a, err := st.Create(ctx, tx, account.New{Email: n.Email, PasswordHash: hash, Mobile: n.Mobile,
			KYC: n.KYC, RegisteredAt: n.RegisteredAt, MobileVerification: n.Mobile != ""})
		if err != nil {
			return err
		}
		id = a.ID
		_, err = st.AddActivity(ctx, tx, id, n.Activity)
		return err
	})
	if apperr.Is(err, apperr.Conflict) {
		a, lookupErr := st.ByEmail(ctx, db, n.Email)
		if lookupErr == nil {
			return Seeded{Named: n, ID: a.ID}, nil
		}
	}
	if err != nil {
		return Seeded{}, fmt.Errorf("demo: create %s: %w", n.Email, err)
	}
	return Seeded{Named: n, ID: id, Created: true}, nil
}

// fixedClock stamps the named accounts' rows with the time they are seeded
// for.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c).UTC() }

// PrintSignIn writes how to sign in to the named accounts, for dev mode to
// print at start.
func PrintSignIn(w io.Writer, accounts []Seeded) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "Demo accounts (in dev mode, codes arrive in the outbox at /dev/outbox):")
	for _, s := range accounts {
		factor := "email code"
		if s.Mobile != "" {
			n, _ := phone.ParseE164(s.Mobile)
			factor = "SMS to " + n.Masked()
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", s.Email, s.Password, factor, s.Case)
	}
	return tw.Flush()
}
