package evidence_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
	"github.com/rebindhq/rebind/internal/token"
	"github.com/rebindhq/rebind/internal/upload"
)

type fixture struct {
	t   *testing.T
	db  *store.DB
	s   *evidence.Store
	clk *clock.Fake
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	clk := clock.NewFake(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	return &fixture{t: t, db: db, s: evidence.NewStore(clk), clk: clk}
}

// submit stores an application of account with one photo of hash and
// returns it.
func (f *fixture) submit(accountID string, hash uint64) evidence.Application {
	f.t.Helper()
	return f.submitFile(accountID, evidence.SelfieWithStatement, hash, token.NewID())
}

// submitFile stores an application of account with one picture of kind,
// perceptual hash and SHA-256, and returns it.
func (f *fixture) submitFile(accountID string, kind evidence.Kind, hash uint64, sum string) evidence.Application {
	f.t.Helper()
	ctx := context.Background()
	flowID, blobID := token.NewID(), token.NewID()
	exec(f.t, f.db, `INSERT INTO flows (id, kind, account_id, state, created_at, updated_at, expires_at, ip)
		VALUES ($1, 'mobile_reset', $2, 'under_review', 0, 0, 0, '')`, flowID, accountID)
	exec(f.t, f.db, `INSERT INTO blob_keys (id, wrapped_key, sha256, created_at) VALUES ($1, 'k', 'x', 0)`, blobID)
	file, err := f.s.AddFile(ctx, f.db, evidence.File{FlowID: flowID, AccountID: accountID, Kind: kind,
		BlobID: blobID, MIME: "image/png", Width: 500, Height: 500, SHA256: sum, PHash: hash,
		Meta: upload.Findings{HasCameraMetadata: true}})
	if err != nil {
		f.t.Fatal(err)
	}
	app := evidence.Application{FlowID: flowID, AccountID: accountID, Class: evidence.NonKYCNoRecords, ReferenceCode: "ABCD-EFGH",
		ApplicationDate: "2026-11-30", SubmittedAt: f.clk.Now(), Deadline: f.clk.Now().Add(time.Hour), Files: []evidence.File{file}}
	if app.Findings, err = f.s.Assess(ctx, f.db, app); err != nil {
		f.t.Fatal(err)
	}
	err = f.db.Tx(ctx, func(tx *sql.Tx) error {
		app, err = f.s.Create(ctx, tx, app, token.NewID())
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return app
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func codes(fs []evidence.Finding) map[string]int {
	out := map[string]int{}
	for _, f := range fs {
		out[f.Code]++
	}
	return out
}

// A picture within SimilarBits of one in another account's application is
// flagged, as is one from this account's rejected application; a picture
// further away, or from this account's cancelled application, is not. The
// band index must find every pair within the bound: the 6-bit change below
// touches six of the eight bands.
func TestSimilarPictures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		const h = 0x0123456789abcdef
		six := uint64(h ^ 0x0001010101010100) // 6 bits, in 6 bands
		const g = 0x5555aaaa5555aaaa
		eight := uint64(g ^ 0x0101010101010101) // 8 bits, one in each band
		other, owner := storetest.Account(t, db), storetest.Account(t, db)
		f.submit(other, h)
		f.submit(storetest.Account(t, db), g)

		if got := codes(f.submit(storetest.Account(t, db), eight).Findings); got["picture_in_other_account"] != 0 {
			t.Fatalf("8 bits away (before the 6-bit one): findings %v, want none", got)
		}
		if got := codes(f.submit(owner, six).Findings); got["picture_in_other_account"] != 1 {
			t.Fatalf("6 bits from another account's picture: findings %v, want picture_in_other_account", got)
		}

		mine := storetest.Account(t, db)
		rejected := f.submit(mine, 0xfedcba9876543210)
		if _, ok, err := f.s.End(ctx, db, rejected.ID, evidence.Ending{State: evidence.Rejected, Reason: "other"}); err != nil || !ok {
			t.Fatalf("reject: %v %v", ok, err)
		}
		cancelled := f.submit(mine, 0x1111111111111111)
		if _, err := f.s.CancelFlows(ctx, db, []string{cancelled.FlowID}); err != nil {
			t.Fatal(err)
		}
		again := f.submit(mine, 0xfedcba9876543210)
		if got := codes(again.Findings); got["picture_from_rejected_application"] != 1 || got["picture_in_other_account"] != 0 {
			t.Fatalf("picture of own rejected application: findings %v", got)
		}
		if _, err := f.s.CancelFlows(ctx, db, []string{again.FlowID}); err != nil {
			t.Fatal(err)
		}
		if got := codes(f.submit(mine, 0x1111111111111111).Findings); len(got) != 0 {
			t.Fatalf("picture of own cancelled application: findings %v, want none", got)
		}
	})
}

// An application ends once: of 30 concurrent endings (decisions and an
// expiry racing) exactly one changes it, and the account's open key is
// freed for a new application.
func TestEndOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		acct := storetest.Account(t, db)
		app := f.submit(acct, 42)
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := map[evidence.State]int{}
		for i := range 30 {
			wg.Go(func() {
				st := []evidence.State{evidence.Approved, evidence.Rejected, evidence.Expired}[i%3]
				_, ok, err := f.s.End(context.Background(), db, app.ID, evidence.Ending{State: st, By: fmt.Sprint(i)})
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					won[st]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		total := 0
		for _, n := range won {
			total += n
		}
		if total != 1 {
			t.Fatalf("%d endings took effect (%v), want 1", total, won)
		}
		if n := storetest.Count(t, db, "SELECT COUNT(*) FROM applications WHERE account_id = $1 AND open_key IS NOT NULL", acct); n != 0 {
			t.Fatalf("%d open keys after the end", n)
		}
		f.submit(acct, 43) // the account may apply again
	})
}

// Screenshots of one template (every notification email of the exchange)
// are one picture to the perceptual hash: a screenshot counts as reused
// only when it is the same stored file, byte for byte.
func TestScreenshotsReusedOnlyWhenTheSameFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		const h = 0x0f0f0f0f0f0f0f0f
		f.submitFile(storetest.Account(t, db), evidence.EmailScreenshot, h, "sum-one")
		if got := codes(f.submitFile(storetest.Account(t, db), evidence.EmailScreenshot, h^1, "sum-two").Findings); len(got) != 0 {
			t.Fatalf("another account's screenshot of the same template: findings %v, want none", got)
		}
		if got := codes(f.submitFile(storetest.Account(t, db), evidence.EmailScreenshot, h, "sum-one").Findings); got["picture_in_other_account"] != 1 {
			t.Fatalf("another account's very screenshot: findings %v, want picture_in_other_account", got)
		}
		if got := codes(f.submitFile(storetest.Account(t, db), evidence.SelfieWithStatement, h, "sum-one").Findings); len(got) != 0 {
			t.Fatalf("a photo hashing like screenshots: findings %v, want none", got)
		}
	})
}
