package evidence

import (
	"context"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/store"
)

// ClaimLapse is how long a claim keeps others out: a reviewer who walks
// away does not hold an application for the day. Until someone else
// claims it, the holder may still decide.
const ClaimLapse = 30 * time.Minute

// Claim gives application id to staff member by, in one conditional
// statement: while it is under review and unclaimed, claimed by them
// already (the claim is renewed), or its claim has lapsed; force takes it
// from whoever holds it (a supervisor reassigning). ok is false when
// someone else holds it.
func (s *Store) Claim(ctx context.Context, q store.Querier, id, by string, force bool) (a Application, ok bool, err error) {
	now := s.clock.Now()
	args := []any{by, store.Millis(now), id, string(UnderReview)}
	cond := ""
	if !force {
		args = append(args, store.Millis(now.Add(-ClaimLapse)))
		cond = " AND (claimed_by = '' OR claimed_by = $1 OR claimed_at <= $5)"
	}
	row := q.QueryRowContext(ctx, `UPDATE applications SET claimed_by = $1, claimed_at = $2 WHERE id = $3 AND state = $4`+cond+
		` RETURNING `+appColumns, args...)
	a, err = scanApplication(row)
	if store.IsNoRows(err) {
		return Application{}, false, nil
	}
	return a, err == nil, err
}

// Release gives up by's claim on application id; releasing a claim one
// does not hold changes nothing.
func (s *Store) Release(ctx context.Context, q store.Querier, id, by string) error {
	if _, err := q.ExecContext(ctx, `UPDATE applications SET claimed_by = '', claimed_at = NULL WHERE id = $1 AND claimed_by = $2`, id, by); err != nil {
		return fmt.Errorf("evidence: release: %w", store.Translate(err))
	}
	return nil
}

// FirstApproval records by's approval of application id as the first of
// two, in one conditional statement; ok is false when it is not under
// review, has a first approval already, or (requireClaim) by does not hold
// its claim (lapsed or not, as long as nobody took it over).
func (s *Store) FirstApproval(ctx context.Context, q store.Querier, id, by string, requireClaim bool) (a Application, ok bool, err error) {
	now := s.clock.Now()
	args := []any{by, store.Millis(now), id, string(UnderReview)}
	cond := ""
	if requireClaim {
		cond = " AND claimed_by = $1"
	}
	row := q.QueryRowContext(ctx, `UPDATE applications SET first_approval_by = $1, first_approval_at = $2
		WHERE id = $3 AND state = $4 AND first_approval_by = '' AND deadline > $2`+cond+` RETURNING `+appColumns, args...)
	a, err = scanApplication(row)
	if store.IsNoRows(err) {
		return Application{}, false, nil
	}
	return a, err == nil, err
}

// ByAccount returns the account's applications, newest first, without
// their pictures.
func (s *Store) ByAccount(ctx context.Context, q store.Querier, accountID string) ([]Application, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+appColumns+" FROM applications WHERE account_id = $1 ORDER BY submitted_at DESC, id", accountID)
	if err != nil {
		return nil, fmt.Errorf("evidence: by account: %w", store.Translate(err))
	}
	return scanApplications(rows, "by account")
}
