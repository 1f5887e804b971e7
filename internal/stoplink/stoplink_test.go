package stoplink_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/notify"
	"github.com/rebindhq/rebind/internal/notify/notifytest"
	"github.com/rebindhq/rebind/internal/stoplink"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// The real Freeze is consequence.Service.Freeze, tested in
// internal/consequence; here it is a stub that counts its calls.
type fixture struct {
	db      *store.DB
	clk     *clock.Fake
	svc     *stoplink.Service
	account string
	// frozen counts Freeze's calls; fail makes the next ones fail.
	frozen atomic.Int32
	fail   atomic.Bool
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	_, notifier := notifytest.New(t, clk)
	f := &fixture{db: db, clk: clk, account: storetest.Account(t, db)}
	f.svc = &stoplink.Service{DB: db, Clock: clk, Notifier: notifier,
		Freeze: func(ctx context.Context, tx *sql.Tx, l stoplink.Link) error {
			if f.fail.Load() {
				return errors.New("freeze failed")
			}
			if l.AccountID != f.account || l.Event != "password_reset" {
				t.Errorf("Freeze got %+v", l)
			}
			f.frozen.Add(1)
			return nil
		}}
	return f
}

// create makes a link for the fixture's account and returns its token.
func (f *fixture) create(t *testing.T) string {
	t.Helper()
	var link string
	err := f.db.Tx(context.Background(), func(tx *sql.Tx) error {
		var err error
		link, err = f.svc.Create(context.Background(), tx, f.account, "password_reset")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "https" || u.Host != "rebind.example" || u.Path != notify.StopPath {
		t.Fatalf("link %q: %v", link, err)
	}
	return u.Query().Get("t")
}

// A link names its account and event until it is used, and is stored only
// as a digest of its token.
func TestCreateAndCheck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		tok := f.create(t)
		l, err := f.svc.Check(context.Background(), tok)
		if err != nil || l.AccountID != f.account || l.Event != "password_reset" || l.Used {
			t.Fatalf("check: %+v %v", l, err)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM stop_tokens WHERE token_hash = $1", tok); n != 0 {
			t.Error("the token is stored as it is")
		}
		if n := f.frozen.Load(); n != 0 {
			t.Errorf("checking froze %d times", n)
		}
		for _, bad := range []string{"", "not-a-token", strings.Repeat("a", 26), tok[:len(tok)-1]} {
			if _, err := f.svc.Check(context.Background(), bad); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("check %q: %v, want not_found", bad, err)
			}
		}
	})
}

// A link past stoplink.TTL is not_found, to Check and to Use, and freezes
// nothing.
func TestExpiredLinkIsNotFound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		tok := f.create(t)
		f.clk.Advance(stoplink.TTL - time.Second)
		if _, err := f.svc.Check(context.Background(), tok); err != nil {
			t.Fatalf("a second before it expires: %v", err)
		}
		f.clk.Advance(time.Second)
		if _, err := f.svc.Check(context.Background(), tok); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("check an expired link: %v", err)
		}
		if _, err := f.svc.Use(context.Background(), tok); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("use an expired link: %v", err)
		}
		if n := f.frozen.Load(); n != 0 {
			t.Errorf("an expired link froze %d times", n)
		}
	})
}

// Using a link runs Freeze once, however often it is used, one after
// another or at once; a Freeze that fails leaves the link unused.
func TestUsingTwiceFreezesOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		tok := f.create(t)
		f.fail.Store(true)
		if _, err := f.svc.Use(ctx, tok); err == nil {
			t.Fatal("a failed freeze was not reported")
		}
		if l, _ := f.svc.Check(ctx, tok); l.Used {
			t.Fatal("a failed freeze used the link")
		}
		f.fail.Store(false)
		for range 2 {
			if _, err := f.svc.Use(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if l, err := f.svc.Check(ctx, tok); err != nil || !l.Used {
			t.Fatalf("after use: %+v %v", l, err)
		}
		if n := f.frozen.Load(); n != 1 {
			t.Fatalf("two uses froze %d times, want 1", n)
		}

		// Ten uses of a fresh link at once.
		f.frozen.Store(0)
		tok = f.create(t)
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for range 10 {
			wg.Go(func() {
				<-gate
				if _, err := f.svc.Use(ctx, tok); err != nil {
					t.Errorf("use: %v", err)
				}
			})
		}
		close(gate)
		wg.Wait()
		if n := f.frozen.Load(); n != 1 {
			t.Fatalf("ten uses at once froze %d times, want 1", n)
		}
	})
}
