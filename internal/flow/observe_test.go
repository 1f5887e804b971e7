package flow_test

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"sync"
	"testing"

	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// Observe hears of each committed start, move and cancellation once, and
// of nothing a rolled-back step did: the counters built on it count what
// happened, not what was tried.
func TestObserveCountsOnlyCommitted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fs := flow.NewStore(clock.Real{})
		var mu sync.Mutex
		seen := map[string]int{}
		fs.Observe = func(k flow.Kind, e string) {
			mu.Lock()
			seen[string(k)+" "+e]++
			mu.Unlock()
		}
		acc := storetest.Account(t, db)
		f := create(t, db, fs, acc)
		failing := func(context.Context, *sql.Tx, flow.Flow) error { return errors.New("the effect failed") }
		if _, err := fs.Step(ctx, db, machine, f.ID, "one", nil, failing); err == nil {
			t.Fatal("a failed effect reported success")
		}
		if _, err := fs.Step(ctx, db, machine, f.ID, "one", nil, nil); err != nil {
			t.Fatal(err)
		}
		// A second flow of the exclusive kind cancels the first.
		create(t, db, fs, acc)
		want := map[string]int{"mobile_reset started": 2, "mobile_reset one": 1, "mobile_reset cancelled": 1}
		if !maps.Equal(seen, want) {
			t.Fatalf("observed %v, want %v", seen, want)
		}
		// Thirty simultaneous moves of one flow: one commits, one is told.
		g := create(t, db, fs, acc)
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() { fs.Step(ctx, db, machine, g.ID, "one", nil, nil) })
		}
		wg.Wait()
		if seen["mobile_reset one"] != 2 {
			t.Fatalf("30 simultaneous moves were observed %d times, want once", seen["mobile_reset one"]-1)
		}
	})
}
