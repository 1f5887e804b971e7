package captcha

import (
	"math"
	"math/rand/v2"
)

// HumanTrail returns a drag from 0 to x shaped like a person's, for tests
// here and elsewhere (API tests post it; browser tests drag along it): a
// pause before the hand moves, a minimum-jerk stroke (accelerating, then
// slowing down for longer to aim) sampled every 8–24 ms with a pixel of
// tremor now and then, often an overshoot corrected back, a slowly drifting
// height, and a last sample at x when the button is released. It passes
// Human for any x from 80 up (the slider never asks for less).
//
// That it fits in forty lines is the point made in the package comment:
// the trail check stops naive scripts, not a determined bot.
func HumanTrail(rng *rand.Rand, x int) []Point {
	y := 100 + rng.IntN(20)
	trail := []Point{{0, 0, y}}
	over := rng.IntN(7) // pixels past the gap, corrected at the end
	t0 := 60 + rng.IntN(140)
	stroke := 450 + rng.IntN(1200)
	// Aimed reaches spend longer slowing down than speeding up.
	skew := 0.7 + 0.2*rng.Float64()
	for t := t0; t < t0+stroke; t += 8 + rng.IntN(17) {
		s := minJerk(math.Pow(float64(t-t0)/float64(stroke), skew))
		pos := int(math.Round(s*float64(x+over))) + tremor(rng)
		y += drift(rng)
		trail = append(trail, Point{t, max(pos, 0), y})
	}
	t := t0 + stroke
	// Aiming: a few slow samples that settle on x.
	for pos := x + over; pos != x; {
		pos -= 1 + rng.IntN(min(pos-x, 2))
		t += 20 + rng.IntN(40)
		trail = append(trail, Point{t, pos, y})
	}
	t += 20 + rng.IntN(40)
	trail = append(trail, Point{t, x, y + 1}) // the hand always moves a little
	t += 40 + rng.IntN(200)
	return append(trail, Point{t, x, y + 1})
}

// minJerk is the position profile of a point-to-point reach (Flash and
// Hogan, 1985): from 0 to 1 as τ goes from 0 to 1, fastest in the middle.
func minJerk(tau float64) float64 {
	return tau * tau * tau * (10 - 15*tau + 6*tau*tau)
}

// tremor shakes the hand by a pixel now and then.
func tremor(rng *rand.Rand) int {
	if rng.IntN(4) == 0 {
		return rng.IntN(3) - 1
	}
	return 0
}

// drift moves the hand's height by a pixel now and then.
func drift(rng *rand.Rand) int {
	if rng.IntN(4) == 0 {
		return rng.IntN(3) - 1
	}
	return 0
}
