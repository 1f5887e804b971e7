package code_test

import (
	"bytes"
	"context"
	"database/sql"
	"math"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/notify"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
	"github.com/rebindhq/rebind/internal/token"
)

type harness struct {
	db       *store.DB
	clk      *clock.Fake
	codes    *code.Service
	worker   *outbox.Worker
	limiter  *ratelimit.Limiter
	notifier *notify.Notifier
	t        testing.TB
	// account asks for the harness's codes.
	account string
}

func newHarness(t testing.TB, db *store.DB) *harness {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	q, err := outbox.NewQueue(clk, keys.Set{bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://rebind.example")
	n, err := notify.New(q, "Rebind", base)
	if err != nil {
		t.Fatal(err)
	}
	dev := outbox.DevSender{DB: db, Clock: clk}
	lim := ratelimit.New(clk)
	return &harness{
		db: db, clk: clk, limiter: lim, notifier: n, account: storetest.Account(t, db),
		codes:  code.New(clk, keys.Set{bytes.Repeat([]byte{2}, 32)}, code.DefaultRules, lim, n),
		worker: &outbox.Worker{DB: db, Queue: q, Clock: clk, Senders: map[outbox.Channel]outbox.Sender{outbox.Email: dev, outbox.SMS: dev}},
	}
}

// flow inserts a bare flow row for codes to hang on.
func (h *harness) flow(t testing.TB) string {
	t.Helper()
	id := token.NewID()
	now := store.Millis(h.clk.Now())
	_, err := h.db.ExecContext(context.Background(), `INSERT INTO flows (id, kind, state, created_at, updated_at, expires_at, ip)
		VALUES ($1, 'login', 'code_required', $2, $2, $3, '')`, id, now, now+3_600_000)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (h *harness) send(flowID string, p code.Purpose, ch outbox.Channel, to string) (code.Sent, error) {
	var sent code.Sent
	err := h.db.Tx(context.Background(), func(tx *sql.Tx) error {
		var err error
		sent, err = h.codes.Send(context.Background(), tx, code.Request{FlowID: flowID, Purpose: p, Channel: ch, To: to, AccountID: h.account})
		return err
	})
	return sent, err
}

func (h *harness) mustSend(t *testing.T, flowID string, p code.Purpose, ch outbox.Channel, to string) string {
	t.Helper()
	if _, err := h.send(flowID, p, ch, to); err != nil {
		t.Fatalf("send: %v", err)
	}
	return h.lastCode(t, to)
}

var sixDigits = regexp.MustCompile(`#(\d{6})|\b(\d{6})\b`)

// deliver runs the outbox worker until the queue is empty.
func (h *harness) deliver(t testing.TB) {
	t.Helper()
	for {
		n, err := h.worker.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// lastCode delivers the outbox and reads the newest code sent to "to".
func (h *harness) lastCode(t *testing.T, to string) string {
	t.Helper()
	h.deliver(t)
	msgs, err := outbox.DevMessages(context.Background(), h.db, to, 1)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("no message to %s: %v", to, err)
	}
	m := sixDigits.FindStringSubmatch(msgs[0].Body)
	if m == nil {
		t.Fatalf("no code in %q", msgs[0].Body)
	}
	return m[1] + m[2]
}

func (h *harness) check(flowID string, p code.Purpose, c string) error {
	_, err := h.codes.Check(context.Background(), h.db, flowID, p, c)
	return err
}

// wrong returns another valid-looking code: the last digit moved by one.
func wrong(c string) string {
	b := []byte(c)
	b[5] = '0' + (b[5]-'0'+1)%10
	return string(b)
}

func attemptsLeft(err error) any { return apperr.As(err).Fields["attempts_left"] }

// SEC-CODE-3 (v5.0.0-6.5.1): a code works once.
func TestCodeWorksOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		f := h.flow(t)
		c := h.mustSend(t, f, code.Login, outbox.SMS, "+6581234567")
		if err := h.check(f, code.Login, c); err != nil {
			t.Fatalf("right code refused: %v", err)
		}
		if err := h.check(f, code.Login, c); !apperr.Is(err, apperr.CodeExpired) {
			t.Fatalf("second use = %v, want code_expired", err)
		}
		if consumed := storetest.Value[sql.NullInt64](t, db, "SELECT consumed_at FROM codes WHERE flow_id = $1", f); !consumed.Valid {
			t.Fatal("consumed_at not recorded")
		}
	})
}

// Slots says in one statement, for each purpose asked, whether its code
// was accepted and when another may be sent, as Consumed and ResendAt do
// one at a time; another flow's codes and purposes not asked for are left
// out.
func TestSlots(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		f, other := h.flow(t), h.flow(t)
		c := h.mustSend(t, f, code.ChangeEmail, outbox.Email, "a@example.com")
		h.clk.Advance(10 * time.Second)
		h.mustSend(t, f, code.ChangeOldSMS, outbox.SMS, "+6581234567")
		h.mustSend(t, other, code.ChangeNewSMS, outbox.SMS, "+6581234568")
		h.mustSend(t, f, code.Login, outbox.SMS, "+6581234567")
		if err := h.check(f, code.ChangeEmail, c); err != nil {
			t.Fatal(err)
		}
		slots, err := h.codes.Slots(ctx, db, f, code.ChangeEmail, code.ChangeOldSMS, code.ChangeNewSMS)
		if err != nil {
			t.Fatal(err)
		}
		if len(slots) != 2 {
			t.Fatalf("slots %v, want the two codes sent for the purposes asked", slots)
		}
		for _, p := range []code.Purpose{code.ChangeEmail, code.ChangeOldSMS, code.ChangeNewSMS} {
			consumed, err := h.codes.Consumed(ctx, db, f, p)
			if err != nil {
				t.Fatal(err)
			}
			at, err := h.codes.ResendAt(ctx, db, f, p)
			if err != nil {
				t.Fatal(err)
			}
			if got := slots[p]; got.Consumed != consumed || !got.ResendAt.Equal(at) {
				t.Errorf("%s: %+v, want consumed %v, resend at %v", p, got, consumed, at)
			}
		}
		if !slots[code.ChangeEmail].Consumed || slots[code.ChangeOldSMS].Consumed ||
			!slots[code.ChangeOldSMS].ResendAt.Equal(slots[code.ChangeEmail].ResendAt.Add(10*time.Second)) {
			t.Fatalf("slots %+v", slots)
		}
	})
}

// SEC-CODE-6 (v5.0.0-6.6.3): five wrong entries kill the code, even for the
// right code afterwards.
func TestWrongEntriesKillTheCode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		f := h.flow(t)
		c := h.mustSend(t, f, code.Login, outbox.Email, "a@example.com")
		for left := 4; left >= 0; left-- {
			err := h.check(f, code.Login, wrong(c))
			if !apperr.Is(err, apperr.InvalidCode) || attemptsLeft(err) != left {
				t.Fatalf("wrong entry: %v (attempts_left %v), want invalid_code with %d left", err, attemptsLeft(err), left)
			}
		}
		if err := h.check(f, code.Login, c); !apperr.Is(err, apperr.CodeExpired) {
			t.Fatalf("right code after 5 wrong = %v, want code_expired", err)
		}
		if _, err := h.send(f, code.Login, outbox.Email, "a@example.com"); !apperr.Is(err, apperr.WrongState) {
			t.Fatalf("resend of a dead code = %v, want wrong_state", err)
		}
	})
}

// SEC-CODE-5: a resend supersedes the old code and keeps the failure count.
func TestResendSupersedesAndKeepsFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		f := h.flow(t)
		a := h.mustSend(t, f, code.ResetEmail, outbox.Email, "a@example.com")
		for range 3 {
			h.check(f, code.ResetEmail, wrong(a))
		}
		h.clk.Advance(61 * time.Second)
		b := h.mustSend(t, f, code.ResetEmail, outbox.Email, "a@example.com")
		if a != b {
			if err := h.check(f, code.ResetEmail, a); !apperr.Is(err, apperr.InvalidCode) || attemptsLeft(err) != 1 {
				t.Fatalf("superseded code = %v (left %v); want invalid_code, 1 left", err, attemptsLeft(err))
			}
		} else {
			h.check(f, code.ResetEmail, wrong(b)) // one in a million: same digits twice
		}
		if err := h.check(f, code.ResetEmail, b); err != nil {
			t.Fatalf("new code on the 5th entry = %v", err)
		}
	})
}

func TestResendCooldown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		f := h.flow(t)
		h.mustSend(t, f, code.Login, outbox.SMS, "+6581234567")
		h.clk.Advance(20 * time.Second)
		_, err := h.send(f, code.Login, outbox.SMS, "+6581234567")
		if !apperr.Is(err, apperr.RateLimited) || apperr.RetryAfter(err) != "40" {
			t.Fatalf("resend after 20 s = %v (Retry-After %q), want rate_limited, 40", err, apperr.RetryAfter(err))
		}
		h.clk.Advance(40 * time.Second)
		if _, err := h.send(f, code.Login, outbox.SMS, "+6581234567"); err != nil {
			t.Fatalf("resend after the cooldown: %v", err)
		}
	})
}

// SEC-CODE-2 (v5.0.0-6.5.5): the lifetime is enforced to the second.
func TestLifetime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, tc := range []struct {
			ch  outbox.Channel
			to  string
			ttl time.Duration
		}{{outbox.SMS, "+6581234567", 5 * time.Minute}, {outbox.Email, "a@example.com", 10 * time.Minute}} {
			h := newHarness(t, db)
			f := h.flow(t)
			c := h.mustSend(t, f, code.Login, tc.ch, tc.to)
			h.clk.Advance(tc.ttl - time.Second)
			if err := h.check(f, code.Login, c); err != nil {
				t.Fatalf("%s code at TTL-1s: %v", tc.ch, err)
			}
			f = h.flow(t)
			h.clk.Advance(time.Hour)
			c = h.mustSend(t, f, code.Login, tc.ch, tc.to)
			h.clk.Advance(tc.ttl + time.Second)
			if err := h.check(f, code.Login, c); !apperr.Is(err, apperr.CodeExpired) {
				t.Fatalf("%s code at TTL+1s = %v, want code_expired", tc.ch, err)
			}
		}
	})
}

// SEC-CODE-4 (v5.0.0-6.6.2): a code is bound to its flow and purpose.
func TestCodeIsBoundToFlowAndPurpose(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		f1, f2 := h.flow(t), h.flow(t)
		c1 := h.mustSend(t, f1, code.ChangeEmail, outbox.Email, "a@example.com")
		h.mustSend(t, f1, code.ChangeOldSMS, outbox.SMS, "+6581234567")
		h.mustSend(t, f2, code.ChangeEmail, outbox.Email, "b@example.com")
		if err := h.check(f1, code.ChangeOldSMS, c1); err == nil {
			t.Fatal("email code accepted for the SMS purpose")
		}
		if err := h.check(f2, code.ChangeEmail, c1); err == nil {
			t.Fatal("flow 1's code accepted for flow 2")
		}
		if err := h.check(f1, code.Login, c1); !apperr.Is(err, apperr.CodeExpired) {
			t.Fatal("code accepted for a purpose never sent")
		}
		if err := h.check(f1, code.ChangeEmail, c1); err != nil {
			t.Fatalf("the right flow and purpose: %v", err)
		}
	})
}

// SEC-CODE-7: only a keyed hash is stored.
func TestOnlyAKeyedHashIsStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		f := h.flow(t)
		c := h.mustSend(t, f, code.Login, outbox.SMS, "+6581234567")
		if hash := storetest.Value[string](t, db, "SELECT hash FROM codes WHERE flow_id = $1", f); strings.Contains(hash, c) || len(hash) != 64 {
			t.Fatalf("stored hash %q holds or is not an HMAC of the code", hash)
		}
		if sealed := storetest.Value[string](t, db, "SELECT sealed FROM outbox ORDER BY created_at DESC LIMIT 1"); strings.Contains(sealed, c) {
			t.Fatal("outbox row holds the code in clear")
		}
	})
}

func TestPerDestinationLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		to := "+6581230000"
		// 5 per hour, across flows and purposes.
		for i := range 5 {
			p := code.Login
			if i%2 == 1 {
				p = code.ChangeOldSMS
			}
			if _, err := h.send(h.flow(t), p, outbox.SMS, to); err != nil {
				t.Fatalf("send %d: %v", i+1, err)
			}
		}
		f := h.flow(t)
		if _, err := h.send(f, code.Login, outbox.SMS, to); !apperr.Is(err, apperr.RateLimited) {
			t.Fatalf("6th send in an hour = %v, want rate_limited", err)
		}
		// The refused send left no code behind and took no count.
		if n := storetest.Count(t, db, "SELECT count(*) FROM codes WHERE flow_id = $1", f); n != 0 {
			t.Fatal("a refused send stored a code")
		}
		// 10 per day.
		h.clk.Advance(time.Hour)
		for i := range 5 {
			if _, err := h.send(h.flow(t), code.Login, outbox.SMS, to); err != nil {
				t.Fatalf("send %d of the second hour: %v", i+1, err)
			}
		}
		h.clk.Advance(time.Hour)
		if _, err := h.send(h.flow(t), code.Login, outbox.SMS, to); !apperr.Is(err, apperr.RateLimited) {
			t.Fatalf("11th send in a day = %v, want rate_limited", err)
		}
		if _, err := h.send(h.flow(t), code.Login, outbox.SMS, "+6591234567"); err != nil {
			t.Fatalf("another destination was limited: %v", err)
		}
	})
}

// SEC-RACE-1 (v5.0.0-15.4.2, 6.6.3): 50 wrong guesses and the right code
// fired at once; at most 5 entries are ever compared.
func TestConcurrentGuessesAreCapped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		f := h.flow(t)
		c := h.mustSend(t, f, code.Login, outbox.SMS, "+6581234567")
		var evaluated, succeeded, refused atomic.Int32
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i := range 51 {
			guess := wrong(c)
			if i == 25 {
				guess = c
			}
			wg.Go(func() {
				<-gate
				err := h.check(f, code.Login, guess)
				switch {
				case err == nil:
					evaluated.Add(1)
					succeeded.Add(1)
				case apperr.Is(err, apperr.InvalidCode):
					evaluated.Add(1)
				case apperr.Is(err, apperr.CodeExpired):
					refused.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		close(gate)
		wg.Wait()
		if evaluated.Load() > 5 || succeeded.Load() > 1 || evaluated.Load()+refused.Load() != 51 {
			t.Fatalf("evaluated %d (succeeded %d), refused %d; want at most 5 evaluated", evaluated.Load(), succeeded.Load(), refused.Load())
		}
		if attempts := storetest.Count(t, db, "SELECT attempts FROM codes WHERE flow_id = $1", f); attempts != int(evaluated.Load()) {
			t.Fatalf("attempts counter %d, but %d entries were evaluated", attempts, evaluated.Load())
		}
	})
}

// SEC-RACE-2: 20 copies of the right code at once give exactly one success.
func TestConcurrentRightCodesSucceedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		f := h.flow(t)
		c := h.mustSend(t, f, code.Login, outbox.SMS, "+6581234567")
		var ok atomic.Int32
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for range 20 {
			wg.Go(func() {
				<-gate
				if h.check(f, code.Login, c) == nil {
					ok.Add(1)
				}
			})
		}
		close(gate)
		wg.Wait()
		if ok.Load() != 1 {
			t.Fatalf("%d successes, want exactly 1", ok.Load())
		}
	})
}

// SEC-CODE-1 (v5.0.0-6.5.4): codes are 6 digits, uniform per position.
func TestCodesAreUniform(t *testing.T) {
	const n = 200_000
	var counts [6][10]int
	for range n {
		c := code.Generate()
		if len(c) != 6 {
			t.Fatalf("code %q is not 6 digits", c)
		}
		for i := range 6 {
			counts[i][c[i]-'0']++
		}
	}
	// Chi-square with 9 degrees of freedom: 45.0 is the p = 1e-6 critical
	// value, so six positions fail a uniform generator once in about
	// 170,000 runs (at p = 0.001 it was once in 170, a flaky test). A
	// generator taking a random byte modulo 10 has an expected chi-square
	// of 73 here and still fails.
	for i := range 6 {
		var chi float64
		for d := range 10 {
			diff := float64(counts[i][d]) - n/10
			chi += diff * diff / (n / 10)
		}
		if chi > 45.0 || math.IsNaN(chi) {
			t.Errorf("position %d: chi-square %.1f, digits not uniform (p < 1e-6)", i, chi)
		}
	}
}
