package captcha_test

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
	"github.com/rebindhq/rebind/internal/token"
)

// TestMalformedAnswersKeepTheChallenge: input no client of ours sends is
// invalid_request, and does not spend the challenge.
func TestMalformedAnswersKeepTheChallenge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ch, x := h.challenge(flowA)
		good := captcha.HumanTrail(h.rng, x)
		long := make([]captcha.Point, captcha.MaxTrail+1)
		for i := range long {
			long[i] = captcha.Point{T: i, X: i * x / len(long), Y: i % 2}
		}
		backwards := append([]captcha.Point(nil), good...)
		backwards[3].T, backwards[4].T = backwards[4].T, backwards[3].T-1
		for _, c := range []struct {
			name  string
			x     int
			trail []captcha.Point
		}{
			{"negative x", -1, good},
			{"x beyond the width", captcha.Width + 1, good},
			{"trail too long", x, long},
			{"times out of order", x, backwards},
		} {
			_, err := h.s.Solve(ctx, ch.ID, c.x, c.trail)
			wantCode(t, c.name, err, apperr.InvalidRequest)
		}
		if _, err := h.s.Solve(ctx, ch.ID, x, good); err != nil {
			t.Errorf("right answer after malformed ones refused: %v", err)
		}
	})
}

// TestEveryFailureSaysTheSame: the caller cannot tell which check failed.
func TestEveryFailureSaysTheSame(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		straight := make([]captcha.Point, 30)
		ch, x := h.challenge(flowA)
		for i := range straight {
			straight[i] = captcha.Point{T: i * 16, X: i * x / 29, Y: 100}
		}
		fails := []struct {
			name string
			fn   func() error
		}{
			{"wrong position", func() error { ch, x := h.challenge(flowA); _, err := h.answer(ch.ID, x+9); return err }},
			{"bot trail", func() error { _, err := h.s.Solve(ctx, ch.ID, x, straight); return err }},
			{"answered before", func() error { _, err := h.answer(ch.ID, x); return err }},
			{"unknown", func() error { _, err := h.answer(token.NewID(), x); return err }},
			{"junk id", func() error { _, err := h.answer("../../etc", x); return err }},
			{"forged token", func() error { return h.redeem(token.NewID(), flowA) }},
			{"junk token", func() error { return h.redeem("", flowA) }},
			{"other number", func() error {
				return h.redeem(h.token(flowA), captcha.Binding{FlowID: flowA.FlowID, Number: "+6599999999"})
			}},
		}
		var msg string
		for _, f := range fails {
			name, e := f.name, apperr.As(f.fn())
			if e.Code != apperr.CaptchaInvalid || e.Code.Status() != 422 {
				t.Errorf("%s: %v, want captcha_invalid", name, e)
			}
			if msg == "" {
				msg = e.Message
			}
			if e.Message != msg || !strings.Contains(e.Message, "try the puzzle again") {
				t.Errorf("%s says %q", name, e.Message)
			}
		}
	})
}

func TestPurge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		open, x := h.challenge(flowA)
		wrong, wx := h.challenge(flowA)
		h.answer(wrong.ID, wx+30)
		used := h.token(flowA)
		if err := h.redeem(used, flowA); err != nil {
			t.Fatal(err)
		}
		live := h.token(flowA)
		// Gone: the wrongly answered challenge, the two solved ones and the
		// used token.
		if n, err := h.s.Purge(ctx, db); err != nil || n != 4 {
			t.Fatalf("Purge = %d, %v; want 4", n, err)
		}
		if _, err := h.answer(open.ID, x); err != nil {
			t.Errorf("open challenge purged: %v", err)
		}
		if err := h.redeem(live, flowA); err != nil {
			t.Errorf("live token purged: %v", err)
		}
		h.challenge(flowA)
		h.token(flowA)
		h.clk.Advance(2 * time.Minute)
		// Gone: three challenges (one expired, two answered) and three
		// tokens (two expired, one used).
		if n, err := h.s.Purge(ctx, db); err != nil || n != 6 {
			t.Errorf("Purge after expiry = %d, %v; want 6", n, err)
		}
	})
}

func TestNewSliderRules(t *testing.T) {
	db := storetest.SQLite(t)
	clk := clock.NewFake(time.Now())
	for _, opts := range [][]captcha.Option{
		{captcha.WithTolerance(-1)},
		{captcha.WithTolerance(15)},
		{captcha.WithLifetime(time.Second)},
		{captcha.WithTokenLifetime(0)},
	} {
		if _, err := captcha.NewSlider(db, clk, opts...); err == nil {
			t.Errorf("NewSlider accepted bad rules")
		}
	}
	h := newHarness(t, db, captcha.WithTolerance(2), captcha.WithLifetime(time.Minute))
	ch, x := h.challenge(flowA)
	if _, err := h.answer(ch.ID, x+3); !apperr.Is(err, apperr.CaptchaInvalid) {
		t.Errorf("3 px off with a tolerance of 2: %v", err)
	}
	ch, x = h.challenge(flowA)
	h.clk.Advance(time.Minute)
	if _, err := h.answer(ch.ID, x); !apperr.Is(err, apperr.CaptchaInvalid) {
		t.Errorf("answer after a lifetime of 1 minute: %v", err)
	}
}

// TestChallengeImages decodes what the page shows: a fresh JPEG background
// of the stated size every time, and a PNG piece that fits on it, with the
// answer where the piece can reach.
func TestChallengeImages(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	seen := map[string]bool{}
	for range 8 {
		ch, x := h.challenge(captcha.Binding{})
		bg := decode(t, ch.Background, "data:image/jpeg;base64,", jpeg.Decode)
		piece := decode(t, ch.Piece, "data:image/png;base64,", png.Decode)
		if bg.Bounds() != image.Rect(0, 0, captcha.Width, captcha.Height) {
			t.Errorf("background is %v", bg.Bounds())
		}
		side := piece.Bounds().Dx()
		if side < 58 || side > 68 || piece.Bounds().Dy() != side {
			t.Errorf("piece is %v", piece.Bounds())
		}
		if x < side+25 || x+side > captcha.Width || ch.PieceY < 0 || ch.PieceY+side > captcha.Height {
			t.Errorf("answer %d,%d for a %d px piece", x, ch.PieceY, side)
		}
		if _, _, _, a := piece.At(0, 0).RGBA(); a != 0 {
			t.Errorf("piece corner is not transparent: it is not cut to a shape")
		}
		if seen[ch.Background] {
			t.Errorf("a background came twice")
		}
		seen[ch.Background] = true
	}
}

func decode(t *testing.T, url, prefix string, dec func(io.Reader) (image.Image, error)) image.Image {
	t.Helper()
	if !strings.HasPrefix(url, prefix) {
		t.Fatalf("image URL starts %.30q, want %q", url, prefix)
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(url, prefix))
	if err != nil {
		t.Fatal(err)
	}
	img, err := dec(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}
