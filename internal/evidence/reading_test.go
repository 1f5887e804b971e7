package evidence_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// A reading is claimed under a lease, once; a lapsed lease lets another
// reader take it with the next attempt, and only that attempt's findings
// are recorded, appended to those of the submission; then nothing waits.
func TestReadingClaimAndFinish(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		app := f.submit(storetest.Account(t, db), 0x0f0f)
		if app.Reading != evidence.ReadPending {
			t.Fatalf("a new application's reading is %q", app.Reading)
		}
		before := len(app.Findings)
		c, ok, err := f.s.ClaimReading(ctx, db, time.Minute)
		if err != nil || !ok || c.Attempt != 1 || c.Application.ID != app.ID || len(c.Application.Files) != 1 {
			t.Fatalf("claim: %+v %v %v", c, ok, err)
		}
		if _, ok, err := f.s.ClaimReading(ctx, db, time.Minute); ok || err != nil {
			t.Fatalf("claimed twice within the lease: %v", err)
		}
		f.clk.Advance(time.Minute + time.Millisecond)
		again, ok, err := f.s.ClaimReading(ctx, db, time.Minute)
		if err != nil || !ok || again.Attempt != 2 {
			t.Fatalf("after the lease: %+v %v %v", again, ok, err)
		}
		found := []evidence.Finding{{Code: "screenshot_email_found", File: app.Files[0].ID, Detail: "read"},
			{Code: "screenshot_inbox", Flag: true, File: app.Files[0].ID, Detail: "an inbox"}}
		if ok, err := f.s.FinishReading(ctx, db, app.ID, c.Attempt, found); ok || err != nil {
			t.Fatalf("the first reader, whose lease lapsed, recorded its findings: %v", err)
		}
		if ok, err := f.s.FinishReading(ctx, db, app.ID, again.Attempt, found); !ok || err != nil {
			t.Fatalf("finish: %v %v", ok, err)
		}
		got, err := f.s.Get(ctx, db, app.ID)
		if err != nil || got.Reading != evidence.ReadDone || len(got.Findings) != before+2 ||
			got.Findings[before].Code != "screenshot_email_found" || !got.Findings[before+1].Flag {
			t.Fatalf("after the reading: %+v %v", got, err)
		}
		for i := range before {
			if got.Findings[i] != app.Findings[i] {
				t.Errorf("finding %d changed: %+v, was %+v", i, got.Findings[i], app.Findings[i])
			}
		}
		if ok, err := f.s.FinishReading(ctx, db, app.ID, again.Attempt, found); ok || err != nil {
			t.Fatalf("a reading recorded twice: %v", err)
		}
		f.clk.Advance(time.Hour)
		if _, ok, err := f.s.ClaimReading(ctx, db, time.Minute); ok || err != nil {
			t.Fatalf("a finished reading claimed again: %v", err)
		}
	})
}

// Appending works on findings stored as null, as an empty list, and
// appending nothing keeps them.
func TestReadingAppends(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		one := []evidence.Finding{{Code: "ocr_unavailable", Detail: "not installed"}}
		for _, stored := range []string{"null", "[]", `[{"code":"x","flag":true,"detail":"d"}]`} {
			for _, add := range [][]evidence.Finding{nil, one} {
				app := f.submit(storetest.Account(t, db), 0x1234)
				exec(t, db, "UPDATE applications SET findings = $1 WHERE id = $2", stored, app.ID)
				c, ok, err := f.s.ClaimReading(ctx, db, time.Minute)
				if err != nil || !ok {
					t.Fatalf("claim: %v %v", ok, err)
				}
				if ok, err := f.s.FinishReading(ctx, db, c.Application.ID, c.Attempt, add); !ok || err != nil {
					t.Fatalf("finish: %v %v", ok, err)
				}
				got, err := f.s.Get(ctx, db, c.Application.ID)
				want := map[string]int{}
				if stored[0] == '[' && len(stored) > 2 {
					want["x"] = 1
				}
				if add != nil {
					want["ocr_unavailable"] = 1
				}
				if err != nil || len(got.Findings) != len(want) || codes(got.Findings)["x"] != want["x"] ||
					codes(got.Findings)["ocr_unavailable"] != want["ocr_unavailable"] {
					t.Fatalf("stored %s, added %v: %+v %v", stored, add, got.Findings, err)
				}
			}
		}
	})
}

// Thirty readers claiming at once take each waiting application once
// (on PostgreSQL, the claim skips rows another is claiming).
func TestReadingClaimsAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		for range 5 {
			f.submit(storetest.Account(t, db), 0x4242)
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() {
				for {
					c, ok, err := f.s.ClaimReading(ctx, db, time.Hour)
					if err != nil {
						t.Error(err)
					}
					if !ok {
						return
					}
					mu.Lock()
					seen[c.Application.ID]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != 5 {
			t.Fatalf("%d applications claimed, want 5", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("application %s claimed %d times", id, n)
			}
		}
	})
}
