package chain_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/chain"
)

// known are real addresses from public documents: specifications' test
// vectors (EIP-55, BIP-173, BIP-350, cashaddr, CIP-19), the networks' own
// documentation and well-known accounts (the Bitcoin genesis address, the
// USDT contracts on Ethereum and TRON, the USDC contract and mint on
// Ethereum and Solana, the XRP genesis account).
var known = []struct{ network, address string }{
	{"ERC20", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
	{"ERC20", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"},
	{"BSC", "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"},
	{"ARBITRUM", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"},
	{"OPTIMISM", "0x52908400098527886E0F7030069857D2E4169EE7"},
	{"BASE", "0x8617E340B3D01FA5F11F306F4090FD50E238070D"},
	{"POLYGON", "0xde709f2102306220921060314715629080e2fb77"},
	{"AVAXC", "0x27b1fdb04752bbc536007a920d24acb045561c26"},
	{"ETC", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
	{"ERC20", "0xdAC17F958D2ee523a2206206994597C13D831ec7"},
	{"BSC", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"},
	{"ARBITRUM", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
	{"OPTIMISM", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"},
	{"BASE", "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"},
	{"POLYGON", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"},
	{"AVAXC", "0x52908400098527886E0F7030069857D2E4169EE7"},
	{"ETC", "0xde709f2102306220921060314715629080e2fb77"},
	{"NEAR", "app.alice.near"},
	{"TRC20", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"},
	{"TRC20", "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"},
	{"BTC", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
	{"BTC", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"},
	{"BTC", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"},
	{"BTC", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
	{"BTC", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"},
	{"BTC", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"},
	{"LTC", "LdhVys1Bw8Rx5EwquiUdx1DyWJF2xtXPmQ"},
	{"LTC", "MS1kPMTjQV9DVLGvXWw9QhAJVaHAjHh81o"},
	{"LTC", "ltc1qe2nl3405p8hx30ckqaujeqm7a5v5fdly8jjvjf"},
	{"LTC", "3F1c6UWAs9RLN2Mbt5bAJue12VhVCorXzs"},
	{"DOGE", "DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L"},
	{"DOGE", "DBXu2kgc3xtvCUWFcxFE3r9hEYgmuaaCyD"},
	{"BCH", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"},
	{"BCH", "bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq"},
	{"SOL", "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"},
	{"SOL", "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"},
	{"SOL", "11111111111111111111111111111111"},
	{"TON", "EQDKbjIcfM6ezt8KjKJJLshZJJSqX7XOA4ff-W72r5gqPrHF"},
	{"TON", "EQCD39VS5jcptHL8vMjEXrzGaRcCVYto7HUn4bpAOg8xqB2N"},
	{"TON", "0:ca6e321c7cce9ecedf0a8ca2492ec8592494aa5fb5ce0387dff96ef6af982a3e"},
	{"XRP", "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh"},
	{"XRP", "rrrrrrrrrrrrrrrrrrrrrhoLvTp"},
	{"ADA", "addr1qx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzer3n0d3vllmyqwsx5wktcd8cc3sq835lu7drv2xwl2wywfgse35a3x"},
	{"ADA", "addr1vx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzers66hrl8"},
	{"DOT", "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5"},
	{"DOT", "1qnJN7FViy3HZaxZK9tGAA71zxHSBeUweirKqCaox4t8GT7"},
	{"ATOM", "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu"},
	{"ATOM", "cosmos1pkptre7fdkl6gfrzlesjjvhxhlc3r4gmmk8rs6"},
	{"XLM", "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ"},
	{"XLM", "GCEZWKCA5VLDNRLN3RPRJMRZOX3Z6G5CHCGSNFHEYVXM3XOJMDS674JZ"},
	{"NEAR", "98793cd91a3f870fb126f66285808c7e094afcfc4eda8a970f6648cdf0dbd6de"},
	{"NEAR", "alice.near"},
	{"APT", "0x800010ed1fe94674af83640117490d459e20441eab132c17e7ff39b7ae07a722"},
	{"APT", "0xb61f9f829842869968edba4b88f0cf785ac6729fd664f50c7be8c630fd2daebc"},
	{"FIL", "f1abjxfbp274xpdqcpuaykwkfb43omjotacm2p3za"},
	{"FIL", "f410fkkld55ioe7qg24wvt7fu6pbknb56ht7pt4zamxa"},
}

func TestKnownAddressesAreValid(t *testing.T) {
	covered := map[string]int{}
	for _, c := range known {
		if err := chain.Valid(c.network, c.address); err != nil {
			t.Errorf("%s %s: %v", c.network, c.address, err)
		}
		covered[c.network]++
	}
	for _, n := range chain.Networks() {
		if covered[n.Name] < 2 {
			t.Errorf("%d known %s addresses, want two or more", covered[n.Name], n.Name)
		}
	}
}

// Every single-character change of a known address whose kind carries a
// checksum is refused: the checksum (or EIP-55's letter case) catches it.
func TestChecksumsCatchOneWrongCharacter(t *testing.T) {
	for _, c := range known {
		n, _ := chain.Lookup(c.network)
		k, err := n.Classify(c.address)
		if err != nil || k.Checksum == "" {
			continue
		}
		start := 0 // after the kind's prefix
		for _, p := range k.Prefixes {
			if strings.HasPrefix(c.address, p) {
				start = max(start, len(p))
			}
		}
		alphabet := k.Alphabet
		for i := start; i < len(c.address); i++ {
			j := strings.IndexByte(alphabet, c.address[i])
			if j < 0 {
				continue // a separator such as ":"
			}
			b := []byte(c.address)
			b[i] = alphabet[(j+1)%len(alphabet)]
			if err := chain.Valid(c.network, string(b)); err == nil {
				t.Errorf("%s: %s (character %d changed) passes", c.network, b, i)
			}
		}
	}
}

func TestBrokenAddressesAreRefused(t *testing.T) {
	for _, c := range []struct{ network, address, why string }{
		{"ERC20", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "one letter's case"},
		{"ERC20", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedZ", "41 characters"},
		{"ERC20", "0x5gAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "not hex"},
		{"BSC", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00", "no 0x"},
		{"TON", "ULouhpKbjIcfM6ezt8KjKJJLshZJJSqX7XOA4ff-W72r5gqP", "does not start UQ or EQ (issue 8)"},
		{"TON", "EQDKbjIcfM6ezt8KjKJJLshZJJSqX7XOA4ff-W72r5gqPrHG", "checksum"},
		{"TON", "kQDKbjIcfM6ezt8KjKJJLshZJJSqX7XOA4ff-W72r5gqPrHF", "test network flag"},
		{"BCH", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcw_y22gdx6a", "_ is not a cashaddr character (issue 8)"},
		{"BCH", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6q", "checksum"},
		{"FIL", "f1ABJXFBP274XPDQCPUAYKWKFB43OMJOTACM2P3ZA", "upper case (issue 8)"},
		{"FIL", "f1abjxfbp274xpdqcpuaykwkfb43omjotacm2p3zb", "checksum"},
		{"XLM", "ga7qynf7sowq3glr2bgmzehxavirza4kvwltjjfc7mgxua74p7ujvsgz", "lower case (issue 8)"},
		{"XLM", "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGA", "checksum"},
		{"XLM", "SA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ", "a secret seed's version"},
		{"BTC", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdQ", "mixed case"},
		{"BTC", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdb", "checksum"},
		{"BTC", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zmxk4", "bech32 where bech32m is due"},
		{"BTC", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "checksum"},
		{"BTC", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0", "0 is not base58"},
		{"TRC20", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T", "checksum"},
		{"TRC20", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "a Bitcoin address"},
		{"XRP", "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTH", "checksum"},
		{"ADA", "addr1qx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzer3n0d3vllmyqwsx5wktcd8cc3sq835lu7drv2xwl2wywfgse35a3y", "checksum"},
		{"DOT", "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp6", "checksum"},
		{"ATOM", "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xv", "checksum"},
		{"ATOM", "osmo1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu", "another chain's prefix"},
		{"DOGE", "DH5yaieqoZN36fDVciNyRueRGvGLR3mr7M", "checksum"},
		{"LTC", "ltc1qe2nl3405p8hx30ckqaujeqm7a5v5fdly8jjvjg", "checksum"},
		{"SOL", "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1vv", "33 bytes"},
		{"SOL", "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1I", "I is not base58"},
		{"NEAR", "98793cd91a3f870fb126f66285808c7e094afcfc4eda8a970f6648cdf0dbd6dE", "upper case"},
		{"NEAR", "alice..near", "empty part"},
		{"NEAR", "Alice.near", "upper case"},
		{"APT", "0x800010ed1fe94674af83640117490d459e20441eab132c17e7ff39b7ae07a72", "63 digits"},
		{"ERC20", "", "empty"},
		{"NOSUCH", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "unknown network"},
	} {
		if err := chain.Valid(c.network, c.address); err == nil {
			t.Errorf("%s %q passes (%s)", c.network, c.address, c.why)
		}
	}
}

// drawsPerNetwork is how many addresses each network's generator makes in
// TestGeneratedAddressesAreValid.
const drawsPerNetwork = 10_000

// TestGeneratedAddressesAreValid draws addresses of every network as the
// demo does and checks each against the validator and against its kind's
// description in the table (prefix, alphabet, case, length); it also checks
// that kinds come out in their shares.
func TestGeneratedAddressesAreValid(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range chain.Networks() {
		counts := map[string]int{}
		for range drawsPerNetwork {
			a := n.New(rng)
			k, err := n.Classify(a)
			if err != nil {
				t.Fatalf("%s: generated %q: %v", n.Name, a, err)
			}
			if err := described(k, a); err != "" {
				t.Fatalf("%s %s: generated %q: %s", n.Name, k.Name, a, err)
			}
			counts[k.Name]++
		}
		var total float64
		for _, k := range n.Kinds {
			total += k.Share
		}
		for _, k := range n.Kinds {
			p := k.Share / total
			sd := math.Sqrt(drawsPerNetwork * p * (1 - p))
			// The slack of 10 is for EIP-55 addresses that come out in one case.
			if got := float64(counts[k.Name]); math.Abs(got-drawsPerNetwork*p) > 5*sd+10 {
				t.Errorf("%s %s: %v of %d, want about %.0f", n.Name, k.Name, got, drawsPerNetwork, drawsPerNetwork*p)
			}
		}
	}
}

// Every kind, drawn or not by the demo, makes addresses that the network
// classifies as that very kind, so decoys made after an address's kind
// look like it.
func TestEveryKindMakesItsOwnKind(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range chain.Networks() {
		for i := range n.Kinds {
			want := &n.Kinds[i]
			other := 0
			for range 1000 {
				a := want.New(rng)
				k, err := n.Classify(a)
				if err != nil || want.Check(a) != nil {
					t.Fatalf("%s %s: %q: %v, %v", n.Name, want.Name, a, err, want.Check(a))
				}
				if err := described(k, a); err != "" {
					t.Fatalf("%s %s: %q: %s", n.Name, k.Name, a, err)
				}
				if k.Name != want.Name {
					other++ // an EIP-55 address all in one case
				}
			}
			if other > 5 {
				t.Errorf("%s %s: %d of 1000 classify as another kind", n.Name, want.Name, other)
			}
		}
	}
}

// described returns how a departs from k's description, or "".
func described(k *chain.Kind, a string) string {
	var rest string
	ok := false
	for _, p := range k.Prefixes {
		if r, found := strings.CutPrefix(a, p); found {
			rest, ok = r, true
			break
		}
	}
	switch {
	case !ok:
		return "does not start with " + strings.Join(k.Prefixes, " or ")
	case strings.Trim(rest, k.Alphabet+":") != "":
		return "has characters outside " + k.Alphabet
	case len(a) < k.MinLen || len(a) > k.MaxLen:
		return "has a length out of the table's range"
	case k.Case == chain.Lower && strings.ToLower(rest) != rest, k.Case == chain.Upper && strings.ToUpper(rest) != rest:
		return "breaks the case rule " + k.Case
	}
	return ""
}

func TestGenerationIsDeterministic(t *testing.T) {
	for _, n := range chain.Networks() {
		a := n.New(rand.New(rand.NewPCG(7, 8)))
		b := n.New(rand.New(rand.NewPCG(7, 8)))
		if a != b {
			t.Errorf("%s: %q and %q from the same seed", n.Name, a, b)
		}
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct{ address, network, kind string }{
		{"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "TRC20", "base58check"},
		{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "ERC20", "eip55"},
		{"GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ", "XLM", "strkey"},
		{"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "BCH", "p2pkh"},
	} {
		n, k, ok := chain.Detect(c.address)
		if !ok || n.Name != c.network || k.Name != c.kind {
			t.Errorf("Detect(%q) = %v %v %v, want %s %s", c.address, n, k, ok, c.network, c.kind)
		}
	}
	if _, _, ok := chain.Detect("TXwallet00000000000000000000000000000000"); ok {
		t.Error("a made-up string is detected as an address")
	}
}
