package demo

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/rebindhq/rebind/internal/chain"
)

// Alphabets of the encodings that chains write transaction ids in.
const (
	hexLower = "0123456789abcdef"
	hexUpper = "0123456789ABCDEF"
	base58   = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	base32   = "abcdefghijklmnopqrstuvwxyz234567"
)

// shape is a string of a fixed prefix and n characters from an alphabet.
type shape struct {
	prefix   string
	alphabet string
	n        int
}

func (s shape) draw(rng *rand.Rand) string {
	b := make([]byte, len(s.prefix)+s.n)
	copy(b, s.prefix)
	for i := len(s.prefix); i < len(b); i++ {
		b[i] = s.alphabet[rng.IntN(len(s.alphabet))]
	}
	return string(b)
}

// formats is how a network writes addresses and transaction ids. Addresses
// come from internal/chain: valid ones, checksums included, of the kinds
// wallets use in their shares; the security questions make their decoy
// addresses from the same table, so true and decoy come from one model.
// Transaction ids are random strings of the right shape: they are only
// compared as strings, and 256 random bits make every one unique.
type formats struct {
	address addresses
	txid    shape
}

// addresses draws the addresses of one network.
type addresses struct{ network *chain.Network }

func (a addresses) draw(rng *rand.Rand) string { return a.network.New(rng) }

var (
	evmTx = shape{"0x", hexLower, 64}
	hexTx = shape{"", hexLower, 64}
	txids = map[string]shape{
		"ERC20": evmTx, "BSC": evmTx, "ARBITRUM": evmTx, "OPTIMISM": evmTx, "BASE": evmTx,
		"POLYGON": evmTx, "AVAXC": evmTx, "ETC": evmTx,
		"BTC": hexTx, "LTC": hexTx, "DOGE": hexTx, "BCH": hexTx, "TRC20": hexTx, "TON": hexTx, "ADA": hexTx,
		"XLM": hexTx, "SOL": {"", base58, 88}, "XRP": {"", hexUpper, 64}, "DOT": evmTx, "ATOM": {"", hexUpper, 64},
		"FIL": {"bafy2bzace", base32, 52}, "NEAR": {"", base58, 44}, "APT": evmTx,
	}
	chains = func() map[string]formats {
		m := map[string]formats{}
		for name, tx := range txids {
			n, ok := chain.Lookup(name)
			if !ok {
				panic("demo: no address format for " + name)
			}
			m[name] = formats{addresses{n}, tx}
		}
		return m
	}()
)

// chainOf returns the formats of a network; a network the table does not
// know (in a custom population) is written like an EVM chain.
func chainOf(network string) formats {
	if c, ok := chains[network]; ok {
		return c
	}
	return chains["ERC20"]
}

// amount draws an amount around median, log-normally with spread sigma, and
// writes it as a decimal string with at most decimals places. A share of
// amounts is rounded the way people type them (100, 250, 0.5), because
// people send round sums; the rest keep full precision. It is never zero.
func amount(rng *rand.Rand, median, sigma float64, decimals int) string {
	v := median * math.Exp(rng.NormFloat64()*sigma)
	if rng.Float64() < 0.35 {
		v = roundHuman(v)
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if strings.Trim(s, "0.") == "" {
		return smallest(decimals)
	}
	return s
}

// roundHuman keeps one significant digit, or one and a half: 347 → 350.
func roundHuman(v float64) float64 {
	mag := math.Pow(10, math.Floor(math.Log10(v)))
	return math.Round(v/mag*2) / 2 * mag
}

// smallest is the smallest positive amount with decimals places.
func smallest(decimals int) string {
	if decimals == 0 {
		return "1"
	}
	return "0." + strings.Repeat("0", decimals-1) + "1"
}
