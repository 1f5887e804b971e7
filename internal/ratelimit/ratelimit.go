// Package ratelimit counts events in fixed time windows in the database, so
// a limit holds across every instance of the server. Each count is one
// conditional statement: the row is created or incremented only while it is
// under the limit, so concurrent requests can never overrun it.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
)

// Rule is a limit of Limit events per Window. Windows are aligned to the Unix
// epoch (a day window runs midnight to midnight UTC), so up to twice the
// limit can pass in a short span across a window boundary; the rules are
// sized with that in mind.
type Rule struct {
	Name   string
	Limit  int
	Window time.Duration
	// Refusal says what was refused, for the error's message; the wait is
	// added to it. Empty means "too many requests".
	Refusal string
}

func (r Rule) String() string { return fmt.Sprintf("%s(%d/%s)", r.Name, r.Limit, r.Window) }

// Limiter takes events from rules.
type Limiter struct {
	clock clock.Clock
	// OnRefuse, when set, is told the name of the rule of every refusal,
	// when it is made: the request was refused whether or not the
	// caller's transaction commits.
	OnRefuse func(rule string)
}

// New returns a limiter that reads time from c.
func New(c clock.Clock) *Limiter { return &Limiter{clock: c} }

const takeSQL = `INSERT INTO rate_counters (key, window_start, count, expires_at) VALUES ($1, $2, 1, $3)
ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1
WHERE rate_counters.count < $4
RETURNING count`

const giveBackSQL = `UPDATE rate_counters SET count = count - 1 WHERE key = $1 AND window_start = $2 AND count > 0`

// Take records one event for subject under every rule, or none of them: if
// any rule is at its limit the events already counted in this call are given
// back and the error is rate_limited with the wait until that rule's window
// ends. Run it in the transaction of the action it guards, so the count and
// the action commit together.
func (l *Limiter) Take(ctx context.Context, q store.Querier, subject string, rules ...Rule) error {
	now := l.clock.Now()
	for i, r := range rules {
		key, start, end := l.slot(r, subject, now)
		var n int
		err := q.QueryRowContext(ctx, takeSQL, key, store.Millis(start), store.Millis(end), r.Limit).Scan(&n)
		if err == nil {
			continue
		}
		if !store.IsNoRows(err) {
			return fmt.Errorf("ratelimit: take %s: %w", r.Name, store.Translate(err))
		}
		for _, prev := range rules[:i] {
			pkey, pstart, _ := l.slot(prev, subject, now)
			if _, err := q.ExecContext(ctx, giveBackSQL, pkey, store.Millis(pstart)); err != nil {
				return fmt.Errorf("ratelimit: give back %s: %w", prev.Name, store.Translate(err))
			}
		}
		if l.OnRefuse != nil {
			l.OnRefuse(r.Name)
		}
		msg := r.Refusal
		if msg == "" {
			msg = "too many requests"
		}
		return apperr.RateLimit(msg, end.Sub(now)).
			With("limit", r.Name)
	}
	return nil
}

// GiveBack returns one event for subject under each rule, in the current
// window, for an action counted by Take that then never happened (the
// server shed it). A window that ended meanwhile is left alone.
func (l *Limiter) GiveBack(ctx context.Context, q store.Querier, subject string, rules ...Rule) error {
	now := l.clock.Now()
	for _, r := range rules {
		key, start, _ := l.slot(r, subject, now)
		if _, err := q.ExecContext(ctx, giveBackSQL, key, store.Millis(start)); err != nil {
			return fmt.Errorf("ratelimit: give back %s: %w", r.Name, store.Translate(err))
		}
	}
	return nil
}

// Remaining returns how many events rule still allows for subject in the
// current window. It is for display; Take is what enforces.
func (l *Limiter) Remaining(ctx context.Context, q store.Querier, subject string, r Rule) (int, error) {
	key, start, _ := l.slot(r, subject, l.clock.Now())
	var n int
	err := q.QueryRowContext(ctx, "SELECT count FROM rate_counters WHERE key = $1 AND window_start = $2", key, store.Millis(start)).Scan(&n)
	if err != nil && !store.IsNoRows(err) {
		return 0, fmt.Errorf("ratelimit: remaining: %w", store.Translate(err))
	}
	return max(r.Limit-n, 0), nil
}

// slot returns the stored key and the window around now. Subjects (emails,
// numbers, addresses) are stored hashed: counters need no personal data.
func (l *Limiter) slot(r Rule, subject string, now time.Time) (key string, start, end time.Time) {
	sum := sha256.Sum256([]byte(r.Name + "\x00" + subject))
	key = r.Name + ":" + hex.EncodeToString(sum[:16])
	w := r.Window.Milliseconds()
	startMs := store.Millis(now) / w * w
	start = store.Time(startMs)
	return key, start, start.Add(r.Window)
}

// Purge deletes counters whose window has ended.
func (l *Limiter) Purge(ctx context.Context, q store.Querier) (int64, error) {
	res, err := q.ExecContext(ctx, "DELETE FROM rate_counters WHERE expires_at <= $1", store.Millis(l.clock.Now()))
	if err != nil {
		return 0, fmt.Errorf("ratelimit: purge: %w", store.Translate(err))
	}
	return res.RowsAffected()
}
