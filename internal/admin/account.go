package admin

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/phone"
)

// NewAccount is an account to create, as the caller gives it.
type NewAccount struct {
	Email    string
	Password string
	// Mobile is a number in E.164, or empty for none; a number given
	// turns mobile verification on.
	Mobile string
	KYC    bool
	// RegisteredAt is when the exchange registered the account; nil
	// means now.
	RegisteredAt *time.Time
}

// CreateAccount checks n, stores the account and records account_created.
// A taken email or mobile is conflict.
func (s *Service) CreateAccount(ctx context.Context, by Actor, n NewAccount) (account.Account, error) {
	if _, _, err := account.NormalizeEmail(n.Email); err != nil {
		return account.Account{}, err
	}
	// The exchange owns its sign-up policy; rebind only bounds the length.
	if l := len([]rune(n.Password)); l < password.MinLength || l > password.MaxLength {
		return account.Account{}, apperr.New(apperr.InvalidRequest, "password must be 8 to 128 characters")
	}
	add := account.New{Email: n.Email, KYC: n.KYC}
	if n.Mobile != "" {
		num, err := phone.ParseE164(n.Mobile)
		if err != nil {
			return account.Account{}, apperr.Wrap(apperr.InvalidMobile, "mobile: "+err.Error(), err)
		}
		add.Mobile, add.MobileVerification = num.E164(), true
	}
	if at := n.RegisteredAt; at != nil {
		if at.After(s.Clock.Now()) || at.Year() < 2009 {
			return account.Account{}, apperr.New(apperr.InvalidRequest, "registered_at must be a past time")
		}
		add.RegisteredAt = *at
	}
	hash, err := s.Hasher.Hash(ctx, n.Password)
	if err != nil {
		return account.Account{}, apperr.Busy(password.RetryAfter, err)
	}
	add.PasswordHash = hash
	var acc account.Account
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if acc, err = s.Accounts.Create(ctx, tx, add); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, by.event(acc.ID, audit.AccountCreated, map[string]string{
			"kyc": strconv.FormatBool(acc.KYC), "mobile": account.MaskMobile(acc.Mobile)}))
	})
	if err != nil {
		return account.Account{}, err
	}
	return acc, nil
}

// PushActivity checks a push and stores it for an existing account; items
// the account already has (by external id) are counted as duplicates.
//
// A push is not audited and so takes no actor: it records what the
// exchange reports rather than changing who can use the account, it may
// come with every login or trade, and each event would queue on the
// chain head and crowd the account's trail.
func (s *Service) PushActivity(ctx context.Context, accountID string, act account.Activity) (account.Pushed, error) {
	if err := act.Validate(s.Clock.Now()); err != nil {
		return account.Pushed{}, err
	}
	var pushed account.Pushed
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.Accounts.ByID(ctx, tx, accountID); err != nil {
			return err
		}
		var err error
		pushed, err = s.Accounts.AddActivity(ctx, tx, accountID, act)
		return err
	})
	return pushed, err
}

// Unfreeze lifts the freeze an owner set with "This wasn't me", once staff
// have checked the account with them, and records account_unfrozen. It
// reports whether the account was frozen; lifting no freeze records
// nothing. Withdrawal holds stay until they end.
func (s *Service) Unfreeze(ctx context.Context, by Actor, accountID string) (bool, error) {
	var changed bool
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if changed, err = s.Accounts.SetFrozen(ctx, tx, accountID, false); err != nil || !changed {
			return err
		}
		return s.Audit.Append(ctx, tx, by.event(accountID, audit.AccountUnfrozen, nil))
	})
	if err != nil {
		return false, err
	}
	return changed, nil
}
