// Package account owns accounts and the activity the exchange pushes in
// (deposits, withdrawals, logins, trades, balances), which later questions
// and document checks are built from.
package account

import (
	"context"
	"database/sql"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// Account is a user of the exchange.
type Account struct {
	ID                 string
	Email              string
	PasswordHash       string
	Mobile             string // E.164; empty when none is bound
	MobileVerification bool
	KYC                bool
	RegisteredAt       time.Time
	Frozen             bool
	RebindRequired     bool
	CreatedAt          time.Time
}

// SecondFactor says how the account proves its second factor at sign-in:
// "sms" while mobile verification is on, "email" when it has no active one.
func (a Account) SecondFactor() string {
	if a.MobileVerification && a.Mobile != "" {
		return "sms"
	}
	return "email"
}

// Store reads and writes accounts.
type Store struct {
	clock clock.Clock
}

// NewStore returns an account store reading time from c.
func NewStore(c clock.Clock) *Store { return &Store{clock: c} }

// NormalizeEmail checks an email address and returns it as typed (trimmed)
// and in the lower-case form used for look-ups.
func NormalizeEmail(email string) (typed, norm string, err error) {
	typed = strings.TrimSpace(email)
	if len(typed) > 254 || typed == "" {
		return "", "", apperr.New(apperr.InvalidRequest, "email must be an address of at most 254 characters")
	}
	addr, perr := mail.ParseAddress(typed)
	if perr != nil || addr.Address != typed || addr.Name != "" || !strings.Contains(typed[strings.LastIndexByte(typed, '@'):], ".") {
		return "", "", apperr.New(apperr.InvalidRequest, "email is not a valid address")
	}
	return typed, strings.ToLower(typed), nil
}

// New is an account to create.
type New struct {
	Email              string
	PasswordHash       string
	Mobile             string // E.164, already validated
	KYC                bool
	RegisteredAt       time.Time
	MobileVerification bool
}

// Create stores a new account. A taken email or mobile is conflict.
func (s *Store) Create(ctx context.Context, q store.Querier, n New) (Account, error) {
	typed, norm, err := NormalizeEmail(n.Email)
	if err != nil {
		return Account{}, err
	}
	now := s.clock.Now()
	if n.RegisteredAt.IsZero() {
		n.RegisteredAt = now
	}
	a := Account{ID: token.NewID(), Email: typed, PasswordHash: n.PasswordHash, Mobile: n.Mobile,
		MobileVerification: n.Mobile != "" && n.MobileVerification, KYC: n.KYC,
		RegisteredAt: n.RegisteredAt.UTC().Truncate(time.Millisecond), CreatedAt: now}
	_, err = q.ExecContext(ctx, `INSERT INTO accounts (id, email, email_norm, password_hash, mobile, mobile_verification, kyc,
		registered_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
		a.ID, a.Email, norm, a.PasswordHash, nullable(a.Mobile), a.MobileVerification, a.KYC,
		store.Millis(a.RegisteredAt), store.Millis(now))
	if store.IsUniqueViolation(err) {
		return Account{}, apperr.Wrap(apperr.Conflict, "an account with this email or mobile already exists", err)
	}
	if err != nil {
		return Account{}, fmt.Errorf("account: create: %w", store.Translate(err))
	}
	return a, nil
}

const columns = `id, email, password_hash, mobile, mobile_verification, kyc, registered_at, frozen, rebind_required, created_at`

// ByID returns an account, or not_found.
func (s *Store) ByID(ctx context.Context, q store.Querier, id string) (Account, error) {
	if !token.ValidID(id) {
		return Account{}, apperr.New(apperr.NotFound, "no such account")
	}
	return scan(q.QueryRowContext(ctx, "SELECT "+columns+" FROM accounts WHERE id = $1", id))
}

// ByEmail returns the account with this email in any letter case, or
// not_found.
func (s *Store) ByEmail(ctx context.Context, q store.Querier, email string) (Account, error) {
	_, norm, err := NormalizeEmail(email)
	if err != nil {
		return Account{}, apperr.New(apperr.NotFound, "no such account")
	}
	return scan(q.QueryRowContext(ctx, "SELECT "+columns+" FROM accounts WHERE email_norm = $1", norm))
}

func scan(row *sql.Row) (Account, error) {
	var r Row
	err := row.Scan(r.Dest()...)
	if store.IsNoRows(err) {
		return Account{}, apperr.New(apperr.NotFound, "no such account")
	}
	if err != nil {
		return Account{}, fmt.Errorf("account: read: %w", store.Translate(err))
	}
	return r.Account(), nil
}

// Row reads an account in a statement that reads other rows with it (a
// session and its account in one join).
type Row struct {
	a                   Account
	mobile              sql.NullString
	registered, created int64
}

// Columns lists an account's columns as Row reads them, qualified by the
// table's alias.
func Columns(alias string) string {
	return alias + "." + strings.ReplaceAll(columns, ", ", ", "+alias+".")
}

// Dest returns the scan destinations of Columns, in order.
func (r *Row) Dest() []any {
	return []any{&r.a.ID, &r.a.Email, &r.a.PasswordHash, &r.mobile, &r.a.MobileVerification, &r.a.KYC, &r.registered,
		&r.a.Frozen, &r.a.RebindRequired, &r.created}
}

// Account returns the account scanned.
func (r *Row) Account() Account {
	a := r.a
	a.Mobile, a.RegisteredAt, a.CreatedAt = r.mobile.String, store.Time(r.registered), store.Time(r.created)
	return a
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
