package reset_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/reset"
)

// Ten uploads at once, one for each of ten resets, through the service as
// the server wires it: every picture is decoded by the server's one
// processor, which has one slot per CPU, and never more decodes run at
// once than it has slots; so the memory bound of docs/benchmarks.md holds
// however many uploads arrive (SEC-FILE-3, peak heap under load).
func TestTenUploadsAtOnceKeepToTheDecodingSlots(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		const n = 10
		flows := make([]string, n)
		for i := range flows {
			email := fmt.Sprintf("slot%d@example.com", i)
			s.CreateAccount(t, email, pw, fmt.Sprintf("+65812310%02d", i), false)
			flows[i] = s.ResetToMethod(t, email, pw)
		}
		p := s.Reset.Uploads
		before := p.Decodes()
		start := make(chan struct{})
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for i, flowID := range flows {
			// Large enough that a decode takes tens of milliseconds, so
			// that without the slots several would overlap.
			data := apptest.Picture(t, uint64(i+1), 1600, 1200)
			wg.Go(func() {
				<-start
				_, err := s.Reset.Upload(context.Background(), flowID, reset.Picture{Kind: evidence.EmailScreenshot, Data: data})
				errs <- err
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if got := p.Decodes() - before; got != n {
			t.Errorf("%d decodes for %d uploads", got, n)
		}
		if p.Concurrency() != runtime.GOMAXPROCS(0) {
			t.Errorf("%d decoding slots, want one per CPU (%d)", p.Concurrency(), runtime.GOMAXPROCS(0))
		}
		if peak := p.PeakDecodes(); peak < 1 || peak > p.Concurrency() {
			t.Errorf("%d decodes at once with %d slots", peak, p.Concurrency())
		}
	})
}
