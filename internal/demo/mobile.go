package demo

import (
	"math/bits"
	"strconv"
	"strings"
)

// MobileRange is a block of mobile numbers: Prefix (E.164, with the calling
// code) followed by Digits digits whose value runs from First to
// First+Count-1.
type MobileRange struct {
	Prefix string
	Digits int
	First  int64
	Count  int64
}

// Number returns the k-th number of the range (0 ≤ k < Count) in E.164.
func (r MobileRange) Number(k int64) string {
	s := strconv.FormatInt(r.First+k, 10)
	return r.Prefix + strings.Repeat("0", r.Digits-len(s)) + s
}

// Contains reports whether an E.164 number lies in the range.
func (r MobileRange) Contains(e164 string) bool {
	rest, ok := strings.CutPrefix(e164, r.Prefix)
	if !ok || len(rest) != r.Digits {
		return false
	}
	v, err := strconv.ParseInt(rest, 10, 64)
	return err == nil && v >= r.First && v < r.First+r.Count
}

// ForIndex returns the number of account i. It is a bijection from account
// indexes below Count to numbers in the range, so two accounts of the same
// country never share a number, and accounts of different countries cannot.
// The step spreads neighbours apart (Fibonacci hashing): user1 and user2 do
// not get consecutive numbers.
func (r MobileRange) ForIndex(i int) string {
	n := uint64(r.Count)
	hi, lo := bits.Mul64((uint64(i)+1)%n, r.step())
	return r.Number(int64(bits.Rem64(hi, lo, n)))
}

// step is near Count/φ and coprime with Count, which is what makes
// multiplying by it a bijection modulo Count.
func (r MobileRange) step() uint64 {
	n := uint64(r.Count)
	a := uint64(float64(n)*0.6180339887) | 1
	for gcd(a, n) != 1 {
		a += 2
	}
	return a
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
