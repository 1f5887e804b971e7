// Package audit owns the audit trail: an append-only table in which every
// security-relevant action is one event, linked to the previous event by a
// SHA-256 hash so that a changed, removed or reordered event breaks the
// chain. Events are written in the transaction of the action they record,
// unsealed; a sealer (Seal) links them into the chain after they commit,
// one sealer at a time across instances, so that no audited transaction
// waits for another.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
)

// Results of an action.
const (
	OK      = "ok"
	Failed  = "failed"
	Refused = "refused"
)

// Actors other than users, who are recorded as "user".
const (
	ActorUser      = "user"
	ActorAnonymous = "anonymous"
	ActorAdmin     = "admin"
	ActorSystem    = "system"
	// ActorStaff is a signed-in staff member of the console; the event's
	// detail names them ("staff").
	ActorStaff = "staff"
	// ActorDev is a tester using a dev server's tools (dev mode only).
	ActorDev = "dev"
	// ActorOperator is whoever runs rebind's commands on the server
	// (rebind staff add): they hold the database and the secret.
	ActorOperator = "operator"
)

// Event is one action to record. Detail must never hold a secret: no codes,
// passwords, tokens or chosen answers.
type Event struct {
	Actor     string
	AccountID string
	Action    Action
	Result    string
	FlowID    string
	Detail    map[string]string
	// IP and RequestID default to the caller in the context.
	IP        string
	RequestID string
}

// Record is a stored event. Seq is the event's number, given at append;
// ChainPos, PrevHash and Hash are set when it is sealed (0, "" and "" while
// it waits), and the chain runs in ChainPos order, which is the order of
// sealing: an event whose transaction committed late has a lower Seq than
// events sealed before it.
type Record struct {
	Seq       int64             `json:"seq"`
	ChainPos  int64             `json:"chain_pos,omitempty"`
	At        time.Time         `json:"at"`
	Actor     string            `json:"actor"`
	AccountID string            `json:"account_id,omitempty"`
	Action    string            `json:"action"`
	Result    string            `json:"result"`
	IP        string            `json:"ip"`
	RequestID string            `json:"request_id,omitempty"`
	FlowID    string            `json:"flow_id,omitempty"`
	Detail    map[string]string `json:"detail,omitempty"`
	PrevHash  string            `json:"prev_hash"`
	Hash      string            `json:"hash"`
}

// Log appends to and reads the trail.
type Log struct {
	clock clock.Clock
	// Failed hears of every event Write could not record (New logs it at
	// ERROR; the app also counts it).
	Failed func(ctx context.Context, e Event, err error)
}

// New returns a log that stamps events with c's time.
func New(c clock.Clock) *Log {
	return &Log{clock: c, Failed: func(ctx context.Context, e Event, err error) {
		slog.ErrorContext(ctx, "audit event not recorded", "action", e.Action, "account", e.AccountID, "err", err)
	}}
}

// Append records e inside tx, unsealed: one INSERT, numbered by the
// database (a sequence on PostgreSQL, the rowid on SQLite), and nothing
// else, so concurrent transactions do not wait for each other. Seal links
// it into the chain once tx has committed.
func (l *Log) Append(ctx context.Context, tx *sql.Tx, e Event) error {
	info := client.From(ctx)
	if e.IP == "" {
		e.IP = info.IP
	}
	if e.RequestID == "" {
		e.RequestID = info.RequestID
	}
	if e.Actor == "" || e.Action == "" || e.Result == "" {
		return errors.New("audit: event needs an actor, an action and a result")
	}
	if _, ok := Actions[e.Action]; !ok {
		return fmt.Errorf("audit: %q is not an action (audit.Actions)", e.Action)
	}
	detail, _ := json.Marshal(e.Detail)
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_events
		(at, actor, account_id, action, result, ip, request_id, flow_id, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', '')`,
		store.Millis(l.clock.Now().Truncate(time.Millisecond)), e.Actor, nullable(e.AccountID), string(e.Action),
		e.Result, e.IP, e.RequestID, nullable(e.FlowID), string(detail))
	if err != nil {
		return fmt.Errorf("audit: insert event: %w", store.Translate(err))
	}
	return nil
}

// Write records e in a transaction of its own, for actions that change
// nothing else (a failed sign-in). What it records has happened already
// (a wrong code is counted in its own statement), so a failure is not
// the caller's to handle: Write reports it to Failed and returns nothing.
func (l *Log) Write(ctx context.Context, db *store.DB, e Event) {
	if err := db.Tx(ctx, func(tx *sql.Tx) error { return l.Append(ctx, tx, e) }); err != nil && l.Failed != nil {
		l.Failed(ctx, e, err)
	}
}

// digest is the event's hash: SHA-256 over the previous hash and the event's
// canonical JSON (struct fields in order, map keys sorted). The chain
// position is in it only when it differs from the event's number: events
// chained before issue 12 were hashed without it (their position was their
// number), and where the two are equal the number already fixes the
// position, so the hash covers both either way.
func (r Record) digest() string {
	pos := r.ChainPos
	if pos == r.Seq {
		pos = 0
	}
	body, _ := json.Marshal(struct {
		Seq       int64             `json:"seq"`
		ChainPos  int64             `json:"chain_pos,omitempty"`
		At        int64             `json:"at"`
		Actor     string            `json:"actor"`
		AccountID string            `json:"account_id"`
		Action    string            `json:"action"`
		Result    string            `json:"result"`
		IP        string            `json:"ip"`
		RequestID string            `json:"request_id"`
		FlowID    string            `json:"flow_id"`
		Detail    map[string]string `json:"detail"`
	}{r.Seq, pos, store.Millis(r.At), r.Actor, r.AccountID, r.Action, r.Result, r.IP, r.RequestID, r.FlowID, r.Detail})
	h := sha256.New()
	h.Write([]byte(r.PrevHash))
	h.Write([]byte{'\n'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
