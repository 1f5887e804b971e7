package captcha

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// steps presses keys of dx each, gap ms apart, from t on; it returns the
// keys and where the piece ends.
func steps(keys []Key, t, at, dx, n, gap int) ([]Key, int, int) {
	for range n {
		at += dx
		keys = append(keys, Key{t, at})
		t += gap
	}
	return keys, t, at
}

// People at a keyboard: taps, a held key, Home and End, overshoot.
func TestKeyedAcceptsPeople(t *testing.T) {
	tap, tt, at := steps(nil, 0, 0, 10, 14, 180)    // Shift+Right × 14 to 140
	tap, tt, at = steps(tap, tt+400, at, 1, 3, 150) // Right × 3 to 143
	tap = append(tap, Key{tt + 500, at})

	held, ht, hat := steps(nil, 0, 0, 1, 187, 33) // Right held to 187
	held = append(held, Key{ht + 400, hat})

	ends := []Key{{0, 245}, {400, 235}, {700, 225}, {1000, 224}, {1400, 224}} // End, back
	home := []Key{{0, 10}, {200, 20}, {500, 0}, {900, 10}, {1200, 20}, {1500, 30}, {1900, 30}}
	for name, c := range map[string]struct {
		keys []Key
		x    int
	}{"taps": {tap, 143}, "held arrow": {held, 187}, "End, then back": {ends, 224}, "Home, then again": {home, 30}} {
		if err := Keyed(c.keys, c.x, Width); err != nil {
			t.Errorf("%s: refused: %v", name, err)
		}
	}
	rng := rand.New(rand.NewPCG(4, 5))
	for i := range 2000 {
		x := 80 + rng.IntN(165)
		if err := Keyed(HumanKeys(rng, x), x, Width); err != nil {
			t.Fatalf("HumanKeys #%d to %d refused: %v", i, x, err)
		}
	}
}

// Scripts that post a keyboard answer without pressing keys like a
// person: each is refused by the check named.
func TestKeyedRefusesScripts(t *testing.T) {
	good := []Key{{0, 10}, {200, 20}, {400, 30}, {600, 40}, {1000, 40}}
	jump := []Key{{0, 140}, {600, 140}}
	burst, bt, bat := steps(nil, 0, 0, 10, 14, 0)
	burst = append(burst, Key{bt + 300, bat})
	instant, it, iat := steps(nil, 0, 0, 10, 14, 100)
	instant = append(instant, Key{it - 100 + 5, iat})
	for _, c := range []struct {
		name string
		keys []Key
		x    int
		want error
	}{
		{"one key", []Key{{0, 40}}, 40, errFewSamples},
		{"too quick", []Key{{0, 10}, {50, 20}, {200, 20}}, 20, errDuration},
		{"too slow", []Key{{0, 10}, {120_001, 10}}, 10, errDuration},
		{"a jump to the answer", jump, 140, errKeyStep},
		{"a key that does not move", []Key{{0, 10}, {200, 10}, {500, 10}}, 10, errKeyStep},
		{"End short of the right end", []Key{{0, 150}, {500, 150}}, 150, errKeyStep},
		{"Home from the start", []Key{{0, 0}, {500, 0}}, 0, errKeyStep},
		{"all keys at once", burst, 140, errKeyBurst},
		{"submitted as it landed", instant, 140, errNoAim},
		{"submitted elsewhere", good, 41, errEnd},
		{"the submit key moves", []Key{{0, 10}, {200, 20}, {600, 30}}, 30, errEnd},
		{"backwards in time", []Key{{0, 10}, {200, 20}, {100, 20}}, 20, errTimeOrder},
		{"outside the picture", []Key{{0, 10}, {300, 301}}, 10, errOutOfBounds},
		{"negative", []Key{{0, -10}, {300, -10}}, 10, errOutOfBounds},
	} {
		if err := Keyed(c.keys, c.x, Width); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if err := Keyed(good, 40, Width); err != nil {
		t.Fatalf("the base case is refused: %v", err)
	}
	long := make([]Key, MaxTrail+1)
	if err := Keyed(long, 0, Width); !errors.Is(err, errLongTrail) {
		t.Errorf("too many keys: %v", err)
	}
}
