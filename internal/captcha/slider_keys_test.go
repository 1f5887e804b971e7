package captcha_test

import (
	"testing"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// A keyboard answer (WCAG 2.1.1) is judged by its own checks and gets the
// same token, once; a wrong one, or keys no person presses, spend the
// puzzle and read like any failure; malformed keys do not spend it
// (SEC-CAP-1, SEC-RACE-7).
func TestSolveWithTheKeyboard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ch, x := h.challenge(flowA)
		tok, err := h.s.SolveKeys(ctx, ch.ID, x, captcha.HumanKeys(h.rng, x))
		if err != nil {
			t.Fatalf("a keyboard answer was refused: %v", err)
		}
		if err := h.redeem(tok, flowA); err != nil {
			t.Fatalf("its token was refused: %v", err)
		}
		_, err = h.s.SolveKeys(ctx, ch.ID, x, captcha.HumanKeys(h.rng, x))
		wantCode(t, "a second answer", err, apperr.CaptchaInvalid)

		ch, x = h.challenge(flowA)
		_, err = h.s.SolveKeys(ctx, ch.ID, x+9, captcha.HumanKeys(h.rng, x+9))
		wantCode(t, "wrong position", err, apperr.CaptchaInvalid)

		ch, x = h.challenge(flowA)
		var burst []captcha.Key // every key at once, then Enter
		for at := 1; at <= x; at++ {
			burst = append(burst, captcha.Key{T: 0, X: at})
		}
		_, err = h.s.SolveKeys(ctx, ch.ID, x, append(burst, captcha.Key{T: 500, X: x}))
		wantCode(t, "a burst", err, apperr.CaptchaInvalid)
		if msg := apperr.As(err).Message; msg != "the puzzle was not solved; try the puzzle again" {
			t.Errorf("the refusal says %q", msg)
		}
		_, err = h.s.SolveKeys(ctx, ch.ID, x, captcha.HumanKeys(h.rng, x))
		wantCode(t, "a right answer after a refused one", err, apperr.CaptchaInvalid)

		ch, x = h.challenge(flowA)
		for name, keys := range map[string][]captcha.Key{
			"backwards": {{T: 500, X: 10}, {T: 100, X: 20}},
			"outside":   {{T: 0, X: captcha.Width + 1}},
			"too many":  make([]captcha.Key, captcha.MaxTrail+1),
		} {
			_, err := h.s.SolveKeys(ctx, ch.ID, x, keys)
			wantCode(t, name, err, apperr.InvalidRequest)
		}
		if _, err := h.s.SolveKeys(ctx, ch.ID, x, captcha.HumanKeys(h.rng, x)); err != nil {
			t.Errorf("malformed keys spent the puzzle: %v", err)
		}
	})
}
