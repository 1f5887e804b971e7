package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/store"
)

// The retention jobs' pace: a batch is small enough to hold its locks for
// milliseconds, and the first retry after a failure comes sooner than the
// next run would, then ever later.
const (
	retainBatch    = 500
	retainEvery    = 5 * time.Minute
	retainRetry    = 30 * time.Second
	retainMaxRetry = 30 * time.Minute
)

// purgeJob deletes the rows of one table past their retention, a batch at
// a time, through the table's owner.
type purgeJob struct {
	table string
	keep  time.Duration
	purge func(ctx context.Context, db *store.DB, before time.Time, limit int) (int64, error)
}

// retentionJobs are run in this order: a flow waits for its codes.
func (a *App) retentionJobs() []purgeJob {
	r := a.Config.Retention
	return []purgeJob{
		{"codes", r.Codes, code.Purge},
		{"flows", r.Flows, a.Flows.Purge},
		{"outbox", r.Outbox, outbox.Purge},
		{"sessions", r.Sessions, a.Sessions.Purge},
	}
}

// Purge runs every retention job once and returns the rows it deleted by
// table. Every instance runs it (retainer); two at once delete each row
// once. A job that fails does not stop the others.
func (a *App) Purge(ctx context.Context) (map[string]int64, error) {
	now := a.Clock.Now()
	purged := map[string]int64{}
	var errs []error
	var total int64
	for _, j := range a.retentionJobs() {
		n, err := a.purgeTable(ctx, j, now.Add(-j.keep))
		purged[j.table] = n
		total += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	if total > 0 {
		a.Log.Info("retention: purged rows past their period", "codes", purged["codes"], "flows", purged["flows"],
			"outbox", purged["outbox"], "sessions", purged["sessions"])
	}
	return purged, errors.Join(errs...)
}

// purgeTable deletes batches until one comes back short.
func (a *App) purgeTable(ctx context.Context, j purgeJob, before time.Time) (int64, error) {
	batch := a.RetainBatch
	if batch <= 0 {
		batch = retainBatch
	}
	var total int64
	for {
		n, err := j.purge(ctx, a.DB, before, batch)
		if n > 0 {
			total += n
			a.metrics.purged.WithLabelValues(j.table).Add(float64(n))
			a.Log.Debug("retention: purged a batch", "table", j.table, "rows", n)
		}
		if err != nil || n < int64(batch) || ctx.Err() != nil {
			return total, err
		}
	}
}

// retainer runs Purge every RetainEvery until ctx ends. The first run waits
// one period: a start has enough to do, and a server restarted in a crash
// loop does not purge on every start.
func (a *App) retainer(ctx context.Context) {
	if a.RetainEvery <= 0 {
		return
	}
	var o outage
	wait := a.RetainEvery
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		_, err := a.Purge(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			a.metrics.retainFailures.Inc()
		}
		wait = o.next(a.Log, err, a.RetainEvery)
	}
}

// outage turns the results of the retention runs into one log line when
// they start failing and one when they succeed again, however many runs
// fail in between (a database outage), and the wait before the next run:
// the period while they succeed, else from retainRetry doubling up to
// retainMaxRetry.
type outage struct{ failures int }

func (o *outage) next(log *slog.Logger, err error, every time.Duration) time.Duration {
	if err == nil {
		if o.failures > 0 {
			log.Info("retention: purging again", "failed_runs", o.failures)
		}
		o.failures = 0
		return every
	}
	o.failures++
	if o.failures == 1 {
		log.Error("retention: purge failed; retrying with backoff, logged again once it succeeds", "err", err)
	}
	wait := retainRetry << min(o.failures-1, 10)
	return min(wait, retainMaxRetry)
}
