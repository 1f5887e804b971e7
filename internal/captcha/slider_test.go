package captcha_test

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

var ctx = context.Background()

var (
	flowA   = captcha.Binding{FlowID: "flow-a", Number: "+6581234567"}
	numberX = flowA.Number
)

type harness struct {
	t   *testing.T
	db  *store.DB
	clk *clock.Fake
	s   *captcha.Slider
	rng *rand.Rand
}

func newHarness(t *testing.T, db *store.DB, opts ...captcha.Option) *harness {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	s, err := captcha.NewSlider(db, clk, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, db: db, clk: clk, s: s, rng: rand.New(rand.NewPCG(1, 2))}
}

// challenge makes a challenge for b and returns it with its answer.
func (h *harness) challenge(b captcha.Binding) (captcha.Challenge, int) {
	h.t.Helper()
	ch, err := h.s.New(ctx, b)
	if err != nil {
		h.t.Fatalf("New: %v", err)
	}
	x, err := h.s.AnswerForTest(ctx, ch.ID)
	if err != nil {
		h.t.Fatalf("AnswerForTest: %v", err)
	}
	return ch, x
}

// answer drops the piece at x after a person-like drag there.
func (h *harness) answer(id string, x int) (string, error) {
	return h.s.Solve(ctx, id, x, captcha.HumanTrail(h.rng, x))
}

// token solves a new challenge for b and returns its token.
func (h *harness) token(b captcha.Binding) string {
	h.t.Helper()
	ch, x := h.challenge(b)
	tok, err := h.answer(ch.ID, x)
	if err != nil {
		h.t.Fatalf("right answer refused: %v", err)
	}
	return tok
}

// redeem redeems in a transaction, as the send it guards would.
func (h *harness) redeem(tok string, b captcha.Binding) error {
	return h.db.Tx(ctx, func(tx *sql.Tx) error { return h.s.Redeem(ctx, tx, tok, b) })
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Errorf("%s: got %v, want %s", what, err, code)
	}
}

func TestSolveAndRedeemOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ch, x := h.challenge(flowA)
		if ch.Width != captcha.Width || ch.Height != captcha.Height || !ch.ExpiresAt.Equal(h.clk.Now().Add(2*time.Minute)) {
			t.Errorf("challenge %d×%d until %v", ch.Width, ch.Height, ch.ExpiresAt)
		}
		tok, err := h.answer(ch.ID, x)
		if err != nil {
			t.Fatalf("right answer refused: %v", err)
		}
		if err := h.redeem(tok, flowA); err != nil {
			t.Fatalf("first redemption refused: %v", err)
		}
		wantCode(t, "second redemption", h.redeem(tok, flowA), apperr.CaptchaInvalid)
	})
}

// TestChallengeTakesOneAnswer: whatever the first answer was, a second is
// refused, even a right one.
func TestChallengeTakesOneAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ch, x := h.challenge(flowA)
		_, err := h.answer(ch.ID, x+20)
		wantCode(t, "wrong answer", err, apperr.CaptchaInvalid)
		_, err = h.answer(ch.ID, x)
		wantCode(t, "right answer after a wrong one", err, apperr.CaptchaInvalid)

		ch, x = h.challenge(flowA)
		if _, err := h.answer(ch.ID, x); err != nil {
			t.Fatalf("right answer refused: %v", err)
		}
		_, err = h.answer(ch.ID, x)
		wantCode(t, "right answer again", err, apperr.CaptchaInvalid)
	})
}

func TestChallengeExpiresAfterTwoMinutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ch, x := h.challenge(flowA)
		h.clk.Advance(2*time.Minute - time.Millisecond)
		if _, err := h.answer(ch.ID, x); err != nil {
			t.Errorf("answer 1 ms before expiry refused: %v", err)
		}
		ch, x = h.challenge(flowA)
		h.clk.Advance(2 * time.Minute)
		_, err := h.answer(ch.ID, x)
		wantCode(t, "answer at expiry", err, apperr.CaptchaInvalid)
	})
}

func TestTokenExpiresAfterTwoMinutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		tok := h.token(flowA)
		h.clk.Advance(2*time.Minute - time.Millisecond)
		if err := h.redeem(tok, flowA); err != nil {
			t.Errorf("redemption 1 ms before expiry refused: %v", err)
		}
		tok = h.token(flowA)
		h.clk.Advance(2 * time.Minute)
		wantCode(t, "redemption at expiry", h.redeem(tok, flowA), apperr.CaptchaInvalid)
	})
}

func TestTolerance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		for _, c := range []struct {
			off int
			ok  bool
		}{{-7, false}, {-6, true}, {0, true}, {6, true}, {7, false}} {
			ch, x := h.challenge(flowA)
			_, err := h.answer(ch.ID, x+c.off)
			if c.ok && err != nil {
				t.Errorf("%+d px: refused: %v", c.off, err)
			}
			if !c.ok {
				wantCode(t, "off by 7 px", err, apperr.CaptchaInvalid)
			}
		}
	})
}

// TestTokenBinding is SEC-CAP-1: a token solved for flow A and number X
// serves nothing else, and a refused attempt does not spend it.
func TestTokenBinding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		tok := h.token(flowA)
		for _, b := range []captcha.Binding{
			{FlowID: "flow-b", Number: numberX},
			{FlowID: flowA.FlowID, Number: "+6587654321"},
			{FlowID: flowA.FlowID},
			{Number: numberX},
			{},
		} {
			wantCode(t, "redeem for "+b.FlowID+"/"+b.Number, h.redeem(tok, b), apperr.CaptchaInvalid)
		}
		if err := h.redeem(tok, flowA); err != nil {
			t.Errorf("the right binding, after refused ones: %v", err)
		}

		// A field left empty at New is bound by the redemption.
		tok = h.token(captcha.Binding{FlowID: flowA.FlowID})
		wantCode(t, "flow-only token for another flow", h.redeem(tok, captcha.Binding{FlowID: "flow-b", Number: numberX}), apperr.CaptchaInvalid)
		if err := h.redeem(tok, flowA); err != nil {
			t.Errorf("flow-only token for its flow and a number: %v", err)
		}
		tok = h.token(captcha.Binding{})
		if err := h.redeem(tok, flowA); err != nil {
			t.Errorf("unbound token: %v", err)
		}
		var flow, number string
		err := db.QueryRowContext(ctx, "SELECT flow_id, number FROM captcha_tokens WHERE used_at IS NOT NULL AND challenge_id IN (SELECT id FROM captcha_challenges WHERE flow_id = '')").Scan(&flow, &number)
		if err != nil || flow != flowA.FlowID || number != numberX {
			t.Errorf("unbound token after use: bound to %q/%q (%v), want %q/%q", flow, number, err, flowA.FlowID, numberX)
		}
	})
}

// TestTokenRedeemedOnceUnderConcurrency is SEC-RACE-7: the same token
// redeemed by 20 requests at once is accepted exactly once.
func TestTokenRedeemedOnceUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		tok := h.token(flowA)
		ok := race(t, 20, func() error { return h.redeem(tok, flowA) })
		if ok != 1 {
			t.Errorf("%d of 20 concurrent redemptions succeeded, want 1", ok)
		}
	})
}

// TestChallengeAnsweredOnceUnderConcurrency: 20 right answers at once get
// one token.
func TestChallengeAnsweredOnceUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ch, x := h.challenge(flowA)
		trail := captcha.HumanTrail(h.rng, x)
		ok := race(t, 20, func() error { _, err := h.s.Solve(ctx, ch.ID, x, trail); return err })
		if ok != 1 {
			t.Errorf("%d of 20 concurrent answers got a token, want 1", ok)
		}
	})
}

// race runs fn n times at once and returns how many succeeded; every
// failure must be captcha_invalid.
func race(t *testing.T, n int, fn func() error) int {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn()
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			wantCode(t, "losing request", err, apperr.CaptchaInvalid)
		}
	}
	return ok
}
