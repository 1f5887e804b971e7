package pwreset_test

import (
	"bytes"
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/consequence"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/notify/notifytest"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/pwreset"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/session"
	"github.com/rebindhq/rebind/internal/stoplink"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
	"github.com/rebindhq/rebind/internal/token"
)

const (
	oldPW  = "tangerine-orbit-42"
	newPW  = "marmalade-comet-77"
	email  = "owner@example.com"
	mobile = "+6581234567"
	holdOf = 24 * time.Hour
)

type fixture struct {
	db       *store.DB
	clk      *clock.Fake
	svc      *pwreset.Service
	sessions *session.Manager
	holds    *hold.Store
	worker   *outbox.Worker
	account  account.Account
}

// setup builds the password reset as the app does, over db, with an
// account whose mobile is bound.
func setup(t *testing.T, db *store.DB) fixture {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	queue, notifier := notifytest.New(t, clk)
	hasher := password.NewHasher(password.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)
	hash, err := hasher.Hash(ctx, oldPW)
	if err != nil {
		t.Fatal(err)
	}
	accounts := account.NewStore(clk)
	a, err := accounts.Create(ctx, db, account.New{Email: email, PasswordHash: hash, Mobile: mobile, MobileVerification: true})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{db: db, clk: clk, account: a, sessions: session.NewManager(clk, time.Hour, 24*time.Hour), holds: hold.NewStore(clk)}
	flows, limiter, log := flow.NewStore(clk), ratelimit.New(clk), audit.New(clk)
	links := &stoplink.Service{DB: db, Clock: clk, Notifier: notifier}
	consequences := &consequence.Service{Clock: clk, Accounts: accounts, Flows: flows, Holds: f.holds, Sessions: f.sessions,
		Links: links, Notifier: notifier, Audit: log}
	links.Freeze = consequences.Freeze
	f.svc = &pwreset.Service{DB: db, Clock: clk, Accounts: accounts, Hasher: hasher, Limiter: limiter, Flows: flows, Audit: log,
		Codes: code.New(clk, keys.Set{bytes.Repeat([]byte{2}, 32)}, code.DefaultRules, limiter, notifier), Consequences: consequences, Hold: holdOf}
	dev := outbox.DevSender{DB: db, Clock: clk}
	f.worker = &outbox.Worker{DB: db, Queue: queue, Clock: clk, Senders: map[outbox.Channel]outbox.Sender{outbox.Email: dev, outbox.SMS: dev}}
	return f
}

func from(ip string) context.Context {
	return client.With(context.Background(), client.Info{IP: ip, UserAgent: "test"})
}

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

// lastCode delivers the outbox and returns the code in the newest message
// to "to".
func (f fixture) lastCode(t *testing.T, to string) string {
	t.Helper()
	f.deliver(t)
	msgs, err := outbox.DevMessages(context.Background(), f.db, to, 1)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("no message to %s: %v", to, err)
	}
	m := sixDigits.FindStringSubmatch(msgs[0].Body)
	if m == nil {
		t.Fatalf("no code in %q", msgs[0].Body)
	}
	return m[1]
}

func (f fixture) deliver(t *testing.T) {
	t.Helper()
	for {
		n, err := f.worker.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// rows counts the rows of every table.
func rows(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	list := "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
	if db.Dialect == store.SQLite {
		list = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	}
	r, err := db.QueryContext(context.Background(), list)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for r.Next() {
		var name string
		if err := r.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := r.Close(); err != nil || len(tables) < 10 {
		t.Fatalf("tables %v: %v", tables, err)
	}
	n := map[string]int{}
	for _, table := range tables {
		n[table] = storetest.Count(t, db, "SELECT count(*) FROM "+table)
	}
	return n
}

// added returns the tables that gained rows from before to after, and how
// many.
func added(before, after map[string]int) map[string]int {
	d := map[string]int{}
	for table, n := range after {
		if n != before[table] {
			d[table] = n - before[table]
		}
	}
	return d
}

// SPEC §3.4, SEC-ENUM-1: a reset for an email without an account answers
// as one for an account's email does (a flow id, a code to wait for) and
// writes the same rows to the same tables; only the account's email gets a
// message.
func TestKnownAndUnknownEmailsLookAlike(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		start := func(ip, address string) (string, pwreset.View, map[string]int) {
			before := rows(t, db)
			id, err := f.svc.Start(from(ip), address)
			if err != nil || !token.ValidID(id) {
				t.Fatalf("start for %s: %q %v", address, id, err)
			}
			view, err := f.svc.Status(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			return id, view, added(before, rows(t, db))
		}
		// From two addresses, so each start is the first its address's
		// limit counts.
		_, knownView, known := start("203.0.113.1", email)
		_, unknownView, unknown := start("203.0.113.2", "nobody@example.com")
		if !knownView.ResendAt.Equal(unknownView.ResendAt) || knownView.ResendAt.IsZero() {
			t.Errorf("views: known %+v, unknown %+v", knownView, unknownView)
		}
		if len(known) == 0 || len(known) != len(unknown) {
			t.Fatalf("rows added: known %v, unknown %v", known, unknown)
		}
		for table, n := range known {
			if unknown[table] != n {
				t.Errorf("rows added: known %v, unknown %v", known, unknown)
				break
			}
		}
		f.deliver(t)
		if n := storetest.Count(t, db, "SELECT count(*) FROM dev_messages WHERE recipient = $1", email); n != 1 {
			t.Errorf("%d messages to the account's email", n)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM dev_messages WHERE recipient = 'nobody@example.com'"); n != 0 {
			t.Errorf("%d messages to an email without an account", n)
		}
	})
}

// The right code and a strong password set the password, end every
// session, hold withdrawals for the configured time, complete the flow and
// tell the owner by email and SMS, with a "This wasn't me" link.
func TestConfirmSetsThePasswordEndsSessionsAndHolds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := from("203.0.113.1")
		for range 2 {
			if _, _, err := f.sessions.Create(ctx, db, f.account.ID, "203.0.113.1", "test"); err != nil {
				t.Fatal(err)
			}
		}
		id, err := f.svc.Start(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Confirm(ctx, id, f.lastCode(t, email), newPW); err != nil {
			t.Fatalf("confirm: %v", err)
		}
		hash := storetest.Value[string](t, db, "SELECT password_hash FROM accounts WHERE id = $1", f.account.ID)
		if ok, err := f.svc.Hasher.Verify(ctx, newPW, hash); !ok || err != nil {
			t.Errorf("the new password does not verify: %v", err)
		}
		if ok, _ := f.svc.Hasher.Verify(ctx, oldPW, hash); ok {
			t.Error("the old password still verifies")
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM sessions WHERE account_id = $1", f.account.ID); n != 0 {
			t.Errorf("%d sessions outlived the reset", n)
		}
		e, err := f.holds.WithdrawalEligibility(ctx, db, f.account.ID)
		if err != nil || e.Allowed || e.Until == nil || !e.Until.Equal(f.clk.Now().Add(holdOf)) {
			t.Errorf("withdrawals after the reset: %+v %v", e, err)
		}
		if state := storetest.Value[string](t, db, "SELECT state FROM flows WHERE id = $1", id); state != string(flow.Completed) {
			t.Errorf("the reset is %s", state)
		}
		for ch, to := range map[string]string{"email": email, "sms": mobile} {
			if n := storetest.Count(t, db, "SELECT count(*) FROM outbox WHERE channel = $1 AND recipient = $2 AND template = 'password_changed'", ch, to); n != 1 {
				t.Errorf("%d %s notices", n, ch)
			}
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM stop_tokens WHERE account_id = $1 AND event = 'password_reset'", f.account.ID); n != 1 {
			t.Errorf("%d This-wasn't-me links", n)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM audit_events WHERE action = $1 AND flow_id = $2", audit.PasswordResetDone, id); n != 1 {
			t.Errorf("%d completions audited", n)
		}
		if err := f.svc.Confirm(ctx, id, "000000", "another-strong-phrase-9"); err == nil {
			t.Error("a completed reset was confirmed again")
		}
	})
}

// A wrong code uses one of the code's entries and is audited, and changes
// nothing; an unknown email's reset refuses every code alike. A weak
// password is refused before the code is looked at.
func TestWrongCodeCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := from("203.0.113.1")
		id, err := f.svc.Start(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		right := f.lastCode(t, email)
		wrong := []byte(right)
		wrong[5] = '0' + (wrong[5]-'0'+1)%10
		if err := f.svc.Confirm(ctx, id, right, "password"); !apperr.Is(err, apperr.InvalidRequest) {
			t.Fatalf("a weak password: %v", err)
		}
		err = f.svc.Confirm(ctx, id, string(wrong), newPW)
		if !apperr.Is(err, apperr.InvalidCode) || apperr.As(err).Fields["attempts_left"] != code.DefaultRules.MaxAttempts-1 {
			t.Fatalf("a wrong code: %v %v", err, apperr.As(err).Fields)
		}
		if n := storetest.Count(t, db, "SELECT attempts FROM codes WHERE flow_id = $1", id); n != 1 {
			t.Errorf("%d entries used, want 1 (the weak password's none)", n)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM audit_events WHERE action = $1 AND flow_id = $2", audit.AuthnCodeFail, id); n != 1 {
			t.Errorf("%d wrong codes audited", n)
		}
		hash := storetest.Value[string](t, db, "SELECT password_hash FROM accounts WHERE id = $1", f.account.ID)
		if ok, _ := f.svc.Hasher.Verify(ctx, oldPW, hash); !ok {
			t.Error("a wrong code changed the password")
		}
		ghost, err := f.svc.Start(from("203.0.113.2"), "nobody@example.com")
		if err != nil {
			t.Fatal(err)
		}
		err = f.svc.Confirm(ctx, ghost, right, newPW)
		if !apperr.Is(err, apperr.InvalidCode) || apperr.As(err).Fields["attempts_left"] != code.DefaultRules.MaxAttempts-1 {
			t.Fatalf("a code for an email without an account: %v %v", err, apperr.As(err).Fields)
		}
		if err := f.svc.Confirm(ctx, id, right, newPW); err != nil {
			t.Fatalf("the right code after a wrong one: %v", err)
		}
	})
}
