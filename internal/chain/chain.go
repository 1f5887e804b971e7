// Package chain knows what the addresses of each blockchain network look
// like: for every network an exchange lists (those of the demo population),
// the kinds of address in use with each kind's prefix, alphabet, case,
// length and checksum; a generator of fresh addresses of each kind that a
// wallet would accept (checksums computed, not imitated); and a validator.
// The demo draws accounts' withdrawal and deposit addresses from it, and
// the security questions draw their decoy addresses from it, so true and
// made-up addresses come from one model.
package chain

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The case rules of a kind.
const (
	Lower = "lower" // lower case only
	Upper = "upper" // upper case only
	Mixed = "mixed" // both, and the case is part of the value (base 58, base 64)
	EIP55 = "eip55" // both, the case of each letter is a checksum (EIP-55)
)

// Kind is one way a network writes an address, e.g. Bitcoin's P2WPKH:
// "bc1q", 38 more bech32 characters, lower case, a 6-character checksum.
type Kind struct {
	Name string
	// Share is the kind's share of the network's addresses in the demo
	// population. A kind with no share is recognised, and the questions
	// make decoys of it for an account that has such an address, but the
	// demo never draws one.
	Share    float64
	Prefixes []string // every address of the kind starts with one of these
	Alphabet string   // what the characters after the prefix are drawn from
	Case     string   // Lower, Upper, Mixed or EIP55
	MinLen   int      // in characters, prefix included
	MaxLen   int
	Checksum string // what the address checks, "" for nothing
	gen      func(*rand.Rand) string
	check    func(string) error
}

// New returns a fresh random address of the kind.
func (k *Kind) New(rng *rand.Rand) string { return k.gen(rng) }

// Check returns why a is not an address of the kind, or nil.
func (k *Kind) Check(a string) error { return k.check(a) }

// Network is a chain's address formats.
type Network struct {
	Name  string
	Kinds []Kind
}

// New draws a kind by the kinds' shares and returns a fresh address of it.
func (n *Network) New(rng *rand.Rand) string {
	var total float64
	for _, k := range n.Kinds {
		total += k.Share
	}
	x := rng.Float64() * total
	for i := range n.Kinds {
		if x < n.Kinds[i].Share {
			return n.Kinds[i].New(rng)
		}
		x -= n.Kinds[i].Share
	}
	return n.Kinds[0].New(rng)
}

// Classify returns the kind that a is an address of, or why a is none.
func (n *Network) Classify(a string) (*Kind, error) {
	var why error
	for i := range n.Kinds {
		k := &n.Kinds[i]
		err := k.Check(a)
		if err == nil {
			return k, nil
		}
		for _, p := range k.Prefixes {
			if why == nil && p != "" && strings.HasPrefix(a, p) {
				why = fmt.Errorf("%s %s address: %w", n.Name, k.Name, err) // the likeliest intent
			}
		}
	}
	if why == nil {
		why = fmt.Errorf("not a %s address", n.Name)
	}
	return nil, why
}

// Lookup returns the formats of a network by its name (any case).
func Lookup(name string) (*Network, bool) {
	n, ok := byName[strings.ToUpper(name)]
	return n, ok
}

// Networks returns every network the table knows, in a fixed order.
func Networks() []*Network { return networks }

// Valid returns nil if a is an address of the network, or why not.
func Valid(network, a string) error {
	n, ok := Lookup(network)
	if !ok {
		return fmt.Errorf("unknown network %q", network)
	}
	_, err := n.Classify(a)
	return err
}

// Detect returns the first network and kind, in table order, that a is an
// address of: how to make addresses like a when its network's name is not
// one the table knows.
func Detect(a string) (*Network, *Kind, bool) {
	for _, n := range networks {
		if k, err := n.Classify(a); err == nil {
			return n, k, true
		}
	}
	return nil, nil, false
}

var byName = func() map[string]*Network {
	m := map[string]*Network{}
	for _, n := range networks {
		m[n.Name] = n
	}
	return m
}()

// kind fills a Kind's description and its generator and check.
func kind(name string, share float64, prefixes []string, alphabet, cas string, minLen, maxLen int, checksum string,
	f format) Kind {
	return Kind{Name: name, Share: share, Prefixes: prefixes, Alphabet: alphabet, Case: cas, MinLen: minLen, MaxLen: maxLen,
		Checksum: checksum, gen: f.gen, check: f.check}
}

func p(prefixes ...string) []string { return prefixes }

// format is how one kind of address is made and checked.
type format struct {
	gen   func(*rand.Rand) string
	check func(string) error
}
