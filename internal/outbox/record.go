package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rebindhq/rebind/internal/store"
)

// outcome is what a delivery left to write.
type outcome struct {
	id         string
	ch         Channel
	attempts   int    // the claim's attempt number: the fence
	kind       string // sent, retry, config_fault (a retry), failed, expired
	providerID string
	err        string
	at         time.Time // sent: when; retry: next attempt
}

const retrySQL = `UPDATE outbox SET state = 'pending', lease_until = NULL, last_error = $3, next_attempt_at = $4
	WHERE id = $1 AND attempts = $2`

// Every update is fenced by the attempt number, so a worker whose lease ran
// out cannot overwrite the outcome recorded by the worker that took over.
var outcomeSQL = map[string]string{
	"sent": `UPDATE outbox SET state = 'sent', sealed = '', lease_until = NULL,
		sent_at = $3, provider_id = $4, last_error = NULL WHERE id = $1 AND attempts = $2`,
	"retry":        retrySQL,
	"config_fault": retrySQL,
	"failed":       `UPDATE outbox SET state = 'failed', lease_until = NULL, last_error = $3 WHERE id = $1 AND attempts = $2`,
	"expired":      `UPDATE outbox SET state = 'expired', sealed = '', lease_until = NULL WHERE id = $1 AND attempts = $2`,
}

func (o outcome) args() []any {
	switch o.kind {
	case "sent":
		return []any{o.id, o.attempts, store.Millis(o.at), o.providerID}
	case "retry", "config_fault":
		return []any{o.id, o.attempts, o.err, store.Millis(o.at)}
	case "failed":
		return []any{o.id, o.attempts, o.err}
	}
	return []any{o.id, o.attempts}
}

// recorder writes outcomes in groups: whatever finished while the previous
// group was being written goes in one transaction.
type recorder struct {
	w  *Worker
	in chan outcome
	// failing is set when a write fails and cleared when a write succeeds
	// with nothing else held; while it is set the lanes claim nothing.
	failing atomic.Bool
	// held counts the messages the lanes claimed whose outcomes are not
	// written yet (in flight, or waiting in in).
	held atomic.Int64
}

func (r *recorder) isFailing() bool { return r.failing.Load() }

// run writes until in is closed and drained, or ctx ends.
func (r *recorder) run(ctx context.Context) {
	for o := range r.in {
		group := []outcome{o}
	more:
		for len(group) < 256 {
			select {
			case o, ok := <-r.in:
				if !ok {
					break more
				}
				group = append(group, o)
			default:
				break more
			}
		}
		r.record(ctx, group)
		r.held.Add(-int64(len(group)))
	}
}

// record writes a group, retrying with capped backoff until the database
// answers: a message the provider accepted must not go out again when its
// lease runs out because the database was restarting. It gives up only when
// ctx ends (shutdown); those messages are then delivered again after their
// lease, at least once as ever. After a failure the lanes claim again only
// once no other outcome is held: the outcomes that waited behind the
// failing group may be of messages whose leases ran out meanwhile, and a
// claim would send those again before their next group is written.
func (r *recorder) record(ctx context.Context, group []outcome) {
	w := r.w
	delay := 10 * time.Millisecond
	for {
		written, err := r.write(ctx, group)
		if err == nil {
			if r.held.Load() <= int64(len(group)) && r.failing.Swap(false) {
				w.Log.Info("outbox: recording delivery outcomes again")
			}
			if w.Observe != nil {
				for i, o := range group {
					if written[i] {
						w.Observe(o.ch, o.kind)
					}
				}
			}
			return
		}
		if !r.failing.Swap(true) {
			w.Log.Error("outbox: cannot record delivery outcomes; retrying until the database answers",
				"messages", len(group), "err", err)
		}
		select {
		case <-ctx.Done():
			w.Log.Error("outbox: gave up recording delivery outcomes at shutdown; these messages will be tried again after their lease",
				"messages", len(group), "err", err)
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// write runs the group's updates in one transaction and reports which ones
// the fence let through.
func (r *recorder) write(ctx context.Context, group []outcome) ([]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, r.w.RecordTimeout)
	defer cancel()
	written := make([]bool, len(group))
	err := r.w.DB.Tx(ctx, func(tx *sql.Tx) error {
		for i, o := range group {
			res, err := tx.ExecContext(ctx, outcomeSQL[o.kind], o.args()...)
			if err != nil {
				return fmt.Errorf("outbox: record %s: %w", o.kind, store.Translate(err))
			}
			n, _ := res.RowsAffected()
			written[i] = n == 1
		}
		return nil
	})
	return written, err
}
