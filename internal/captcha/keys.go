package captcha

import (
	"errors"
	"fmt"
)

// Key is one key press of a keyboard answer (WCAG 2.1.1: the slider works
// without a pointer): T milliseconds since the first key, X the piece's
// left edge after it, in background pixels. The page records every key
// that moved the piece (an arrow: 1 px; with Shift, or Page Up/Down: 10 px;
// Home: to 0; End: to the right end) and, last, the key that submitted the
// answer (Enter or Space), which does not move it.
type Key struct{ T, X int }

// The keyboard checks and their thresholds. A keyboard answer has no drag
// to judge, so the checks are about what a person at a keyboard does: move
// the piece in steps the keys make, not all at once, and look before
// confirming. Like the drag checks they stop naive scripts, not a bot that
// presses keys like a person (see README.md).
const (
	// A move and the key that submits it, at the least.
	minKeys = 2
	// The largest step a key makes but Home and End.
	keyStep = 10
	// End moves the piece to the right end, which is at least
	// width - maxPieceSide whatever the piece's size; the page may stop it
	// up to endKeySlack earlier on a narrow screen.
	endKeySlack = 2 * keyStep
	// Between two key presses, at least this long: a held key repeats
	// every 30–50 ms, a fast typist presses keys 60 ms apart; a script
	// posts them all at once.
	minKeyGapMS = 10
	// The key that submits comes at least this long after the last move:
	// a person sees the piece land before confirming.
	minAimMS = 150
	// Keyboard answers take longer than drags: up to the puzzle's
	// lifetime, less time to load it.
	maxKeyDurationMS = 110_000
)

var (
	errKeyStep  = errors.New("captcha: a key moved the piece farther than a key moves it")
	errKeyBurst = errors.New("captcha: keys pressed faster than a person presses them")
	errNoAim    = errors.New("captcha: submitted as the piece landed")
)

// Keyed reports whether a keyboard answer looks like a person's: the piece
// moved from 0 to x (its final left edge) on a background width pixels
// wide. It returns nil or the first check that failed, in this order:
// enough keys, a sane duration, every move one a key makes, the answer
// where the last move left the piece, no burst of keys, and a pause before
// submitting. It is a pure function.
func Keyed(keys []Key, x, width int) error {
	if err := keyShape(keys, width); err != nil {
		return err
	}
	first, last := keys[0], keys[len(keys)-1]
	switch {
	case len(keys) < minKeys:
		return fmt.Errorf("%w: %d keys < %d", errFewSamples, len(keys), minKeys)
	case last.T-first.T < minDurationMS || last.T-first.T > maxKeyDurationMS:
		return fmt.Errorf("%w: %d ms", errDuration, last.T-first.T)
	}
	moves, submit := keys[:len(keys)-1], keys[len(keys)-1]
	at := 0
	for i, k := range moves {
		d := abs(k.X - at)
		home, end := k.X == 0 && k.X < at, k.X > at && k.X >= width-maxPieceSide-endKeySlack
		if d == 0 || (d > keyStep && !home && !end) {
			return fmt.Errorf("%w: %d to %d at key %d", errKeyStep, at, k.X, i)
		}
		if i > 0 && k.T-moves[i-1].T < minKeyGapMS {
			return fmt.Errorf("%w: %d ms at key %d", errKeyBurst, k.T-moves[i-1].T, i)
		}
		at = k.X
	}
	switch {
	case submit.X != at || at != x:
		return fmt.Errorf("%w: the piece is at %d, submitted at %d, answer %d", errEnd, at, submit.X, x)
	case submit.T-moves[len(moves)-1].T < minAimMS:
		return fmt.Errorf("%w: %d ms after the last move", errNoAim, submit.T-moves[len(moves)-1].T)
	}
	return nil
}

// keyShape checks what a well-behaved page always sends: at most MaxTrail
// keys, times that never go backwards, positions inside the picture.
// Solve answers these with invalid_request before it spends the challenge.
func keyShape(keys []Key, width int) error {
	if len(keys) > MaxTrail {
		return fmt.Errorf("%w: %d > %d", errLongTrail, len(keys), MaxTrail)
	}
	for i, k := range keys {
		if k.T < 0 || k.T > 3_600_000 || k.X < 0 || k.X > width {
			return fmt.Errorf("%w: key %d", errOutOfBounds, i)
		}
		if i > 0 && k.T < keys[i-1].T {
			return fmt.Errorf("%w: key %d", errTimeOrder, i)
		}
	}
	if len(keys) == 0 {
		return fmt.Errorf("%w: none", errFewSamples)
	}
	return nil
}
