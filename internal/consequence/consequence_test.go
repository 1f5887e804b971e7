package consequence_test

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/change"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/consequence"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/notify"
	"github.com/rebindhq/rebind/internal/notify/notifytest"
	"github.com/rebindhq/rebind/internal/pwreset"
	"github.com/rebindhq/rebind/internal/session"
	"github.com/rebindhq/rebind/internal/stoplink"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

type fixture struct {
	db       *store.DB
	svc      *consequence.Service
	links    *stoplink.Service
	sessions *session.Manager
	flows    *flow.Store
	account  string
}

func setup(t *testing.T, db *store.DB) fixture {
	t.Helper()
	clk := clock.NewFake(now)
	_, notifier := notifytest.New(t, clk)
	f := fixture{db: db, sessions: session.NewManager(clk, time.Hour, 24*time.Hour), flows: flow.NewStore(clk)}
	f.links = &stoplink.Service{DB: db, Clock: clk, Notifier: notifier}
	f.svc = &consequence.Service{Clock: clk, Accounts: account.NewStore(clk), Flows: f.flows, Holds: hold.NewStore(clk),
		Sessions: f.sessions, Links: f.links, Notifier: notifier, Audit: audit.New(clk)}
	f.links.Freeze = f.svc.Freeze
	f.account = storetest.Account(t, db)
	return f
}

// Every consequence a change asks for happens in the caller's transaction,
// and only those: here all of them, with the caller's flow and session
// spared.
func TestApplyDoesWhatTheChangeSays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		if _, _, err := f.sessions.Create(ctx, db, f.account, "203.0.113.1", "test"); err != nil {
			t.Fatal(err)
		}
		var keptID string
		if err := db.QueryRowContext(ctx, "SELECT id FROM sessions WHERE account_id = $1", f.account).Scan(&keptID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.sessions.Create(ctx, db, f.account, "203.0.113.2", "test"); err != nil {
			t.Fatal(err)
		}
		own, err := f.flows.Create(ctx, db, change.ChangeMachine, f.account, "203.0.113.1", nil)
		if err != nil {
			t.Fatal(err)
		}
		other, err := f.flows.Create(ctx, db, pwreset.Machine, f.account, "203.0.113.1", nil)
		if err != nil {
			t.Fatal(err)
		}
		var out consequence.Outcome
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			out, err = f.svc.Apply(ctx, tx, consequence.Change{AccountID: f.account, FlowID: own.ID,
				Hold: hold.MobileChange, HoldFor: 24 * time.Hour, Sessions: consequence.EndOtherSessions, Session: keptID,
				CancelFlows: true, Link: "mobile_change", Notice: notify.Notice{Event: notify.MobileChanged, Mobile: "+65 •••• 4567"},
				Mobile: "+6581234567", Actor: audit.ActorUser, Action: audit.MobileChangeCompleted, Result: audit.OK,
				Detail: map[string]string{"mobile": "+65 •••• 4567"}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !out.HoldUntil.Equal(now.Add(24*time.Hour)) || out.SessionsEnded != 1 || out.FlowsCancelled != 1 ||
			!strings.HasPrefix(out.Link, "https://rebind.example/") {
			t.Fatalf("outcome %+v", out)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM sessions WHERE account_id = $1 AND id = $2", f.account, keptID); n != 1 {
			t.Error("the caller's session ended")
		}
		states := map[string]string{}
		for _, id := range []string{own.ID, other.ID} {
			states[id] = storetest.Value[string](t, db, "SELECT state FROM flows WHERE id = $1", id)
		}
		if states[own.ID] == string(flow.Cancelled) || states[other.ID] != string(flow.Cancelled) {
			t.Errorf("flow states %v: want the caller's open and the other cancelled", states)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM holds WHERE account_id = $1 AND reason = 'mobile_change'", f.account); n != 1 {
			t.Errorf("%d holds", n)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM stop_tokens WHERE account_id = $1 AND event = 'mobile_change'", f.account); n != 1 {
			t.Errorf("%d links", n)
		}
		for ch, to := range map[string]string{"email": f.account + "@example.com", "sms": "+6581234567"} {
			if n := storetest.Count(t, db, "SELECT count(*) FROM outbox WHERE channel = $1 AND recipient = $2 AND template = 'mobile_changed'", ch, to); n != 1 {
				t.Errorf("%d %s notices to %s", n, ch, to)
			}
		}
		detail := storetest.Value[string](t, db, "SELECT detail FROM audit_events WHERE action = 'mobile_change_completed' AND flow_id = $1", own.ID)
		for _, want := range []string{`"sessions_ended":"1"`, `"flows_cancelled":"1"`, `"hold_until"`, `"mobile"`} {
			if !strings.Contains(detail, want) {
				t.Errorf("audit detail %s lacks %s", detail, want)
			}
		}
	})
}

// A change that asks for nothing but its audit event gets nothing else:
// no hold, no session ended, no flow cancelled, no link, no message.
func TestApplyDoesNoMoreThanAsked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		if _, _, err := f.sessions.Create(ctx, db, f.account, "203.0.113.1", "test"); err != nil {
			t.Fatal(err)
		}
		open, err := f.flows.Create(ctx, db, pwreset.Machine, f.account, "203.0.113.1", nil)
		if err != nil {
			t.Fatal(err)
		}
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := f.svc.Apply(ctx, tx, consequence.Change{AccountID: f.account, Actor: audit.ActorUser,
				Action: audit.ResetEmailVerified, Result: audit.OK})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]int{
			"SELECT count(*) FROM sessions WHERE account_id = $1":     1,
			"SELECT count(*) FROM holds WHERE account_id = $1":        0,
			"SELECT count(*) FROM stop_tokens WHERE account_id = $1":  0,
			"SELECT count(*) FROM outbox WHERE recipient LIKE $1":     0,
			"SELECT count(*) FROM audit_events WHERE account_id = $1": 1,
		} {
			arg := f.account
			if strings.Contains(q, "LIKE") {
				arg = f.account + "%"
			}
			if n := storetest.Count(t, db, q, arg); n != want {
				t.Errorf("%s: %d, want %d", q, n, want)
			}
		}
		if s := storetest.Value[string](t, db, "SELECT state FROM flows WHERE id = $1", open.ID); s == string(flow.Cancelled) {
			t.Error("an open flow was cancelled")
		}
	})
}

// A failed step undoes the whole change: an unknown audit action fails
// Apply, and the transaction leaves no hold, link or message behind.
func TestApplyIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := f.svc.Apply(ctx, tx, consequence.Change{AccountID: f.account, Hold: hold.PasswordReset, HoldFor: time.Hour,
				Link: "password_reset", Notice: notify.Notice{Event: notify.PasswordChanged}, Actor: audit.ActorUser,
				Action: "password_reset_complete", Result: audit.OK})
			return err
		})
		if err == nil {
			t.Fatal("a change with an unknown audit action was applied")
		}
		for _, q := range []string{"SELECT count(*) FROM holds WHERE account_id = $1", "SELECT count(*) FROM stop_tokens WHERE account_id = $1",
			"SELECT count(*) FROM audit_events WHERE account_id = $1"} {
			if n := storetest.Count(t, db, q, f.account); n != 0 {
				t.Errorf("%s: %d left behind", q, n)
			}
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM outbox"); n != 0 {
			t.Errorf("%d messages left behind", n)
		}
	})
}

// "This wasn't me": using a link freezes the account, cancels its flows,
// ends its sessions and tells the owner, once however often it is used.
func TestFreezeOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		if _, _, err := f.sessions.Create(ctx, db, f.account, "203.0.113.1", "test"); err != nil {
			t.Fatal(err)
		}
		open, err := f.flows.Create(ctx, db, pwreset.Machine, f.account, "203.0.113.1", nil)
		if err != nil {
			t.Fatal(err)
		}
		link, err := f.links.Create(ctx, db, f.account, "password_reset")
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := f.links.Use(ctx, u.Query().Get("t")); err != nil {
				t.Fatal(err)
			}
		}
		if a, err := account.NewStore(clock.NewFake(now)).ByID(ctx, db, f.account); err != nil || !a.Frozen {
			t.Errorf("the account is not frozen (%v)", err)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM sessions WHERE account_id = $1", f.account); n != 0 {
			t.Errorf("%d sessions left", n)
		}
		if s := storetest.Value[string](t, db, "SELECT state FROM flows WHERE id = $1", open.ID); s != string(flow.Cancelled) {
			t.Errorf("the open flow is %s", s)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM outbox WHERE template = 'account_frozen'"); n != 1 {
			t.Errorf("%d frozen notices, want 1", n)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM audit_events WHERE action = 'account_frozen_by_owner'"); n != 1 {
			t.Errorf("%d freeze events, want 1", n)
		}
	})
}
