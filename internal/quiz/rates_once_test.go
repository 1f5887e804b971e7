package quiz_test

import (
	"context"
	"sync"
	"testing"

	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// Requests that find no base rates wait for one estimate instead of each
// making its own: at a million accounts an estimate takes seconds, and a
// burst of resets after a start made as many estimates as requests.
func TestOneEstimateForASimultaneousColdStart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		generated(t, db, 7, 0, 60)
		s := service(t, clock.NewFake(now))
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				r, err := s.Rates(context.Background(), db)
				if err != nil || len(r) == 0 {
					t.Errorf("rates: %v (%d kinds)", err, len(r))
				}
			})
		}
		wg.Wait()
		if n := quiz.EstimatesStarted(s); n != 1 {
			t.Fatalf("%d estimates for 20 simultaneous requests on a cold cache, want 1", n)
		}
	})
}
