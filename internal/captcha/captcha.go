// Package captcha owns the slider puzzle that must be solved before an SMS
// is sent to a new number (SPEC §3.3 step 4, §4): making a challenge, judging
// an answer and its drag trail, and the single-use token that a solved
// challenge yields, bound to one flow and one number.
//
// The built-in Slider draws the piece's gap with github.com/wenlng/go-captcha
// over a background painted at random for every challenge (gradient, shapes,
// noise) and a jigsaw piece whose knobs are also chosen at random, so no
// image is ever reused and a bot cannot look the gap up in a public set. The
// answer (the gap's left edge) stays in the database. A challenge lives two
// minutes and takes one answer, right or wrong; a right answer (±6 px) with a
// human-looking drag trail yields a token that lives two more minutes and is
// redeemed once, in the transaction of the send it guards.
//
// What the trail check (Human) does and does not do: it refuses trails that
// are too short, too quick or too slow, that do not start at the piece or
// end where it was dropped, that jump, that move at one speed, that start or
// end at full speed, or whose height never changes. That stops naive scripts
// that post a straight line. It does not stop a bot that finds the gap by
// image analysis and synthesises an eased, jittered trail (HumanTrail in this
// package does exactly that in a few lines), nor humans paid to solve. The
// captcha slows bots down and makes them cost more; the send limits (per
// number, account, IP and flow) are what stop them. See README.md.
//
// The slider also takes an answer given with the keyboard (SolveKeys),
// judged by its own checks on the key presses (Keyed).
//
// Provider is what the flows call, so an exchange can plug a hosted captcha
// (Turnstile, hCaptcha, GeeTest) instead of the slider.
package captcha

import (
	"context"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/store"
)

// Binding says what a solved challenge may be used for. Number is E.164.
// Either field may be empty when the caller does not know it yet: a field
// set when the challenge is made must match at redemption; an empty one is
// bound by the redemption itself (a token is used once, so it binds to its
// first and only use).
type Binding struct {
	FlowID string
	Number string
}

// Challenge is a puzzle to show. Coordinates are pixels of the background.
type Challenge struct {
	ID string
	// Background and Piece are data: URLs (JPEG and PNG).
	Background string
	Piece      string
	// PieceY is the top of the piece; the piece starts with its left edge at
	// x = 0 and is dragged right to the gap.
	PieceY        int
	Width, Height int
	ExpiresAt     time.Time
}

// Point is one sample of the drag: T milliseconds since it began, X the
// piece's left edge and Y the pointer's height, both in background pixels.
// Only Y's changes matter, so any origin will do.
type Point struct{ T, X, Y int }

// Provider is what the flows use. The built-in Slider implements it. A
// hosted captcha fits as: New returns a Challenge that names the widget
// session (no images), Solve and SolveKeys are not used (the widget solves
// in the browser), and Redeem verifies the provider's response token server-side,
// recording its digest first so that it is single use even under
// concurrency; it must fail closed when the provider does not answer.
type Provider interface {
	// New makes a challenge for b.
	New(ctx context.Context, b Binding) (Challenge, error)
	// Solve judges an answer: x is where the piece's left edge was dropped.
	// A challenge takes one answer, whatever the result. A right answer
	// returns a token for Redeem.
	Solve(ctx context.Context, id string, x int, trail []Point) (token string, err error)
	// SolveKeys judges an answer given with the keyboard, keys being the
	// presses that moved the piece to x and submitted it. The same rules
	// apply: one answer per challenge, the same refusal for every failure.
	SolveKeys(ctx context.Context, id string, x int, keys []Key) (token string, err error)
	// Redeem uses a token once, for b. Call it in the transaction of the
	// send it guards, so that a send that fails leaves it unused.
	Redeem(ctx context.Context, q store.Querier, token string, b Binding) error
}

// invalid is the one answer to every failed check, so a bot learns nothing
// about which check it failed; the cause is kept for logs.
func invalid(cause error) error {
	return apperr.Wrap(apperr.CaptchaInvalid, "the puzzle was not solved; try the puzzle again", cause)
}

// malformed answers input that no client of ours would send.
func malformed(msg string) error {
	return apperr.New(apperr.InvalidRequest, msg)
}

// Drawing a puzzle costs CPU and a row, so how many may be drawn is
// limited. A puzzle for a change or bind counts against the flow's account,
// which only its signed-in owner can spend; PerIP bounds the puzzles drawn
// for no flow, which anyone at an address can spend, so it never refuses an
// owner's puzzle. The API and the pages count against both together.
var (
	PerAccount = ratelimit.Rule{Name: "captcha_account", Limit: 30, Window: 10 * time.Minute,
		Refusal: "too many puzzles were asked for"}
	PerIP = ratelimit.Rule{Name: "captcha_ip", Limit: 30, Window: 10 * time.Minute,
		Refusal: "too many puzzles were asked for from your network"}
)
