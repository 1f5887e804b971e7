package app

import (
	"context"
	"errors"
	"sync"
	"time"
)

// gaugesEvery is how often the gauges read from the database are refreshed
// (App.GaugesEvery); a Prometheus scrape interval is usually 15 to 60 s.
const gaugesEvery = 15 * time.Second

var (
	errNotRead = errors.New("metrics: not read from the database yet")
	errStale   = errors.New("metrics: the last reading from the database is stale")
)

// refresher is a reading that the background sampler refreshes.
type refresher interface{ refresh(ctx context.Context) }

// sample is a reading from the database that /metrics reports. The
// sampler refreshes it in the background every *every, so a scrape costs
// the database nothing and never waits for it, however many scrapers there
// are; with no interval it is read at each scrape instead (tests).
type sample[T any] struct {
	read  func(ctx context.Context) (T, error)
	every *time.Duration

	mu    sync.Mutex
	value T
	err   error
	at    time.Time // when it was last read (wall clock)
}

func newSample[T any](every *time.Duration, read func(ctx context.Context) (T, error)) *sample[T] {
	return &sample[T]{read: read, every: every}
}

func (s *sample[T]) refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	v, err := s.read(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.value, s.err, s.at = v, err, time.Now()
}

// get returns the latest reading. One older than three intervals (the
// sampler is stuck) is an error, so that its series are left out of the
// scrape instead of showing an old backlog as current.
func (s *sample[T]) get() (T, error) {
	every := *s.every
	if every <= 0 {
		s.refresh(context.Background())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var zero T
	switch {
	case s.at.IsZero():
		return zero, errNotRead
	case every > 0 && time.Since(s.at) > 3*every:
		return zero, errStale
	case s.err != nil:
		return zero, s.err
	}
	return s.value, nil
}

// sampleGauges refreshes the database gauges every GaugesEvery until ctx
// ends, the first time at once.
func (a *App) sampleGauges(ctx context.Context) {
	if a.GaugesEvery <= 0 {
		return
	}
	tick := time.NewTicker(a.GaugesEvery)
	defer tick.Stop()
	for {
		for _, s := range a.metrics.samples {
			s.refresh(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
