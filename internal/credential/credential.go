// Package credential checks an email and password for every procedure that
// starts with them (sign-in, mobile reset): the attempt limits, the same
// work for an unknown email as for a wrong password, the frozen check after
// the right password, and the audit of each failure. It also issues and
// honours device tokens, which let the owner's own device keep trying after
// strangers spent the email's attempts. It sits below the procedures: none
// of them is needed to check a password.
package credential

import (
	"context"
	"errors"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/store"
)

// Limits on password attempts. They count every attempt, right or wrong,
// and are kept for addresses that have no account, so they say nothing
// about which accounts exist. The per-address limit is loose because many
// users share one address behind carrier NAT; the per-email limit is the
// tight one. Anyone can spend both, so a device that signed in to the
// account before is held to PerDevice instead (device.go).
var (
	PerIP    = ratelimit.Rule{Name: "signin_ip", Limit: 100, Window: 10 * time.Minute, Refusal: "too many sign-in attempts from your network"}
	PerEmail = ratelimit.Rule{Name: "signin_email", Limit: 10, Window: 15 * time.Minute, Refusal: "too many sign-in attempts for this email"}
)

// MaxChecked bounds the bytes of a password that is checked at all:
// longer cannot be right (password.MaxLength characters are at most four
// times as many bytes), and hashing megabytes of a request body would be
// work for nothing. Every surface gets this one rule by calling Check.
const MaxChecked = 1024

// Credentials are what a caller presents to start a sign-in or a reset.
type Credentials struct {
	Email    string
	Password string
	// Device is a device token from an earlier sign-in, if any.
	Device string
}

// Checker checks credentials.
type Checker struct {
	DB       *store.DB
	Clock    clock.Clock
	Accounts *account.Store
	Hasher   *password.Hasher
	Limiter  *ratelimit.Limiter
	Audit    *audit.Log
	// DeviceKeys sign device tokens (keys.DeviceToken): the current key
	// signs, any accepted key verifies.
	DeviceKeys keys.Set
	// OnFail, when set, is told the reason of every refused password
	// check: one of FailReasons.
	OnFail func(reason string)
}

// FailReasons are the reasons OnFail is told: a wrong password, an unknown
// email, a frozen account (after the right password), a limit, or the
// password workers too busy to check.
var FailReasons = []string{"wrong_password", "unknown_email", "frozen", "limited", "busy"}

func (c *Checker) fail(reason string) {
	if c.OnFail != nil {
		c.OnFail(reason)
	}
}

// wrong is the one answer to a wrong email and a wrong password.
func wrong() error {
	return apperr.New(apperr.InvalidCredentials, "the email or password is not right")
}

// Check checks an email and password. Attempts count against limits per
// client address and per email, whether or not the account exists, or,
// from a device that signed in to the account before, against that
// device's own limit. A wrong email and a wrong password give the same
// error after the same work: an unknown email is checked against a dummy
// hash. A frozen account is forbidden, after the right password only. A
// password longer than MaxChecked bytes is wrong before anything is
// counted or hashed.
func (c *Checker) Check(ctx context.Context, cr Credentials) (account.Account, error) {
	if len(cr.Password) > MaxChecked {
		return account.Account{}, wrong()
	}
	// Admitted or refused before the account lookup and the limits: shed
	// load costs no statement and waits for none, and no one's limit is
	// spent on a check never made.
	ticket, err := c.Hasher.Admit()
	if err != nil {
		c.fail("busy")
		return account.Account{}, apperr.Busy(password.RetryAfter, err)
	}
	defer ticket.Drop()
	ip := client.From(ctx).IP
	_, norm, _ := account.NormalizeEmail(cr.Email)
	if norm == "" {
		norm = cr.Email
	}
	a, err := c.Accounts.ByEmail(ctx, c.DB, cr.Email)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return account.Account{}, err
	}
	// taken are the counts this attempt spent, given back if it is shed or
	// its caller leaves before the check (keep: even then).
	var taken []func() error
	keep := context.WithoutCancel(ctx)
	if device := c.trustedDevice(cr.Device, a); device != "" {
		if err = c.Limiter.Take(ctx, c.DB, "device:"+device, PerDevice); err == nil {
			taken = append(taken, func() error { return c.Limiter.GiveBack(keep, c.DB, "device:"+device, PerDevice) })
		}
	} else if err = c.Limiter.Take(ctx, c.DB, "ip:"+ip, PerIP); err == nil {
		taken = append(taken, func() error { return c.Limiter.GiveBack(keep, c.DB, "ip:"+ip, PerIP) })
		if err = c.Limiter.Take(ctx, c.DB, "email:"+norm, PerEmail); err == nil {
			taken = append(taken, func() error { return c.Limiter.GiveBack(keep, c.DB, "email:"+norm, PerEmail) })
		}
	}
	if err != nil {
		if apperr.Is(err, apperr.RateLimited) {
			c.fail("limited")
		}
		return account.Account{}, c.Refused(ctx, "", cr.Email, err)
	}
	ok, err := c.Hasher.VerifyAdmitted(ctx, ticket, cr.Password, a.PasswordHash)
	if err != nil {
		if !errors.Is(err, context.Canceled) { // not busy: the caller left
			c.fail("busy")
		}
		// The password was never checked: the attempt is not counted, so
		// load shed in a rush cannot use up the owner's allowance.
		for _, give := range taken {
			if gerr := give(); gerr != nil {
				return account.Account{}, gerr
			}
		}
		return account.Account{}, apperr.Busy(password.RetryAfter, err)
	}
	if !ok {
		if a.ID == "" {
			c.fail("unknown_email")
		} else {
			c.fail("wrong_password")
		}
		c.failed(ctx, a.ID, cr.Email, "password")
		return account.Account{}, wrong()
	}
	if a.Frozen {
		c.fail("frozen")
		c.failed(ctx, a.ID, cr.Email, "frozen")
		return account.Account{}, apperr.New(apperr.Forbidden, "this account is frozen; contact support to unlock it")
	}
	return a, nil
}

// failed audits a refused password (reason "password") or a frozen account.
func (c *Checker) failed(ctx context.Context, accountID, email, reason string) {
	c.Audit.Write(ctx, c.DB, audit.Event{Actor: actorOf(accountID), AccountID: accountID, Action: audit.AuthnLoginFail,
		Result: audit.Failed, Detail: map[string]string{"reason": reason, "email": account.MaskEmail(email)}})
}

// Refused audits an attempt a limit refused, by the limit's name, and
// returns its error.
func (c *Checker) Refused(ctx context.Context, accountID, email string, err error) error {
	limit, _ := apperr.As(err).Fields["limit"].(string)
	detail := map[string]string{"limit": limit}
	if email != "" {
		detail["email"] = account.MaskEmail(email)
	}
	c.Audit.Write(ctx, c.DB, audit.Event{Actor: actorOf(accountID), AccountID: accountID, Action: audit.ExcessRateLimit,
		Result: audit.Refused, Detail: detail})
	return err
}

// actorOf is the audit actor of an attempt on accountID ("" when unknown).
func actorOf(accountID string) string {
	if accountID == "" {
		return audit.ActorAnonymous
	}
	return audit.ActorUser
}
