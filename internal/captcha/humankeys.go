package captcha

import "math/rand/v2"

// HumanKeys returns a keyboard answer to x as a person gives it, for tests
// here and elsewhere: Shift+arrow presses of 10 px a few tenths of a
// second apart (or a held arrow key repeating every 33 ms), a press or two
// past the gap now and then, single-pixel presses to settle, and Enter
// after a look. Like HumanTrail, it shows how little it takes to pass.
func HumanKeys(rng *rand.Rand, x int) []Key {
	var keys []Key
	t, at := 0, 0
	press := func(to, gap int) {
		at = to
		keys = append(keys, Key{t, at})
		t += gap
	}
	held := rng.IntN(2) == 0
	for at+keyStep <= x+rng.IntN(2)*keyStep { // sometimes one press too far
		gap := 120 + rng.IntN(250)
		if held {
			gap = 33
		}
		press(at+keyStep, gap)
	}
	t += 200 + rng.IntN(400) // a look at the gap
	for at != x {
		step := 1
		if at > x {
			step = -1
		}
		press(at+step, 90+rng.IntN(200))
	}
	keys = append(keys, Key{t - 90 + 300 + rng.IntN(600), x}) // Enter
	return keys
}
