package flow

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// Store reads and moves flows.
type Store struct {
	clock clock.Clock
	// OnCancel, when set, runs in the transaction that cancelled flows,
	// with their ids, whichever way they were cancelled: what hangs on a
	// flow (a document application) ends with it.
	OnCancel func(ctx context.Context, tx *sql.Tx, ids []string) error
	// Observe, when set, is told of every flow started ("started"),
	// moved by an event (the event's name) or cancelled ("cancelled"),
	// once the change has committed: a rolled-back step is not told.
	Observe func(kind Kind, event string)
}

// observe tells Observe of n flows of kind after q commits.
func (s *Store) observe(q store.Querier, kind Kind, event string, n int) {
	if s.Observe == nil || n == 0 {
		return
	}
	store.AfterCommit(q, func() {
		for range n {
			s.Observe(kind, event)
		}
	})
}

// NewStore returns a flow store reading time from c.
func NewStore(c clock.Clock) *Store { return &Store{clock: c} }

const columns = "id, kind, account_id, state, created_at, updated_at, expires_at, ip, data"

// Create starts a flow of machine m in its initial state. For an exclusive
// machine it first cancels the account's open flow of that kind; the unique
// open_key makes a concurrent second creation fail with conflict rather
// than leave two open flows. Run it in a transaction.
func (s *Store) Create(ctx context.Context, q store.Querier, m *Machine, accountID, ip string, data map[string]string) (Flow, error) {
	now := s.clock.Now()
	f := Flow{ID: token.NewID(), Kind: m.Kind, AccountID: accountID, State: m.Initial,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(m.Lifetime), IP: ip, Data: data}
	var openKey any
	if m.Exclusive {
		if accountID == "" {
			return Flow{}, fmt.Errorf("flow: exclusive %s flow needs an account", m.Kind)
		}
		if _, err := s.CancelOpen(ctx, q, accountID, m); err != nil {
			return Flow{}, err
		}
		openKey = string(m.Kind) + ":" + accountID
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return Flow{}, fmt.Errorf("flow: data: %w", err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO flows (id, kind, account_id, state, open_key, created_at, updated_at, expires_at, ip, data)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9)`,
		f.ID, string(f.Kind), nullable(accountID), string(f.State), openKey, store.Millis(now), store.Millis(f.ExpiresAt), ip, string(raw))
	if err != nil {
		return Flow{}, fmt.Errorf("flow: create %s: %w", m.Kind, store.Translate(err))
	}
	s.observe(q, m.Kind, "started", 1)
	return f, nil
}

// Get returns flow id of machine m. A flow of another kind is not_found.
func (s *Store) Get(ctx context.Context, q store.Querier, m *Machine, id string) (Flow, error) {
	if !token.ValidID(id) {
		return Flow{}, apperr.New(apperr.NotFound, "no such flow")
	}
	row := q.QueryRowContext(ctx, "SELECT "+columns+" FROM flows WHERE id = $1 AND kind = $2", id, string(m.Kind))
	f, err := scan(row)
	if store.IsNoRows(err) {
		return Flow{}, apperr.New(apperr.NotFound, "no such flow")
	}
	return f, err
}

// Fire moves flow id by event in one conditional statement: it succeeds only
// if the flow is in a state the event starts from and is within its
// lifetime. Otherwise nothing changes and the error says why: not_found,
// flow_expired for a cancelled, ended or expired flow, wrong_state for a
// step out of order. Data, when not nil, replaces the flow's data.
func (s *Store) Fire(ctx context.Context, q store.Querier, m *Machine, id string, e Event, data map[string]string) (Flow, error) {
	t, ok := m.next(e)
	if !ok {
		return Flow{}, fmt.Errorf("flow: %s has no event %q", m.Kind, e)
	}
	now := store.Millis(s.clock.Now())
	args := []any{string(t.To), now, id, string(m.Kind)}
	set := "state = $1, updated_at = $2"
	if m.IsTerminal(t.To) {
		set += ", open_key = NULL"
	}
	if data != nil {
		raw, err := json.Marshal(data)
		if err != nil {
			return Flow{}, fmt.Errorf("flow: data: %w", err)
		}
		args = append(args, string(raw))
		set += fmt.Sprintf(", data = $%d", len(args))
	}
	marks := make([]string, len(t.From))
	for i, from := range t.From {
		args = append(args, string(from))
		marks[i] = fmt.Sprintf("$%d", len(args))
	}
	row := q.QueryRowContext(ctx, "UPDATE flows SET "+set+" WHERE id = $3 AND kind = $4 AND expires_at > $2 AND state IN ("+
		strings.Join(marks, ", ")+") RETURNING "+columns, args...)
	f, err := scan(row)
	if store.IsNoRows(err) {
		return Flow{}, s.refusal(ctx, q, m, id)
	}
	if err == nil {
		s.observe(q, m.Kind, string(e), 1)
	}
	if err == nil && f.State == Cancelled {
		err = s.cancelled(ctx, q, []string{f.ID})
	}
	return f, err
}

// cancelled runs OnCancel for flows that q cancelled.
func (s *Store) cancelled(ctx context.Context, q store.Querier, ids []string) error {
	if s.OnCancel == nil || len(ids) == 0 {
		return nil
	}
	tx, ok := q.(*sql.Tx)
	if !ok {
		return fmt.Errorf("flow: cancelling flows needs a transaction")
	}
	return s.OnCancel(ctx, tx, ids)
}

// Effect is what a transition does besides moving its flow: its
// consequences and its audit event, in the transition's transaction. A
// procedure names each effect beside its event.
type Effect func(ctx context.Context, tx *sql.Tx, f Flow) error

// Step is one transition in one transaction of db: it fires event e on
// flow id (Fire, with data) and runs effect with the moved flow; if
// either fails, nothing of it happened.
func (s *Store) Step(ctx context.Context, db *store.DB, m *Machine, id string, e Event, data map[string]string, effect Effect) (Flow, error) {
	return s.StepChecked(ctx, db, m, id, e, data, nil, nil, effect)
}

// StepChecked is Step with a check in the same transaction, before the
// step: a code entered for it, say. A check that refuses (refused says
// which errors are refusals) is committed and returned, and the step is
// not taken: a wrong code stays counted. Otherwise what the check wrote (a
// code used up), the step and its effect commit together or not at all: a
// crash or a failed effect leaves the code as it was. A nil check is Step.
func (s *Store) StepChecked(ctx context.Context, db *store.DB, m *Machine, id string, e Event, data map[string]string,
	check func(ctx context.Context, tx *sql.Tx) error, refused func(error) bool, effect Effect) (Flow, error) {
	var f Flow
	var refusal error
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		refusal = nil
		if check != nil {
			if err := check(ctx, tx); err != nil {
				if refused(err) {
					refusal = err
					return nil
				}
				return err
			}
		}
		var err error
		if f, err = s.Fire(ctx, tx, m, id, e, data); err != nil || effect == nil {
			return err
		}
		return effect(ctx, tx, f)
	})
	if err == nil {
		err = refusal
	}
	return f, err
}

// refusal explains why Fire changed nothing.
func (s *Store) refusal(ctx context.Context, q store.Querier, m *Machine, id string) error {
	f, err := s.Get(ctx, q, m, id)
	if err != nil {
		return err
	}
	if !f.Open(m, s.clock.Now()) && f.State != Completed {
		return apperr.New(apperr.FlowExpired, "this procedure has expired or was cancelled; start again")
	}
	return apperr.New(apperr.WrongState, fmt.Sprintf("this step is not allowed now (the procedure is at %q)", f.State))
}

// Require returns flow id if it is open and in one of states; otherwise the
// same errors as Fire.
func (s *Store) Require(ctx context.Context, q store.Querier, m *Machine, id string, states ...State) (Flow, error) {
	f, err := s.Get(ctx, q, m, id)
	if err != nil {
		return Flow{}, err
	}
	if err := s.InState(m, f, states...); err != nil {
		return Flow{}, err
	}
	return f, nil
}

// InState is Require for a flow the caller has already read: nil if f is
// open and in one of states, otherwise Require's errors. Like Require it
// only reads: the step that follows still moves the flow conditionally.
func (s *Store) InState(m *Machine, f Flow, states ...State) error {
	now := s.clock.Now()
	if !f.Open(m, now) && f.State != Completed {
		return apperr.New(apperr.FlowExpired, "this procedure has expired or was cancelled; start again")
	}
	for _, st := range states {
		if f.State == st && f.Open(m, now) {
			return nil
		}
	}
	return apperr.New(apperr.WrongState, fmt.Sprintf("this step is not allowed now (the procedure is at %q)", f.State))
}

// Lock returns flow id if it is open and in one of states, like Require,
// and holds the flow's row until tx ends: steps that count what hangs on a
// flow (its uploads) take it first, so concurrent ones count in turn.
func (s *Store) Lock(ctx context.Context, tx *sql.Tx, m *Machine, id string, states ...State) (Flow, error) {
	now := store.Millis(s.clock.Now())
	args := []any{now, id, string(m.Kind)}
	marks := make([]string, len(states))
	for i, st := range states {
		args = append(args, string(st))
		marks[i] = fmt.Sprintf("$%d", len(args))
	}
	row := tx.QueryRowContext(ctx, "UPDATE flows SET updated_at = $1 WHERE id = $2 AND kind = $3 AND expires_at > $1 AND state IN ("+
		strings.Join(marks, ", ")+") RETURNING "+columns, args...)
	f, err := scan(row)
	if store.IsNoRows(err) {
		return Flow{}, s.refusal(ctx, tx, m, id)
	}
	return f, err
}

// CancelOpen cancels the account's open flows of machine m and returns their
// ids.
func (s *Store) CancelOpen(ctx context.Context, q store.Querier, accountID string, m *Machine) ([]string, error) {
	open := m.OpenStates()
	args := []any{string(Cancelled), store.Millis(s.clock.Now()), accountID, string(m.Kind)}
	marks := make([]string, len(open))
	for i, st := range open {
		args = append(args, string(st))
		marks[i] = fmt.Sprintf("$%d", len(args))
	}
	rows, err := q.QueryContext(ctx, "UPDATE flows SET state = $1, updated_at = $2, open_key = NULL WHERE account_id = $3 AND kind = $4 AND state IN ("+
		strings.Join(marks, ", ")+") RETURNING id", args...)
	if err != nil {
		return nil, fmt.Errorf("flow: cancel open %s: %w", m.Kind, store.Translate(err))
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("flow: cancel open: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("flow: cancel open: %w", err)
	}
	rows.Close()
	s.observe(q, m.Kind, "cancelled", len(ids))
	return ids, s.cancelled(ctx, q, ids)
}

type scanner interface{ Scan(dest ...any) error }

func scan(row scanner) (Flow, error) {
	var f Flow
	var kind, state, data string
	var account *string
	var created, updated, expires int64
	err := row.Scan(&f.ID, &kind, &account, &state, &created, &updated, &expires, &f.IP, &data)
	if err != nil {
		if store.IsNoRows(err) {
			return Flow{}, err
		}
		return Flow{}, fmt.Errorf("flow: read: %w", store.Translate(err))
	}
	f.Kind, f.State = Kind(kind), State(state)
	if account != nil {
		f.AccountID = *account
	}
	f.CreatedAt, f.UpdatedAt, f.ExpiresAt = store.Time(created), store.Time(updated), store.Time(expires)
	if err := json.Unmarshal([]byte(data), &f.Data); err != nil {
		return Flow{}, fmt.Errorf("flow %s: data: %w", f.ID, err)
	}
	return f, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CancelExclusive cancels the account's open flow of an exclusive kind, if
// any, and returns its id. It needs no machine: an open exclusive flow is
// the one holding the open key.
func (s *Store) CancelExclusive(ctx context.Context, q store.Querier, kind Kind, accountID string) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, "UPDATE flows SET state = $1, updated_at = $2, open_key = NULL WHERE open_key = $3 RETURNING id",
		string(Cancelled), store.Millis(s.clock.Now()), string(kind)+":"+accountID).Scan(&id)
	if store.IsNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("flow: cancel open %s: %w", kind, store.Translate(err))
	}
	s.observe(q, kind, "cancelled", 1)
	return id, s.cancelled(ctx, q, []string{id})
}

// CancelAllOpen cancels every open flow of the account except exceptID,
// whatever its kind, and returns how many it cancelled. A flow is open
// while its state is not one of the end states every machine shares.
func (s *Store) CancelAllOpen(ctx context.Context, q store.Querier, accountID, exceptID string) (int64, error) {
	rows, err := q.QueryContext(ctx, `UPDATE flows SET state = $1, updated_at = $2, open_key = NULL
		WHERE account_id = $3 AND id <> $4 AND state NOT IN ($5, $1, $6) RETURNING id, kind`,
		string(Cancelled), store.Millis(s.clock.Now()), accountID, exceptID, string(Completed), string(Rejected))
	if err != nil {
		return 0, fmt.Errorf("flow: cancel all open: %w", store.Translate(err))
	}
	defer rows.Close()
	var ids []string
	kinds := map[Kind]int{}
	for rows.Next() {
		var id, kind string
		if err := rows.Scan(&id, &kind); err != nil {
			return 0, fmt.Errorf("flow: cancel all open: %w", err)
		}
		ids = append(ids, id)
		kinds[Kind(kind)]++
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("flow: cancel all open: %w", err)
	}
	rows.Close()
	for kind, n := range kinds {
		s.observe(q, kind, "cancelled", n)
	}
	return int64(len(ids)), s.cancelled(ctx, q, ids)
}

// ExtendTo moves the end of flow id's lifetime to until: a reset whose
// documents await review lives until the review's deadline, not 30 minutes.
func (s *Store) ExtendTo(ctx context.Context, q store.Querier, id string, until time.Time) error {
	if _, err := q.ExecContext(ctx, "UPDATE flows SET expires_at = $1, updated_at = $2 WHERE id = $3",
		store.Millis(until), store.Millis(s.clock.Now()), id); err != nil {
		return fmt.Errorf("flow: extend: %w", store.Translate(err))
	}
	return nil
}

// SetData replaces the data of flow id.
func (s *Store) SetData(ctx context.Context, q store.Querier, id string, data map[string]string) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("flow: data: %w", err)
	}
	if _, err := q.ExecContext(ctx, "UPDATE flows SET data = $1, updated_at = $2 WHERE id = $3",
		string(raw), store.Millis(s.clock.Now()), id); err != nil {
		return fmt.Errorf("flow: data: %w", store.Translate(err))
	}
	return nil
}
