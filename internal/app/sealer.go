package app

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/store"
)

// sealEvery is how often the sealer looks for audit events to link into
// the chain. Appends do not wake it: an event is appended inside its
// action's transaction, before it is visible to anyone, so a wake-up then
// would find nothing. An idle look reads one empty partial index.
const sealEvery = 150 * time.Millisecond

// sealer links committed audit events into the chain until ctx ends, then
// once more, so that a clean stop leaves little unsealed (what it leaves,
// the next instance to run seals).
func (a *App) sealer(ctx context.Context) {
	tick := time.NewTicker(sealEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			if _, err := a.Audit.SealAll(last, a.DB); err != nil {
				a.Log.Warn("seal audit events at stop", "err", err)
			}
			return
		case <-tick.C:
		}
		// A full batch means more wait: go on without waiting for the tick.
		for {
			n, err := a.Audit.Seal(ctx, a.DB)
			if err != nil && !errors.Is(err, context.Canceled) {
				a.Log.Warn("seal audit events", "err", err)
			}
			if err != nil || n < audit.SealBatch {
				break
			}
		}
	}
}

// auditCollector reports the sealing backlog: events recorded but not yet
// linked into the chain, and the age of the oldest. A few for a fraction
// of a second are normal; a growing age means no instance seals.
type auditCollector struct {
	backlog         *sample[audit.Backlog]
	now             func() time.Time
	waiting, oldest *prometheus.Desc
}

func (m *metrics) auditCollector(db *store.DB, log *audit.Log, now func() time.Time, every *time.Duration) auditCollector {
	c := auditCollector{now: now,
		backlog: newSample(every, func(ctx context.Context) (audit.Backlog, error) { return log.Pending(ctx, db) }),
		waiting: prometheus.NewDesc("rebind_audit_unsealed_events", "Audit events recorded but not yet sealed into the hash chain. "+global, nil, nil),
		oldest: prometheus.NewDesc("rebind_audit_oldest_unsealed_seconds",
			"Age of the oldest audit event awaiting sealing (0 when none); alert when it stays above a few seconds. "+global, nil, nil)}
	m.samples = append(m.samples, c.backlog)
	return c
}

func (c auditCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.waiting; ch <- c.oldest }

func (c auditCollector) Collect(ch chan<- prometheus.Metric) {
	b, err := c.backlog.get()
	if err != nil {
		// Left out rather than failing the scrape: when the trail cannot be
		// read, rebind_audit_write_failures_total is the metric that must
		// still get through (the sealer logs the fault).
		return
	}
	age := 0.0
	if !b.Oldest.IsZero() {
		age = max(c.now().Sub(b.Oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(b.Events))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
}
