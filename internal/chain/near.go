package chain

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
)

// nearAccountID is NEAR's rule for account ids (nomicon, "Account ID"):
// parts of lower-case letters and digits joined by single "-" or "_", and
// levels joined by ".".
var nearAccountID = regexp.MustCompile(`^(([a-z\d]+[-_])*[a-z\d]+\.)*([a-z\d]+[-_])*[a-z\d]+$`)

// nearNamed is a named NEAR account under the "near" registrar,
// "name.near": a made-up name of syllables, sometimes two words or digits,
// the way people pick handles.
func nearNamed() format {
	gen := func(rng *rand.Rand) string {
		name := nearWord(rng)
		if rng.Float64() < 0.25 {
			name += string("_-"[rng.IntN(2)]) + nearWord(rng)
		}
		if rng.Float64() < 0.35 {
			for range 1 + rng.IntN(4) {
				name += string(rune('0' + rng.IntN(10)))
			}
		}
		return name + ".near"
	}
	check := func(a string) error {
		name, ok := strings.CutSuffix(a, ".near")
		switch {
		case !ok || name == "":
			return errors.New(`not a name and ".near"`)
		case len(a) > 64:
			return errors.New("longer than 64 characters")
		case !nearAccountID.MatchString(a):
			return errors.New("not a NEAR account id")
		}
		return nil
	}
	return format{gen, check}
}

// nearWord is 2 or 3 syllables of a consonant and a vowel, sometimes closed
// by a consonant.
func nearWord(rng *rand.Rand) string {
	const consonants, vowels = "bcdfghjklmnprstvwz", "aeiou"
	var b strings.Builder
	for range 2 + rng.IntN(2) {
		b.WriteByte(consonants[rng.IntN(len(consonants))])
		b.WriteByte(vowels[rng.IntN(len(vowels))])
	}
	if rng.Float64() < 0.4 {
		b.WriteByte(consonants[rng.IntN(len(consonants))])
	}
	return b.String()
}
