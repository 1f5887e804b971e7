package captcha

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/wenlng/go-captcha/v2/slide"

	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// The defaults of SPEC §4.
const (
	DefaultLifetime      = 2 * time.Minute
	DefaultTokenLifetime = 2 * time.Minute
	DefaultTolerance     = 6
)

// Slider is the built-in slider puzzle. It is safe for concurrent use, and
// several instances may share one database.
type Slider struct {
	db            *store.DB
	clock         clock.Clock
	lifetime      time.Duration
	tokenLifetime time.Duration
	tolerance     int
}

var _ Provider = (*Slider)(nil)

// Option changes a Slider's rules.
type Option func(*Slider)

// WithLifetime sets how long a challenge may be answered.
func WithLifetime(d time.Duration) Option { return func(s *Slider) { s.lifetime = d } }

// WithTokenLifetime sets how long a solved challenge's token may be
// redeemed.
func WithTokenLifetime(d time.Duration) Option { return func(s *Slider) { s.tokenLifetime = d } }

// WithTolerance sets how many pixels, either way, an answer may miss by.
func WithTolerance(px int) Option { return func(s *Slider) { s.tolerance = px } }

// NewSlider returns a slider on db with the defaults of SPEC §4, changed by
// opts.
func NewSlider(db *store.DB, c clock.Clock, opts ...Option) (*Slider, error) {
	s := &Slider{db: db, clock: c, lifetime: DefaultLifetime, tokenLifetime: DefaultTokenLifetime, tolerance: DefaultTolerance}
	for _, o := range opts {
		o(s)
	}
	switch {
	case s.lifetime < 10*time.Second || s.tokenLifetime < 10*time.Second:
		return nil, fmt.Errorf("captcha: lifetimes of %v and %v are too short to solve a puzzle", s.lifetime, s.tokenLifetime)
	case s.tolerance < 0 || s.tolerance > minPieceSide/4:
		// A wide tolerance lets a blind guess pass too often.
		return nil, fmt.Errorf("captcha: tolerance %d px is out of 0..%d", s.tolerance, minPieceSide/4)
	}
	return s, nil
}

// New draws a challenge and stores its answer.
func (s *Slider) New(ctx context.Context, b Binding) (Challenge, error) {
	p, err := drawPuzzle(newRand())
	if err != nil {
		return Challenge{}, err
	}
	id, now := token.NewID(), s.clock.Now()
	expires := now.Add(s.lifetime)
	_, err = s.db.ExecContext(ctx, `INSERT INTO captcha_challenges
		(id, answer_x, piece_y, width, flow_id, number, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		id, p.answerX, p.pieceY, Width, b.FlowID, b.Number, store.Millis(now), store.Millis(expires))
	if err != nil {
		return Challenge{}, fmt.Errorf("captcha: store challenge: %w", store.Translate(err))
	}
	return Challenge{ID: id, Background: p.background, Piece: p.piece, PieceY: p.pieceY,
		Width: Width, Height: Height, ExpiresAt: store.Time(store.Millis(expires))}, nil
}

// Solve judges an answer. Malformed input is refused before the challenge
// is spent, as it says nothing about the puzzle; any other answer spends
// it. A wrong position and a bad trail get the same answer.
func (s *Slider) Solve(ctx context.Context, id string, x int, trail []Point) (string, error) {
	if x < 0 || x > Width {
		return "", malformed("x must be within the picture")
	}
	if err := shape(trail); err != nil && !errors.Is(err, errFewSamples) {
		return "", malformed(fmt.Sprintf("the trail must have at most %d samples, in time order", MaxTrail))
	}
	return s.solve(ctx, id, func(c answered) error {
		if err := s.near(c, x); err != nil {
			return err
		}
		if err := Human(trail, x, c.width); err != nil {
			return invalid(err)
		}
		return nil
	})
}

// SolveKeys judges an answer given with the keyboard: x is where the
// piece's left edge was left, keys the presses that moved it there and
// submitted it (see Key and Keyed). Like Solve, malformed input is refused
// before the challenge is spent, and every failure reads the same.
func (s *Slider) SolveKeys(ctx context.Context, id string, x int, keys []Key) (string, error) {
	if x < 0 || x > Width {
		return "", malformed("x must be within the picture")
	}
	if err := keyShape(keys, Width); err != nil && !errors.Is(err, errFewSamples) {
		return "", malformed(fmt.Sprintf("the keys must be at most %d, in time order, within the picture", MaxTrail))
	}
	return s.solve(ctx, id, func(c answered) error {
		if err := s.near(c, x); err != nil {
			return err
		}
		if err := Keyed(keys, x, c.width); err != nil {
			return invalid(err)
		}
		return nil
	})
}

// solve spends challenge id and judges it with judge; a right answer gets
// a token. A wrong one leaves the challenge spent all the same.
func (s *Slider) solve(ctx context.Context, id string, judge func(answered) error) (string, error) {
	if !token.ValidID(id) {
		return "", invalid(errors.New("captcha: malformed challenge id"))
	}
	var tok string
	var verdict error
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		tok, verdict = "", nil
		c, err := s.spend(ctx, tx, id)
		if err != nil {
			return err
		}
		if verdict = judge(c); verdict != nil {
			return nil // commit: the challenge stays spent
		}
		tok = token.NewID()
		return s.issue(ctx, tx, tok, id, c.binding)
	})
	if err != nil {
		return "", err
	}
	return tok, verdict
}

// answered is what a spent challenge tells the judge.
type answered struct {
	answerX, width int
	binding        Binding
}

// spend marks the challenge answered, in one statement, if it is still
// open: of two answers at once only one finds it.
func (s *Slider) spend(ctx context.Context, q store.Querier, id string) (answered, error) {
	now := store.Millis(s.clock.Now())
	var c answered
	err := q.QueryRowContext(ctx, `UPDATE captcha_challenges SET answered_at = $1
		WHERE id = $2 AND answered_at IS NULL AND expires_at > $1
		RETURNING answer_x, width, flow_id, number`, now, id).
		Scan(&c.answerX, &c.width, &c.binding.FlowID, &c.binding.Number)
	if store.IsNoRows(err) {
		return answered{}, invalid(errors.New("captcha: challenge unknown, expired or answered"))
	}
	if err != nil {
		return answered{}, fmt.Errorf("captcha: spend challenge: %w", store.Translate(err))
	}
	return c, nil
}

// near checks that x is within the tolerance of the answer.
func (s *Slider) near(c answered, x int) error {
	if !slide.Validate(x, 0, c.answerX, 0, s.tolerance) {
		return invalid(fmt.Errorf("captcha: x %d misses the answer by %d px", x, x-c.answerX))
	}
	return nil
}

// AnswerForTest returns a challenge's answer. It is for tests only (API
// tests that solve a puzzle without eyes); nothing in the server calls it.
func (s *Slider) AnswerForTest(ctx context.Context, id string) (int, error) {
	var x int
	err := s.db.QueryRowContext(ctx, "SELECT answer_x FROM captcha_challenges WHERE id = $1", id).Scan(&x)
	if err != nil {
		return 0, fmt.Errorf("captcha: answer for test: %w", store.Translate(err))
	}
	return x, nil
}
