package demo

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Alphabets of the encodings that chains write addresses and hashes in.
const (
	hexLower  = "0123456789abcdef"
	hexUpper  = "0123456789ABCDEF"
	base58    = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	bech32    = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	base32    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
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

// chain is how a network writes addresses and transaction ids. They are
// random strings of the right shape, not valid checksummed values: the
// formats make the data look right to a tester and to document checks that
// compare strings, while 160 or more random bits make every value unique.
type chain struct {
	address, txid shape
}

var (
	evmTx  = shape{"0x", hexLower, 64}
	hexTx  = shape{"", hexLower, 64}
	evm    = chain{shape{"0x", hexLower, 40}, evmTx}
	chains = map[string]chain{
		"ERC20": evm, "BSC": evm, "ARBITRUM": evm, "OPTIMISM": evm, "BASE": evm,
		"POLYGON": evm, "AVAXC": evm, "ETC": evm,
		"BTC":   {shape{"bc1q", bech32, 38}, hexTx},
		"LTC":   {shape{"ltc1q", bech32, 38}, hexTx},
		"DOGE":  {shape{"D", base58, 33}, hexTx},
		"BCH":   {shape{"bitcoincash:q", bech32, 41}, hexTx},
		"TRC20": {shape{"T", base58, 33}, hexTx},
		"SOL":   {shape{"", base58, 44}, shape{"", base58, 88}},
		"TON":   {shape{"UQ", base64url, 46}, hexTx},
		"XRP":   {shape{"r", base58, 33}, shape{"", hexUpper, 64}},
		"ADA":   {shape{"addr1q", bech32, 98}, hexTx},
		"DOT":   {shape{"1", base58, 47}, evmTx},
		"ATOM":  {shape{"cosmos1", bech32, 38}, shape{"", hexUpper, 64}},
		"XLM":   {shape{"G", base32, 55}, hexTx},
		"FIL":   {shape{"f1", strings.ToLower(base32), 39}, shape{"bafy2bzace", strings.ToLower(base32), 52}},
		"NEAR":  {shape{"", hexLower, 64}, shape{"", base58, 44}},
		"APT":   {shape{"0x", hexLower, 64}, evmTx},
	}
)

// chainOf returns the formats of a network; a network the table does not
// know (in a custom population) is written like an EVM chain.
func chainOf(network string) chain {
	if c, ok := chains[network]; ok {
		return c
	}
	return evm
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
