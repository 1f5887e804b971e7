package staff

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// EnrolPath is where the console serves enrolment links: EnrolPath+token.
const EnrolPath = "/staff/enrol/"

// EnrolLink is the enrolment link of token on the console at base
// (REBIND_STAFF_URL).
func EnrolLink(base *url.URL, tok string) string {
	return strings.TrimSuffix(base.String(), "/") + EnrolPath + tok
}

// Listed is a member as the members' list shows them.
type Listed struct {
	Member
	CreatedAt time.Time
	// EnrolledAt and DisabledAt are zero until the member enrols or is
	// disabled.
	EnrolledAt time.Time
	DisabledAt time.Time
}

// State is "disabled", "active" (enrolled) or "pending" (not yet enrolled).
func (l Listed) State() string {
	switch {
	case !l.DisabledAt.IsZero():
		return "disabled"
	case !l.EnrolledAt.IsZero():
		return "active"
	}
	return "pending"
}

// record is a member's row.
type record struct {
	Listed
	PasswordHash string
	TOTPSealed   sql.NullString
}

const selectRecord = `SELECT id, email, role, password_hash, totp_sealed, created_at, enrolled_at, disabled_at FROM staff`

func scanRecord(row interface{ Scan(...any) error }) (record, error) {
	var r record
	var created int64
	var enrolled, disabled sql.NullInt64
	err := row.Scan(&r.ID, &r.Email, &r.Role, &r.PasswordHash, &r.TOTPSealed, &created, &enrolled, &disabled)
	if err != nil {
		return record{}, err
	}
	r.CreatedAt = store.Time(created)
	if enrolled.Valid {
		r.EnrolledAt = store.Time(enrolled.Int64)
	}
	if disabled.Valid {
		r.DisabledAt = store.Time(disabled.Int64)
	}
	return r, nil
}

// byEmail returns the member with the normalised email norm.
func (s *Service) byEmail(ctx context.Context, q store.Querier, norm string) (record, error) {
	r, err := scanRecord(q.QueryRowContext(ctx, selectRecord+" WHERE email_norm = $1", norm))
	if store.IsNoRows(err) {
		return record{}, apperr.New(apperr.NotFound, "no staff member has this email")
	}
	if err != nil {
		return record{}, fmt.Errorf("staff: by email: %w", store.Translate(err))
	}
	return r, nil
}

// ByEmail returns the member with this email, whatever their state.
func (s *Service) ByEmail(ctx context.Context, email string) (Listed, error) {
	r, err := s.byEmail(ctx, s.DB, strings.ToLower(strings.TrimSpace(email)))
	return r.Listed, err
}

// List returns every member, enrolled or not, disabled ones included,
// ordered by email.
func (s *Service) List(ctx context.Context) ([]Listed, error) {
	rows, err := s.DB.QueryContext(ctx, selectRecord+" ORDER BY email_norm")
	if err != nil {
		return nil, fmt.Errorf("staff: list: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []Listed
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("staff: list: %w", store.Translate(err))
		}
		out = append(out, r.Listed)
	}
	return out, store.Translate(rows.Err())
}

// Add adds a member with role and returns them with the token of their
// one-time enrolment link (EnrolLink), which is shown once and stored only
// as its digest. Adding an email that is already a member is a conflict,
// except for a member who never enrolled and keeps the same role: they get
// a new link, and their earlier links end. by is the admin who adds, or
// Operator.
func (s *Service) Add(ctx context.Context, by Member, email string, role Role) (Member, string, error) {
	typed, norm, err := account.NormalizeEmail(email)
	if err != nil {
		return Member{}, "", err
	}
	if !role.Valid() {
		return Member{}, "", apperr.New(apperr.InvalidRequest, "the role must be reviewer, supervisor or admin")
	}
	secret := token.NewSecret()
	var m Member
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if m, err = s.addOrRenew(ctx, tx, typed, norm, role); err != nil {
			return err
		}
		now := s.Clock.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_enrolments (token_hash, staff_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4)`, token.Digest(secret), m.ID, store.Millis(now), store.Millis(now.Add(EnrolmentLifetime))); err != nil {
			return fmt.Errorf("staff: add enrolment: %w", store.Translate(err))
		}
		return s.Audit.Append(ctx, tx, event(by, audit.StaffAdded, m, nil))
	})
	if err != nil {
		return Member{}, "", err
	}
	return m, secret, nil
}

// addOrRenew inserts a new member, or readies a pending one with the same
// role for a new link: their earlier links and the secret shown with them
// end.
func (s *Service) addOrRenew(ctx context.Context, tx *sql.Tx, typed, norm string, role Role) (Member, error) {
	r, err := s.byEmail(ctx, tx, norm)
	if apperr.Is(err, apperr.NotFound) {
		m := Member{ID: token.NewID(), Email: typed, Role: role}
		_, err := tx.ExecContext(ctx, `INSERT INTO staff (id, email, email_norm, role, created_at) VALUES ($1, $2, $3, $4, $5)`,
			m.ID, typed, norm, string(role), store.Millis(s.Clock.Now()))
		if store.IsUniqueViolation(err) {
			return Member{}, apperr.New(apperr.Conflict, "a staff member with this email exists")
		}
		if err != nil {
			return Member{}, fmt.Errorf("staff: add: %w", store.Translate(err))
		}
		return m, nil
	}
	if err != nil {
		return Member{}, err
	}
	if r.State() != "pending" || r.Role != role {
		return Member{}, apperr.New(apperr.Conflict, "a staff member with this email exists")
	}
	res, err := tx.ExecContext(ctx, `UPDATE staff SET totp_sealed = NULL WHERE id = $1 AND enrolled_at IS NULL AND disabled_at IS NULL`, r.ID)
	if err != nil {
		return Member{}, fmt.Errorf("staff: renew: %w", store.Translate(err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return Member{}, apperr.New(apperr.Conflict, "a staff member with this email exists")
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM staff_enrolments WHERE staff_id = $1", r.ID); err != nil {
		return Member{}, fmt.Errorf("staff: renew: %w", store.Translate(err))
	}
	return r.Member, nil
}

// Disable disables the member id: they cannot sign in or enrol any more,
// and their sessions and enrolment links end in the same transaction. by
// is the admin who disables (never the member themselves: an admin cannot
// lock themselves out), or Operator.
func (s *Service) Disable(ctx context.Context, by Member, id string) (Member, error) {
	if by.ID != "" && by.ID == id {
		return Member{}, apperr.New(apperr.Forbidden, "you cannot disable yourself; ask another admin")
	}
	var m Member
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE staff SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL
			RETURNING id, email, role`, store.Millis(s.Clock.Now()), id).Scan(&m.ID, &m.Email, &m.Role)
		if store.IsNoRows(err) {
			return apperr.New(apperr.NotFound, "no such staff member, or already disabled")
		}
		if err != nil {
			return fmt.Errorf("staff: disable: %w", store.Translate(err))
		}
		for _, table := range []string{"staff_sessions", "staff_enrolments"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE staff_id = $1", id); err != nil {
				return fmt.Errorf("staff: disable: end %s: %w", table, store.Translate(err))
			}
		}
		return s.Audit.Append(ctx, tx, event(by, audit.StaffDisabled, m, nil))
	})
	return m, err
}
