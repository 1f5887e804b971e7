package captcha

import (
	"errors"
	"fmt"
	"math"
)

// The trail checks and their thresholds. They are set so that every trail
// of a person dragging with a mouse, a touchpad or a finger passes (a
// rejected person has to do the puzzle again; a rejected bot just retries),
// and a trail computed as a line does not.
const (
	// MaxTrail is the most samples an answer may carry; more is malformed.
	// Pointer events come every 4–16 ms while the pointer moves, so the page
	// thins a longer drag (evenly, keeping the first and last samples).
	MaxTrail = 500

	// A drag sampled by pointer events has tens of samples; a script that
	// posts a start and an end has a handful.
	minSamples = 10
	// A person needs a quarter of a second at least to find the gap and
	// drag to it; twenty seconds is far more than anyone takes.
	minDurationMS = 250
	maxDurationMS = 20_000
	// The drag starts where the piece is (0) and its last sample is where
	// the piece was dropped (the answer x), give or take rounding.
	startSlack = 10
	endSlack   = 3
	// Between two samples the piece moves at most a fifth of the width, and
	// at most maxSpeed px/ms (6000 px/s, several times a fast flick).
	stepShare = 5
	maxSpeed  = 6
	// While the piece moves (it is restPx or more from where it started
	// and from where it stopped), its position bends away from the
	// constant-speed line by at least minBend of the distance (and
	// minBendPx).
	restPx    = 2
	minBend   = 0.03
	minBendPx = 3
	// Speeds are measured over bins of at least binMS, so that a pixel of
	// rounding or one late timestamp weighs little.
	binMS = 40
	// Speed varies: the coefficient of variation of the speed over the bins
	// in which the piece moves is at least minSpeedCV. People, who
	// accelerate, slow down to aim and correct, are around 0.5 to 1.
	minSpeedCV = 0.25
	// People start from rest and slow down to aim: the speed in the first
	// and in the last bin is at most edgeRatio of the fastest bin's.
	edgeRatio = 0.5
)

// Why a trail was refused. They are kept for logs and tests only; the
// caller is told just that the puzzle was not solved.
var (
	errFewSamples  = errors.New("captcha: too few samples")
	errTimeOrder   = errors.New("captcha: times go backwards")
	errDuration    = errors.New("captcha: duration out of human bounds")
	errStart       = errors.New("captcha: trail does not start at the piece")
	errEnd         = errors.New("captcha: trail does not end at the answer")
	errTeleport    = errors.New("captcha: trail jumps")
	errNoJitter    = errors.New("captcha: trail never changes height")
	errStraight    = errors.New("captcha: trail moves at one speed")
	errFlatSpeed   = errors.New("captcha: speed does not vary")
	errNoEase      = errors.New("captcha: trail does not accelerate and slow down")
	errNoMovement  = errors.New("captcha: trail does not move")
	errLongTrail   = errors.New("captcha: too many samples")
	errOutOfBounds = errors.New("captcha: coordinates out of range")
)

// Human reports whether a drag trail looks like a person's: the piece
// dragged from 0 to x (its final left edge) on a background width pixels
// wide. It returns nil or the first check that failed; each check and its
// threshold is described at the constants above. It is a pure function.
func Human(trail []Point, x, width int) error {
	if err := shape(trail); err != nil {
		return err
	}
	first, last := trail[0], trail[len(trail)-1]
	switch {
	case len(trail) < minSamples:
		return fmt.Errorf("%w: %d < %d", errFewSamples, len(trail), minSamples)
	case last.T-first.T < minDurationMS || last.T-first.T > maxDurationMS:
		return fmt.Errorf("%w: %d ms", errDuration, last.T-first.T)
	case abs(first.X) > startSlack:
		return fmt.Errorf("%w: starts at %d", errStart, first.X)
	case abs(last.X-x) > endSlack:
		return fmt.Errorf("%w: ends at %d, answer %d", errEnd, last.X, x)
	}
	if err := jumps(trail, max(width/stepShare, 1)); err != nil {
		return err
	}
	if !jitters(trail) {
		return errNoJitter
	}
	if straight(trail) {
		return errStraight
	}
	return speeds(trail)
}

// shape checks what a well-behaved client always sends: times that never go
// backwards and coordinates of a sane size. Solve answers these with
// invalid_request before it spends the challenge.
func shape(trail []Point) error {
	if len(trail) > MaxTrail {
		return fmt.Errorf("%w: %d > %d", errLongTrail, len(trail), MaxTrail)
	}
	for i, p := range trail {
		if p.T < 0 || p.T > 3_600_000 || abs(p.X) > 100_000 || abs(p.Y) > 100_000 {
			return fmt.Errorf("%w: sample %d", errOutOfBounds, i)
		}
		if i > 0 && p.T < trail[i-1].T {
			return fmt.Errorf("%w: sample %d", errTimeOrder, i)
		}
	}
	if len(trail) == 0 {
		return fmt.Errorf("%w: none", errFewSamples)
	}
	return nil
}

// jumps refuses a step longer than maxStep, or faster than maxSpeed (two
// samples in the same millisecond may still be a few pixels apart, as
// browsers coalesce pointer events).
func jumps(trail []Point, maxStep int) error {
	for i := 1; i < len(trail); i++ {
		dx := abs(trail[i].X - trail[i-1].X)
		dt := max(trail[i].T-trail[i-1].T, 1)
		if dx > maxStep || dx > maxSpeed*dt {
			return fmt.Errorf("%w: %d px in %d ms at sample %d", errTeleport, dx, dt, i)
		}
	}
	return nil
}

// jitters reports whether the pointer's height ever changes: a hand never
// moves perfectly level over a whole drag.
func jitters(trail []Point) bool {
	for _, p := range trail[1:] {
		if p.Y != trail[0].Y {
			return true
		}
	}
	return false
}

// straight reports whether the piece moved at one speed: from the first
// sample that has left the start to the last that has not reached the end
// (more than restPx away; so rests at either end, sampled or not, are cut
// off), no sample is farther than minBend of the distance (and minBendPx)
// from the constant-speed line between those two. A person's reach, which
// accelerates and slows down, bends away from it; a computed line stays
// within rounding.
func straight(trail []Point) bool {
	first, last := trail[0], trail[len(trail)-1]
	i, j := 0, len(trail)-1
	for i < j && abs(trail[i].X-first.X) <= restPx {
		i++
	}
	for j > i && abs(trail[j].X-last.X) <= restPx {
		j--
	}
	a, b := trail[i], trail[j]
	if j-i < 2 || b.T == a.T {
		return true
	}
	bend := 0.0
	for _, p := range trail[i : j+1] {
		line := float64(a.X) + float64(b.X-a.X)*float64(p.T-a.T)/float64(b.T-a.T)
		bend = max(bend, math.Abs(float64(p.X)-line))
	}
	return bend < max(minBendPx, minBend*float64(abs(b.X-a.X)))
}

// speeds checks that the speed varies and that the drag starts and ends
// slowly, on speeds over bins of at least binMS, where one pixel of
// rounding or one late timestamp weighs little.
func speeds(trail []Point) error {
	v := binSpeeds(trail)
	if len(v) < 3 {
		return fmt.Errorf("%w: %d bins of %d ms", errFewSamples, len(v), binMS)
	}
	var moving []float64
	peak := 0.0
	for _, s := range v {
		if s > 0 {
			moving = append(moving, s)
		}
		peak = max(peak, s)
	}
	if len(moving) < 2 {
		return errNoMovement
	}
	// Rests are left out: a line with a pause at each end must still fail.
	if mean, sd := meanSD(moving); sd/mean < minSpeedCV {
		return fmt.Errorf("%w: cv %.2f < %.2f", errFlatSpeed, sd/mean, minSpeedCV)
	}
	if start, end := v[0], v[len(v)-1]; start > edgeRatio*peak || end > edgeRatio*peak {
		return fmt.Errorf("%w: start %.3f, end %.3f, peak %.3f px/ms", errNoEase, start, end, peak)
	}
	return nil
}

// binSpeeds cuts the trail into consecutive bins of at least binMS (a
// shorter remainder joins the last bin) and returns the speed in each: the
// net distance along x over the time, in px/ms, so that a pixel of tremor
// back and forth counts for little.
func binSpeeds(trail []Point) []float64 {
	var v []float64
	from := 0
	for i := 1; i < len(trail); i++ {
		rest := trail[len(trail)-1].T - trail[i].T
		if trail[i].T-trail[from].T >= binMS && (rest >= binMS || i == len(trail)-1) {
			v = append(v, float64(abs(trail[i].X-trail[from].X))/float64(trail[i].T-trail[from].T))
			from = i
		}
	}
	return v
}

func meanSD(v []float64) (mean, sd float64) {
	for _, s := range v {
		mean += s
	}
	mean /= float64(len(v))
	for _, s := range v {
		sd += (s - mean) * (s - mean)
	}
	return mean, math.Sqrt(sd / float64(len(v)))
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
