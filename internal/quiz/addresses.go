package quiz

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/rebindhq/rebind/internal/chain"
)

// addressDecoys fills opts, which hold the question's right addresses, with
// made-up addresses up to OptionsPerQuestion. chosen holds every address
// that may not be used (the account's own); networks maps each address to
// its network and learns the decoys'. It may swap which of real are the
// right options (as many as opts holds): see addressOptions.
func addressDecoys(opts []Option, real []string, chosen map[string]bool, networks map[string]string, rng *rand.Rand) []Option {
	return addressOptions(len(opts), real, chosen, networks, rng)
}

// addressOptions returns c of the account's addresses real and decoys, up to
// OptionsPerQuestion options in all, so that the shown text says nothing of
// which are right:
//
//   - Each address has a class: its network (shown after it) and its kind in
//     the chain package's table (e.g. BTC P2WPKH, "bc1q…", 42 characters;
//     or EIP-55 checksummed against lower case on an EVM chain). A decoy is
//     a fresh valid address of a class of the account's, made by the same
//     generator as the demo's true ones, so prefix, alphabet, case, length
//     and checksum are alike; it is never the account's own, and never
//     shows the same masked text as one.
//   - The 8 options' classes are mixed like the account's: class g, held by
//     m_g of its n addresses, gets k_g ≈ 8·m_g/n options (rounded with
//     E[k_g] = 8·m_g/n). Then, of the c right options, class g gets t_g
//     with E[t_g] = c·k_g/8, so that every option, whatever its class and
//     however rare that class is among the 8, is right with chance c/8.
//     That is exact unless it would take more right options of a class
//     than the account has (t_g ≤ m_g), which with c ≤ 4 happens only when
//     all of 3 addresses of 2 or 3 classes are shown (8·m_g/3 is not a
//     whole number): then the mix closest to exact is taken (closestMix),
//     and a class of 1 address among 2 of 8 options is right half the time
//     instead of 3/8.
//
// An address of a network or kind the table does not know is imitated
// (mimic): same prefix, length and alphabet. Fewer than OptionsPerQuestion
// options come back only when no fresh decoy can be found.
func addressOptions(c int, real []string, chosen map[string]bool, networks map[string]string, rng *rand.Rand) []Option {
	groups := classify(real, networks)
	n := len(real)
	share := make([]float64, len(groups))
	for g, gr := range groups {
		share[g] = float64(OptionsPerQuestion*len(gr.real)) / float64(n)
	}
	k := systematic(share, OptionsPerQuestion, rng)
	if !fits(k, groups, c) && len(groups) <= 4 {
		k = closestMix(groups, c, rng)
	}
	t := systematic(waterFill(k, rooms(k, groups), c), c, rng)
	shown := map[string]bool{}
	for a := range chosen {
		shown[MaskAddress(a)] = true
	}
	var opts []Option
	for g, gr := range groups {
		mine := slices.Clone(gr.real)
		rng.Shuffle(len(mine), func(i, j int) { mine[i], mine[j] = mine[j], mine[i] })
		for _, a := range mine[:min(t[g], len(mine))] {
			opts = append(opts, option(WithdrawalAddresses, a, networks))
		}
		for range k[g] - min(t[g], len(mine)) {
			a, ok := gr.decoy(chosen, shown, rng)
			if !ok {
				return opts
			}
			networks[a] = gr.network
			opts = append(opts, option(WithdrawalAddresses, a, networks))
		}
	}
	return opts
}

// rooms returns how many right options each class can have: no more than
// its options, nor than the account's addresses of the class.
func rooms(k []int, groups []*class) []int {
	room := make([]int, len(groups))
	for g, gr := range groups {
		room[g] = min(len(gr.real), k[g])
	}
	return room
}

// fits reports whether the mix k lets every class have its share c·k_g/8
// of the right options.
func fits(k []int, groups []*class, c int) bool {
	for g, gr := range groups {
		if c*k[g] > OptionsPerQuestion*len(gr.real) {
			return false
		}
	}
	return true
}

// closestMix returns, among the mixes of 8 options over the classes that
// give each class an option, the one (drawn at random among equals) whose
// classes' chances of being right stray least from c/8, weighted by their
// options. Only a few classes ever need it (it tries every mix).
func closestMix(groups []*class, c int, rng *rand.Rand) []int {
	var best [][]int
	bestCost := math.Inf(1)
	k := make([]int, len(groups))
	var walk func(g, left int)
	walk = func(g, left int) {
		if g == len(groups)-1 {
			k[g] = left
			x := waterFill(k, rooms(k, groups), c)
			var cost float64
			for i := range k {
				d := x[i]/float64(k[i]) - float64(c)/OptionsPerQuestion
				cost += float64(k[i]) * d * d
			}
			switch {
			case cost < bestCost-1e-12:
				best, bestCost = [][]int{slices.Clone(k)}, cost
			case cost < bestCost+1e-12:
				best = append(best, slices.Clone(k))
			}
			return
		}
		for k[g] = 1; k[g] <= left-(len(groups)-1-g); k[g]++ {
			walk(g+1, left-k[g])
		}
	}
	walk(0, OptionsPerQuestion)
	return best[rng.IntN(len(best))]
}

// class is the addresses of one network and kind among an account's, and
// how to make more like them.
type class struct {
	network string
	kind    *chain.Kind // nil: unknown to the table, imitated from real
	real    []string
}

// classify groups addresses by class, in the order of their first member.
func classify(real []string, networks map[string]string) []*class {
	var out []*class
	index := map[string]*class{}
	for _, a := range real {
		network := networks[a]
		var kind *chain.Kind
		if n, ok := chain.Lookup(network); ok {
			kind, _ = n.Classify(a)
		} else if _, k, ok := chain.Detect(a); ok {
			kind = k // a network name the table does not use, e.g. "TRX"
		}
		key := network + "\x00"
		if kind != nil {
			key += kind.Name
		} else {
			prefix, alphabet := shapeOf(a)
			key += fmt.Sprintf("?%s\x00%s\x00%d", prefix, alphabet, len(a))
		}
		if index[key] == nil {
			index[key] = &class{network: network, kind: kind}
			out = append(out, index[key])
		}
		index[key].real = append(index[key].real, a)
	}
	return out
}

// decoy makes a fresh address of the class whose masked text no address in
// shown has, and records it in chosen and shown.
func (c *class) decoy(chosen, shown map[string]bool, rng *rand.Rand) (string, bool) {
	for range 100 {
		var a string
		if c.kind != nil {
			a = c.kind.New(rng)
		} else {
			a = mimic(c.real[rng.IntN(len(c.real))], rng)
		}
		if !chosen[a] && !shown[MaskAddress(a)] {
			chosen[a], shown[MaskAddress(a)] = true, true
			return a, true
		}
	}
	return "", false
}

// systematic rounds x to whole numbers that sum to total (Σx, a whole
// number) with each n_i ⌊x_i⌋ or ⌈x_i⌉ and E[n_i] = x_i: systematic
// sampling, points u, u+1, … with one uniform offset u.
func systematic(x []float64, total int, rng *rand.Rand) []int {
	out := make([]int, len(x))
	if len(x) == 0 {
		return out
	}
	u, i, end := rng.Float64(), 0, x[0]
	for j := range total {
		p := u + float64(j)
		for i < len(x)-1 && p >= end {
			i++
			end += x[i]
		}
		out[i]++
	}
	return out
}

// waterFill splits c in proportion to k, no part above its room: parts
// that would overflow are held at their room and the rest is split again
// among the others. Σ room ≥ c.
func waterFill(k, room []int, c int) []float64 {
	x := make([]float64, len(k))
	held := make([]bool, len(k))
	left := float64(c)
	for {
		var weight float64
		for g := range k {
			if !held[g] {
				weight += float64(k[g])
			}
		}
		over := false
		for g := range k {
			if !held[g] && weight > 0 && left*float64(k[g])/weight > float64(room[g]) {
				held[g], x[g], over = true, float64(room[g]), true
				left -= float64(room[g])
			}
		}
		if !over {
			for g := range k {
				if !held[g] && weight > 0 {
					x[g] = left * float64(k[g]) / weight
				}
			}
			return x
		}
	}
}

func option(k Kind, v string, networks map[string]string) Option {
	if k != WithdrawalAddresses {
		return Option{Value: v, Text: OptionText(k, v)}
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

// mimic returns a random address shaped like a (shapeOf): the same
// prefix and length, the rest drawn from a's alphabet. It makes decoys for
// addresses the chain package does not know; they need not be valid.
func mimic(a string, rng *rand.Rand) string {
	prefix, alphabet := shapeOf(a)
	b := []byte(prefix)
	for range len(a) - len(prefix) {
		b = append(b, alphabet[rng.IntN(len(alphabet))])
	}
	return string(b)
}

// shapeOf returns a's format prefix ("0x", a bech32 prefix such as "bc1q",
// or the first character) and the smallest alphabet that holds the rest.
func shapeOf(a string) (prefix, alphabet string) {
	keep := 1
	switch {
	case strings.HasPrefix(a, "0x"):
		keep = 2
	case strings.Contains(a[:min(len(a), 8)], "1") && allIn(a[strings.Index(a, "1")+1:], bech32):
		keep = strings.Index(a, "1") + 2
	}
	keep = min(keep, len(a))
	alphabet = base64url
	for _, al := range []string{hexLower, hexUpper, bech32, base58} {
		if allIn(a[keep:], al) {
			return a[:keep], al
		}
	}
	return a[:keep], alphabet
}

func allIn(s, alphabet string) bool {
	for _, r := range s {
		if !strings.ContainsRune(alphabet, r) {
			return false
		}
	}
	return true
}
