package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
)

// Worker delivers queued messages. Each instance of the server runs one;
// they share the table safely: a claim marks rows as sending under a lease,
// and on PostgreSQL skips rows another worker is claiming at that moment.
type Worker struct {
	DB      *store.DB
	Queue   *Queue
	Senders map[Channel]Sender
	Clock   clock.Clock
	Log     *slog.Logger
	// Observe, when set, is told the outcome of each delivery attempt:
	// "sent", "retry", "failed" or "expired".
	Observe func(ch Channel, outcome string)

	Batch       int           // rows claimed at once (default 10)
	Lease       time.Duration // how long a claim lasts (default 1 minute)
	Poll        time.Duration // pause between empty polls (default 250 ms)
	MaxAttempts int           // attempts before a message is marked failed (default 20)
	BaseBackoff time.Duration // first retry delay, doubled each time (default 2 s)
	MaxBackoff  time.Duration // longest retry delay (default 1 hour)
}

func (w *Worker) defaults() {
	if w.Batch == 0 {
		w.Batch = 10
	}
	if w.Lease == 0 {
		w.Lease = time.Minute
	}
	if w.Poll == 0 {
		w.Poll = 250 * time.Millisecond
	}
	if w.MaxAttempts == 0 {
		w.MaxAttempts = 20
	}
	if w.BaseBackoff == 0 {
		w.BaseBackoff = 2 * time.Second
	}
	if w.MaxBackoff == 0 {
		w.MaxBackoff = time.Hour
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
}

// Run delivers until ctx ends. It returns nil on shutdown.
func (w *Worker) Run(ctx context.Context) error {
	w.defaults()
	for {
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.Log.Error("outbox: delivery round failed", "err", err)
		}
		if n > 0 && err == nil {
			continue // there may be more waiting
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.Queue.wake:
			// Let the enqueuing transaction commit before claiming.
			time.Sleep(10 * time.Millisecond)
		case <-time.After(w.Poll):
		}
	}
}

type claimed struct {
	msg      Message
	sealed   string
	attempts int
	expires  sql.NullInt64
}

// RunOnce claims one batch of due messages and delivers it. It returns how
// many messages it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.defaults()
	batch, err := w.claim(ctx)
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, c := range batch {
		wg.Go(func() { w.deliver(context.WithoutCancel(ctx), c) })
	}
	wg.Wait()
	return len(batch), nil
}

func (w *Worker) claim(ctx context.Context) ([]claimed, error) {
	now := store.Millis(w.Clock.Now())
	rows, err := w.DB.QueryContext(ctx, `UPDATE outbox SET state = 'sending', lease_until = $1, attempts = attempts + 1
		WHERE id IN (SELECT id FROM outbox
			WHERE (state = 'pending' AND next_attempt_at <= $2) OR (state = 'sending' AND lease_until <= $2)
			ORDER BY next_attempt_at LIMIT $3`+w.DB.SkipLocked()+`)
		RETURNING id, channel, recipient, sealed, attempts, expires_at`,
		now+w.Lease.Milliseconds(), now, w.Batch)
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", store.Translate(err))
	}
	defer rows.Close()
	var batch []claimed
	for rows.Next() {
		var c claimed
		var ch string
		if err := rows.Scan(&c.msg.ID, &ch, &c.msg.To, &c.sealed, &c.attempts, &c.expires); err != nil {
			return nil, fmt.Errorf("outbox: claim: %w", err)
		}
		c.msg.Channel = Channel(ch)
		batch = append(batch, c)
	}
	return batch, rows.Err()
}

// deliver sends one claimed message and records the outcome. Every update
// is fenced by the attempt number, so a worker whose lease ran out cannot
// overwrite the outcome recorded by the worker that took over.
func (w *Worker) deliver(ctx context.Context, c claimed) {
	now := w.Clock.Now()
	if c.expires.Valid && store.Millis(now) >= c.expires.Int64 {
		w.finish(ctx, c, "expired", "UPDATE outbox SET state = 'expired', sealed = '', lease_until = NULL WHERE id = $1 AND attempts = $2")
		return
	}
	err := w.Queue.open(&c.msg, c.sealed)
	if err == nil {
		sender, ok := w.Senders[c.msg.Channel]
		if !ok {
			err = Permanent(fmt.Errorf("no sender for channel %s", c.msg.Channel))
		} else {
			sendCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			var providerID string
			providerID, err = sender.Send(sendCtx, c.msg)
			cancel()
			if err == nil {
				w.finish(ctx, c, "sent", `UPDATE outbox SET state = 'sent', sealed = '', lease_until = NULL,
					sent_at = $3, provider_id = $4, last_error = NULL WHERE id = $1 AND attempts = $2`,
					store.Millis(w.Clock.Now()), providerID)
				return
			}
		}
	} else {
		err = Permanent(err)
	}
	msg := truncate(err.Error(), 500)
	if IsPermanent(err) || c.attempts >= w.MaxAttempts {
		w.Log.Error("outbox: message failed for good", "id", c.msg.ID, "channel", c.msg.Channel, "attempts", c.attempts, "err", msg)
		w.finish(ctx, c, "failed", "UPDATE outbox SET state = 'failed', lease_until = NULL, last_error = $3 WHERE id = $1 AND attempts = $2", msg)
		return
	}
	next := now.Add(w.backoff(c.attempts))
	w.Log.Warn("outbox: delivery failed, will retry", "id", c.msg.ID, "channel", c.msg.Channel, "attempts", c.attempts, "next", next, "err", msg)
	w.finish(ctx, c, "retry", `UPDATE outbox SET state = 'pending', lease_until = NULL, last_error = $3, next_attempt_at = $4
		WHERE id = $1 AND attempts = $2`, msg, store.Millis(next))
}

func (w *Worker) finish(ctx context.Context, c claimed, outcome, query string, args ...any) {
	if _, err := w.DB.ExecContext(ctx, query, append([]any{c.msg.ID, c.attempts}, args...)...); err != nil {
		// The lease runs out and the message is tried again: delivered at
		// least once, never lost.
		w.Log.Error("outbox: record outcome", "id", c.msg.ID, "outcome", outcome, "err", err)
		return
	}
	if w.Observe != nil {
		w.Observe(c.msg.Channel, outcome)
	}
}

// backoff is exponential with full jitter in its upper half, capped.
func (w *Worker) backoff(attempts int) time.Duration {
	d := w.BaseBackoff << min(attempts-1, 30)
	if d <= 0 || d > w.MaxBackoff {
		d = w.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
