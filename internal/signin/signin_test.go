package signin_test

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
	"github.com/rebindhq/rebind/internal/credential"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/notify/notifytest"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/session"
	"github.com/rebindhq/rebind/internal/signin"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

const (
	pw     = "tangerine-orbit-42"
	email  = "owner@example.com"
	mobile = "+6581234567"
)

type fixture struct {
	db      *store.DB
	clk     *clock.Fake
	svc     *signin.Service
	worker  *outbox.Worker
	account account.Account
}

// setup builds the sign-in service as the app does, over db, with an
// account whose second factor is its bound mobile.
func setup(t *testing.T, db *store.DB, rules code.Rules) fixture {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	queue, notifier := notifytest.New(t, clk)
	hasher := password.NewHasher(password.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)
	hash, err := hasher.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	accounts := account.NewStore(clk)
	a, err := accounts.Create(ctx, db, account.New{Email: email, PasswordHash: hash, Mobile: mobile, MobileVerification: true})
	if err != nil {
		t.Fatal(err)
	}
	limiter, log := ratelimit.New(clk), audit.New(clk)
	check := &credential.Checker{DB: db, Clock: clk, Accounts: accounts, Hasher: hasher, Limiter: limiter, Audit: log,
		DeviceKeys: keys.Set{bytes.Repeat([]byte{4}, 32)}}
	dev := outbox.DevSender{DB: db, Clock: clk}
	return fixture{db: db, clk: clk, account: a,
		svc: &signin.Service{DB: db, Clock: clk, Accounts: accounts, Check: check,
			Codes: code.New(clk, keys.Set{bytes.Repeat([]byte{2}, 32)}, rules, limiter, notifier),
			Flows: flow.NewStore(clk), Sessions: session.NewManager(clk, time.Hour, 24*time.Hour), Audit: log},
		worker: &outbox.Worker{DB: db, Queue: queue, Clock: clk, Senders: map[outbox.Channel]outbox.Sender{outbox.Email: dev, outbox.SMS: dev}},
	}
}

func ctxFrom(ip string) context.Context {
	return client.With(context.Background(), client.Info{IP: ip, UserAgent: "test"})
}

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

// lastCode delivers the outbox and returns the code in the newest message
// to "to".
func (f fixture) lastCode(t *testing.T, to string) string {
	t.Helper()
	for {
		n, err := f.worker.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
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

func (f fixture) events(t *testing.T, action audit.Action) int {
	t.Helper()
	return storetest.Count(t, f.db, "SELECT count(*) FROM audit_events WHERE action = $1 AND account_id = $2", action, f.account.ID)
}

// A sign-in: the right password opens a flow and sends the code to the
// bound mobile; the code starts a session (ending the browser's previous
// one), completes the flow, and cancels the account's open mobile reset
// (its owner holds the phone); the session ends on sign-out.
func TestSignInStartsASessionThatSignOutEnds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, code.DefaultRules)
		ctx := ctxFrom("203.0.113.7")
		if _, err := f.svc.Start(ctx, credential.Credentials{Email: email, Password: "not-" + pw}); !apperr.Is(err, apperr.InvalidCredentials) {
			t.Fatalf("a wrong password: %v", err)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM flows WHERE kind = 'login'"); n != 0 {
			t.Fatalf("a wrong password opened %d sign-ins", n)
		}
		p, err := f.svc.Start(ctx, credential.Credentials{Email: "Owner@Example.com", Password: pw})
		if err != nil || p.LoginID == "" || p.Method != "sms" || p.SentTo != "+65 ****4567" {
			t.Fatalf("start: %+v %v", p, err)
		}
		openReset, err := f.svc.Flows.Create(ctx, db, reset.Machine, f.account.ID, "203.0.113.8", nil)
		if err != nil {
			t.Fatal(err)
		}
		_, other, err := f.svc.Sessions.Create(ctx, db, f.account.ID, "198.51.100.2", "test")
		if err != nil {
			t.Fatal(err)
		}
		prevToken, _, err := f.svc.Sessions.Create(ctx, db, f.account.ID, "203.0.113.7", "test")
		if err != nil {
			t.Fatal(err)
		}
		signed, err := f.svc.Verify(ctx, p.LoginID, f.lastCode(t, mobile), prevToken)
		if err != nil || signed.Token == "" || signed.Device == "" || !signed.ExpiresAt.Equal(f.clk.Now().Add(time.Hour)) {
			t.Fatalf("verify: %+v %v", signed, err)
		}
		if _, err := f.svc.Sessions.Lookup(ctx, db, prevToken); !apperr.Is(err, apperr.Unauthorized) {
			t.Errorf("the browser's previous session outlived the sign-in: %v", err)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM sessions WHERE id = $1", other.ID); n != 1 {
			t.Errorf("a session of another browser ended at sign-in")
		}
		sess, a, err := f.svc.Current(ctx, signed.Token)
		if err != nil || a.ID != f.account.ID || sess.ID != signed.Session.ID {
			t.Fatalf("current: %+v %v", sess, err)
		}
		if state := storetest.Value[string](t, db, "SELECT state FROM flows WHERE id = $1", p.LoginID); state != string(flow.Completed) {
			t.Errorf("the sign-in is %s after its code", state)
		}
		if state := storetest.Value[string](t, db, "SELECT state FROM flows WHERE id = $1", openReset.ID); state != string(flow.Cancelled) {
			t.Errorf("the open reset is %s after an SMS sign-in", state)
		}
		if _, err := f.svc.Verify(ctx, p.LoginID, "000000", ""); err == nil {
			t.Fatal("a completed sign-in was verified again")
		}
		if err := f.svc.SignOut(ctx, signed.Token); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Current(ctx, signed.Token); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("after sign-out: %v", err)
		}
		if err := f.svc.SignOut(ctx, signed.Token); !apperr.Is(err, apperr.Unauthorized) {
			t.Errorf("signing out twice: %v", err)
		}
		for action, want := range map[audit.Action]int{audit.AuthnPasswordOK: 1, audit.AuthnCodeSent: 1, audit.AuthnLoginSuccess: 1, audit.SessionRevoked: 1} {
			if n := f.events(t, action); n != want {
				t.Errorf("%d %s events, want %d", n, action, want)
			}
		}
	})
}

// A wrong code is counted and audited and leaves the sign-in open: the
// right code still completes it.
func TestWrongCodeKeepsTheSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, code.DefaultRules)
		ctx := ctxFrom("203.0.113.7")
		p, err := f.svc.Start(ctx, credential.Credentials{Email: email, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		right := f.lastCode(t, mobile)
		wrong := []byte(right)
		wrong[5] = '0' + (wrong[5]-'0'+1)%10
		_, err = f.svc.Verify(ctx, p.LoginID, string(wrong), "")
		if !apperr.Is(err, apperr.InvalidCode) || apperr.As(err).Fields["attempts_left"] != code.DefaultRules.MaxAttempts-1 {
			t.Fatalf("a wrong code: %v %v", err, apperr.As(err).Fields)
		}
		if n := f.events(t, audit.AuthnLoginFail); n != 1 {
			t.Errorf("%d failed sign-ins audited, want 1", n)
		}
		if st, err := f.svc.Status(ctx, p.LoginID); err != nil || st.Method != "sms" {
			t.Fatalf("status after a wrong code: %+v %v", st, err)
		}
		if _, err := f.svc.Verify(ctx, p.LoginID, right, ""); err != nil {
			t.Fatalf("the right code after a wrong one: %v", err)
		}
	})
}

// Once the password is right, the sign-in exists even when a limit refuses
// its code: the refusal names the sign-in and says when to ask again, and
// a code asked for then completes it.
func TestRefusedCodeAfterTheRightPasswordKeepsTheFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		rules := code.DefaultRules
		rules.PerHour = 1
		f := setup(t, db, rules)
		f.clk.Advance(59 * time.Minute) // the hour's budget comes back in a minute
		ctx := ctxFrom("203.0.113.7")
		if _, err := f.svc.Start(ctx, credential.Credentials{Email: email, Password: pw}); err != nil {
			t.Fatal(err)
		}
		f.lastCode(t, mobile) // delivered now, so the later code is the newest message
		p, err := f.svc.Start(ctx, credential.Credentials{Email: email, Password: pw})
		if !apperr.Is(err, apperr.RateLimited) || p.LoginID == "" || apperr.As(err).Fields["login_id"] != p.LoginID ||
			p.Method != "sms" || !p.ResendAt.Equal(f.clk.Now().Add(time.Minute)) {
			t.Fatalf("a refused code: %+v %v", p, err)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM codes WHERE flow_id = $1", p.LoginID); n != 0 {
			t.Fatalf("the refused send left %d codes", n)
		}
		if n := f.events(t, audit.ExcessRateLimit); n != 1 {
			t.Errorf("%d refusals audited, want 1", n)
		}
		if _, err := f.svc.Status(ctx, p.LoginID); err != nil {
			t.Fatalf("the refused sign-in is gone: %v", err)
		}
		f.clk.Set(p.ResendAt)
		if _, err := f.svc.Resend(ctx, p.LoginID); err != nil {
			t.Fatalf("a code when the refusal said: %v", err)
		}
		if _, err := f.svc.Verify(ctx, p.LoginID, f.lastCode(t, mobile), ""); err != nil {
			t.Fatalf("verify the refused sign-in: %v", err)
		}
	})
}

// An account without a second factor signs in with an email code; nothing
// goes to a number.
func TestSignInWithoutMobileUsesEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, code.DefaultRules)
		ctx := ctxFrom("203.0.113.7")
		hash := storetest.Value[string](t, db, "SELECT password_hash FROM accounts WHERE id = $1", f.account.ID)
		if _, err := f.svc.Accounts.Create(ctx, db, account.New{Email: "plain@example.com", PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.Start(ctx, credential.Credentials{Email: "plain@example.com", Password: pw})
		if err != nil || p.Method != "email" || p.SentTo != account.MaskEmail("plain@example.com") {
			t.Fatalf("start: %+v %v", p, err)
		}
		if _, err := f.svc.Verify(ctx, p.LoginID, f.lastCode(t, "plain@example.com"), ""); err != nil {
			t.Fatal(err)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM dev_messages WHERE channel = 'sms'"); n != 0 {
			t.Errorf("%d SMS sent for an email sign-in", n)
		}
	})
}
