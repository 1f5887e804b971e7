package evidence

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

const appColumns = `id, flow_id, account_id, class, state, statement_phrase, reference_code, application_date, submitted_at, deadline,
	ended_at, reason, note, decided_by, transactions, findings, claimed_by, claimed_at, first_approval_by, first_approval_at, reading`

// Create stores application a (its ID and submission time, unless the
// caller chose them, and its state are set here) with the flow's pictures not removed, and the hash bands of those
// pictures; statusDigest is the digest of the status link's secret. An
// account with an application under review gets conflict. Run it in a
// transaction.
func (s *Store) Create(ctx context.Context, q store.Querier, a Application, statusDigest string) (Application, error) {
	if a.ID == "" {
		a.ID = token.NewID()
	}
	if a.SubmittedAt.IsZero() {
		a.SubmittedAt = s.clock.Now()
	}
	// Times as stored (milliseconds), so what Create returns is what a read gives.
	a.State, a.SubmittedAt, a.Deadline = UnderReview, store.Time(store.Millis(a.SubmittedAt)), store.Time(store.Millis(a.Deadline))
	a.Reading = ReadPending // the column's default: the screenshots are read after the submission
	txs, err := json.Marshal(a.Transactions)
	if err != nil {
		return Application{}, fmt.Errorf("evidence: transactions: %w", err)
	}
	found, err := json.Marshal(a.Findings)
	if err != nil {
		return Application{}, fmt.Errorf("evidence: findings: %w", err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO applications (id, flow_id, account_id, class, state, open_key, statement_phrase,
		reference_code, application_date, status_digest, submitted_at, deadline, transactions, findings)
		VALUES ($1, $2, $3, $4, $5, $3, $13, $6, $7, $8, $9, $10, $11, $12)`,
		a.ID, a.FlowID, a.AccountID, string(a.Class), string(a.State), a.ReferenceCode, a.ApplicationDate, statusDigest,
		store.Millis(a.SubmittedAt), store.Millis(a.Deadline), string(txs), string(found), a.StatementPhrase)
	if err != nil {
		return Application{}, fmt.Errorf("evidence: create application: %w", store.Translate(err))
	}
	if _, err := q.ExecContext(ctx, `UPDATE application_files SET application_id = $1
		WHERE flow_id = $2 AND application_id IS NULL AND removed_at IS NULL`, a.ID, a.FlowID); err != nil {
		return Application{}, fmt.Errorf("evidence: attach files: %w", store.Translate(err))
	}
	for _, f := range a.Files {
		if err := addBands(ctx, q, f); err != nil {
			return Application{}, err
		}
	}
	return a, nil
}

// Get returns application id with its pictures; unknown is not_found.
func (s *Store) Get(ctx context.Context, q store.Querier, id string) (Application, error) {
	if !token.ValidID(id) {
		return Application{}, noApplication()
	}
	return s.one(ctx, q, "id = $1", id)
}

// ByFlow returns the application of reset flow flowID.
func (s *Store) ByFlow(ctx context.Context, q store.Querier, flowID string) (Application, error) {
	return s.one(ctx, q, "flow_id = $1", flowID)
}

// ByStatus returns the application whose status link's secret has digest.
func (s *Store) ByStatus(ctx context.Context, q store.Querier, digest string) (Application, error) {
	return s.one(ctx, q, "status_digest = $1", digest)
}

func (s *Store) one(ctx context.Context, q store.Querier, where string, arg string) (Application, error) {
	a, err := scanApplication(q.QueryRowContext(ctx, "SELECT "+appColumns+" FROM applications WHERE "+where, arg))
	if store.IsNoRows(err) {
		return Application{}, noApplication()
	}
	if err != nil {
		return Application{}, err
	}
	a.Files, err = s.files(ctx, q, "application_id = $1", a.ID)
	return a, err
}

func noApplication() error { return apperr.New(apperr.NotFound, "no such application") }

// Page is a cursor into a list: the last application of the previous page.
type Page struct {
	After time.Time
	ID    string
	Limit int
}

// List returns applications in state, oldest submission first, after the
// page's cursor; the pictures are not read.
func (s *Store) List(ctx context.Context, q store.Querier, state State, p Page) ([]Application, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+appColumns+` FROM applications
		WHERE state = $1 AND (submitted_at > $2 OR (submitted_at = $2 AND id > $3))
		ORDER BY submitted_at, id LIMIT $4`, string(state), store.Millis(p.After), p.ID, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("evidence: list: %w", store.Translate(err))
	}
	return scanApplications(rows, "list")
}

// Ending is how an application ends.
type Ending struct {
	State             State
	Reason, Note, By  string
	RequireBeforeTime bool // refuse if the deadline has passed
	// RequireClaim refuses unless By holds the application's claim. A
	// lapsed claim still counts until someone else takes it: the lapse
	// frees an application for others, it does not cut off a reviewer who
	// took longer.
	RequireClaim bool
	// SecondApproval refuses unless another approver than By gave the
	// first approval.
	SecondApproval bool
}

// End moves application id from under review to e.State in one conditional
// statement and returns it; ok is false, and nothing changed, when it was
// not under review (or a condition of e does not hold).
func (s *Store) End(ctx context.Context, q store.Querier, id string, e Ending) (a Application, ok bool, err error) {
	now := s.clock.Now()
	args := []any{string(e.State), store.Millis(now), e.Reason, e.Note, e.By, id, string(UnderReview)}
	cond := ""
	if e.RequireBeforeTime {
		cond += " AND deadline > $2"
	}
	if e.RequireClaim {
		cond += " AND claimed_by = $5"
	}
	if e.SecondApproval {
		cond += " AND first_approval_by <> '' AND first_approval_by <> $5"
	}
	row := q.QueryRowContext(ctx, `UPDATE applications SET state = $1, open_key = NULL, ended_at = $2, reason = $3, note = $4,
		decided_by = $5 WHERE id = $6 AND state = $7`+cond+` RETURNING `+appColumns, args...)
	a, err = scanApplication(row)
	if store.IsNoRows(err) {
		return Application{}, false, nil
	}
	return a, err == nil, err
}

// Overdue returns up to limit applications under review whose deadline
// has passed.
func (s *Store) Overdue(ctx context.Context, q store.Querier, limit int) ([]Application, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+appColumns+` FROM applications WHERE state = $1 AND deadline <= $2
		ORDER BY deadline LIMIT $3`, string(UnderReview), store.Millis(s.clock.Now()), limit)
	if err != nil {
		return nil, fmt.Errorf("evidence: overdue: %w", store.Translate(err))
	}
	return scanApplications(rows, "overdue")
}

// CancelFlows cancels the applications under review of flows ids (which
// were cancelled) and returns them.
func (s *Store) CancelFlows(ctx context.Context, q store.Querier, ids []string) ([]Application, error) {
	args := []any{string(Cancelled), store.Millis(s.clock.Now()), string(UnderReview)}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := q.QueryContext(ctx, `UPDATE applications SET state = $1, open_key = NULL, ended_at = $2
		WHERE state = $3 AND flow_id IN (`+placeholders(4, len(ids))+`) RETURNING `+appColumns, args...)
	if err != nil {
		return nil, fmt.Errorf("evidence: cancel: %w", store.Translate(err))
	}
	return scanApplications(rows, "cancel")
}

// scanApplications reads every application of rows and closes them; what
// names the query in errors.
func scanApplications(rows *sql.Rows, what string) ([]Application, error) {
	defer rows.Close()
	var out []Application
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evidence: %s: %w", what, err)
	}
	return out, nil
}

func scanApplication(row scanner) (Application, error) {
	var a Application
	var class, state, txs, found string
	var submitted, deadline int64
	var ended, claimed, firstAt *int64
	err := row.Scan(&a.ID, &a.FlowID, &a.AccountID, &class, &state, &a.StatementPhrase, &a.ReferenceCode, &a.ApplicationDate, &submitted, &deadline,
		&ended, &a.Reason, &a.Note, &a.DecidedBy, &txs, &found, &a.ClaimedBy, &claimed, &a.FirstApprovalBy, &firstAt, &a.Reading)
	if err != nil {
		if store.IsNoRows(err) {
			return Application{}, err
		}
		return Application{}, fmt.Errorf("evidence: read application: %w", store.Translate(err))
	}
	a.Class, a.State = Class(class), State(state)
	a.SubmittedAt, a.Deadline = store.Time(submitted), store.Time(deadline)
	for _, t := range []struct {
		ms *int64
		to *time.Time
	}{{ended, &a.EndedAt}, {claimed, &a.ClaimedAt}, {firstAt, &a.FirstApprovalAt}} {
		if t.ms != nil {
			*t.to = store.Time(*t.ms)
		}
	}
	if err := json.Unmarshal([]byte(txs), &a.Transactions); err != nil {
		return Application{}, fmt.Errorf("evidence: application %s transactions: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(found), &a.Findings); err != nil {
		return Application{}, fmt.Errorf("evidence: application %s findings: %w", a.ID, err)
	}
	return a, nil
}

// Queue returns how many applications await review, by class, and when
// the oldest of them was submitted (zero when none).
func (s *Store) Queue(ctx context.Context, q store.Querier) (byClass map[Class]int, oldest time.Time, err error) {
	rows, err := q.QueryContext(ctx, "SELECT class, COUNT(*), MIN(submitted_at) FROM applications WHERE state = $1 GROUP BY class", string(UnderReview))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("evidence: queue: %w", store.Translate(err))
	}
	defer rows.Close()
	byClass = map[Class]int{}
	for rows.Next() {
		var class string
		var n int
		var first int64
		if err := rows.Scan(&class, &n, &first); err != nil {
			return nil, time.Time{}, fmt.Errorf("evidence: queue: %w", err)
		}
		byClass[Class(class)] = n
		if t := store.Time(first); oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, fmt.Errorf("evidence: queue: %w", err)
	}
	return byClass, oldest, nil
}
