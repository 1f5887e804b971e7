package quiz

import (
	"math/rand/v2"
	"strings"
)

// addressDecoys fills opts, which hold the question's right addresses, with
// made-up addresses up to OptionsPerQuestion. chosen holds every address
// that may not be used (the account's own); networks maps each address to
// its network and learns the decoys'.
func addressDecoys(opts []Option, real []string, chosen map[string]bool, networks map[string]string, rng *rand.Rand) []Option {
	for len(opts) < OptionsPerQuestion {
		model := real[rng.IntN(len(real))]
		a := mimic(model, rng)
		if !chosen[a] {
			chosen[a] = true
			networks[a] = networks[model]
			opts = append(opts, option(WithdrawalAddresses, a, networks))
		}
	}
	return opts
}

func option(k Kind, v string, networks map[string]string) Option {
	if k != WithdrawalAddresses {
		return Option{Value: v, Text: v}
	}
	text := MaskAddress(v)
	if n := networks[v]; n != "" {
		text += " (" + n + ")"
	}
	return Option{Value: v, Text: text}
}

// MaskAddress shows the start and end of an address, enough for its owner
// to recognise it in their wallet: "TXa9Bc…k2Lm".
func MaskAddress(a string) string {
	if len(a) <= 12 {
		return a[:min(len(a), 3)] + "…"
	}
	return a[:6] + "…" + a[len(a)-4:]
}

const (
	hexLower  = "0123456789abcdef"
	hexUpper  = "0123456789ABCDEF"
	bech32    = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	base58    = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

// mimic returns a random address shaped like a: the same length, the same
// format prefix ("0x", a bech32 prefix such as "bc1q", or the first
// character), and the rest drawn from the smallest alphabet that holds a's.
func mimic(a string, rng *rand.Rand) string {
	keep := 1
	switch {
	case strings.HasPrefix(a, "0x"):
		keep = 2
	case strings.Contains(a[:min(len(a), 8)], "1") && allIn(a[strings.Index(a, "1")+1:], bech32):
		keep = strings.Index(a, "1") + 2
	}
	keep = min(keep, len(a))
	rest := a[keep:]
	alphabet := base64url
	for _, al := range []string{hexLower, hexUpper, bech32, base58} {
		if allIn(rest, al) {
			alphabet = al
			break
		}
	}
	b := []byte(a[:keep])
	for range rest {
		b = append(b, alphabet[rng.IntN(len(alphabet))])
	}
	return string(b)
}

func allIn(s, alphabet string) bool {
	for _, r := range s {
		if !strings.ContainsRune(alphabet, r) {
			return false
		}
	}
	return true
}
