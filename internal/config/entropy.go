package config

import "math"

// The least estimated entropy accepted for the server secret (of its
// decoded bytes) and for the admin token. 32 random bytes estimate at
// about 133 bits or more, a random 32-digit hex token at about 85 or more
// (the least seen in five million draws of each), so neither is ever
// refused by bad luck; a value a person made up mostly is.
const (
	minSecretBits = 112
	minTokenBits  = 72
)

// entropyBits estimates the entropy of a value from the value alone, in
// bits: the least of the Shannon entropy of its bytes, of the differences
// between neighbouring bytes (which sees runs such as "abcdef" or "0123"),
// and of the shortest part that it repeats ("passwordpassword"), each
// counted over its length. It is not a measure of strength (a typed phrase
// can score well), only a refusal of what is plainly guessable: one
// character, a few, a pattern, a count.
func entropyBits(b []byte) float64 {
	if len(b) < 2 {
		return 0
	}
	diffs := make([]byte, len(b)-1)
	for i := 1; i < len(b); i++ {
		diffs[i-1] = b[i] - b[i-1]
	}
	return min(shannonBits(b), shannonBits(diffs), shannonBits(b[:period(b)]))
}

// shannonBits is len(b) times the Shannon entropy of b's byte frequencies.
func shannonBits(b []byte) float64 {
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	bits := 0.0
	for _, n := range counts {
		if n > 0 {
			p := float64(n) / float64(len(b))
			bits -= float64(n) * math.Log2(p)
		}
	}
	return bits
}

// period returns the length of the shortest prefix that b repeats (b
// itself when it repeats nothing).
func period(b []byte) int {
next:
	for p := 1; p < len(b); p++ {
		for i := p; i < len(b); i++ {
			if b[i] != b[i-p] {
				continue next
			}
		}
		return p
	}
	return len(b)
}
