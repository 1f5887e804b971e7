package chain

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
)

// The alphabets addresses are written in.
const (
	hexDigits      = "0123456789abcdef"
	base58Bitcoin  = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	base58Ripple   = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"
	bech32Charset  = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	base32Upper    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	base32Lower    = "abcdefghijklmnopqrstuvwxyz234567"
	base64URLChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

// randomBytes draws n bytes from rng: the hash or public key an address
// carries, which is uniformly random for a real one too.
func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := rng.Uint64()
		for j := i; j < min(i+8, n); j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
	return b
}

// base58Encode writes b in base 58 with alphabet; each leading zero byte
// becomes the alphabet's first character, as Bitcoin does.
func base58Encode(alphabet string, b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	digits := make([]byte, 0, len(b)*138/100+1) // little-endian base-58 digits
	for _, v := range b[zeros:] {
		carry := int(v)
		for i := range digits {
			carry += int(digits[i]) << 8
			digits[i] = byte(carry % 58)
			carry /= 58
		}
		for carry > 0 {
			digits = append(digits, byte(carry%58))
			carry /= 58
		}
	}
	out := make([]byte, zeros+len(digits))
	for i := range zeros {
		out[i] = alphabet[0]
	}
	for i, d := range digits {
		out[len(out)-1-i] = alphabet[d]
	}
	return string(out)
}

// base58Decode reverses base58Encode.
func base58Decode(alphabet, s string) ([]byte, error) {
	zeros := 0
	for zeros < len(s) && s[zeros] == alphabet[0] {
		zeros++
	}
	var bytes []byte // little-endian
	for _, r := range s[zeros:] {
		d := strings.IndexRune(alphabet, r)
		if d < 0 {
			return nil, fmt.Errorf("%q is not a base58 character", r)
		}
		carry := d
		for i := range bytes {
			carry += int(bytes[i]) * 58
			bytes[i] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			bytes = append(bytes, byte(carry))
			carry >>= 8
		}
	}
	out := make([]byte, zeros+len(bytes))
	for i, v := range bytes {
		out[len(out)-1-i] = v
	}
	return out, nil
}

// doubleSHA256 is the checksum of base58check: the first 4 bytes of
// SHA-256(SHA-256(payload)).
func doubleSHA256(payload []byte) []byte {
	h := sha256.Sum256(payload)
	h = sha256.Sum256(h[:])
	return h[:4]
}

// base58Check writes version, payload and their 4-byte checksum in base 58.
func base58Check(alphabet string, version byte, payload []byte) string {
	b := append([]byte{version}, payload...)
	return base58Encode(alphabet, append(b, doubleSHA256(b)...))
}

// checkBase58Check decodes s and checks its version, its payload length and
// its checksum.
func checkBase58Check(alphabet, s string, version byte, n int) error {
	b, err := base58Decode(alphabet, s)
	if err != nil {
		return err
	}
	if len(b) != 1+n+4 {
		return fmt.Errorf("decodes to %d bytes, not %d", len(b), 1+n+4)
	}
	if b[0] != version {
		return fmt.Errorf("version byte %#x, not %#x", b[0], version)
	}
	if string(doubleSHA256(b[:1+n])) != string(b[1+n:]) {
		return errors.New("checksum mismatch")
	}
	return nil
}

// convertBits regroups data from groups of from bits to groups of to bits
// (BIP-173's convertbits). Without pad, leftover bits must be zero padding.
func convertBits(data []byte, from, to uint, pad bool) ([]byte, error) {
	var acc, bits uint
	var out []byte
	maxv := uint(1)<<to - 1
	for _, v := range data {
		if uint(v)>>from != 0 {
			return nil, errors.New("value out of range")
		}
		acc = acc<<from | uint(v)
		bits += from
		for bits >= to {
			bits -= to
			out = append(out, byte(acc>>bits&maxv))
		}
	}
	if pad {
		if bits > 0 {
			out = append(out, byte(acc<<(to-bits)&maxv))
		}
	} else if bits >= from || acc<<(to-bits)&maxv != 0 {
		return nil, errors.New("non-zero padding")
	}
	return out, nil
}

// The constants that bech32 (BIP-173) and bech32m (BIP-350) checksums end
// on.
const (
	bech32Const  = 1
	bech32mConst = 0x2bc830a3
)

// bchPolymod is the BCH-code checksum of bech32 (30 bits) and cashaddr (40
// bits), each with its own generators.
func bchPolymod(values []byte, gen [5]uint64, bits uint) uint64 {
	c, mask := uint64(1), uint64(1)<<(bits-5)-1
	for _, v := range values {
		top := c >> (bits - 5)
		c = (c&mask)<<5 ^ uint64(v)
		for i := range 5 {
			if top>>i&1 == 1 {
				c ^= gen[i]
			}
		}
	}
	return c
}

func bech32Polymod(values []byte) uint32 {
	return uint32(bchPolymod(values, [5]uint64{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}, 30))
}

func hrpExpand(hrp string) []byte {
	out := make([]byte, 0, 2*len(hrp)+1)
	for i := range len(hrp) {
		out = append(out, hrp[i]>>5)
	}
	out = append(out, 0)
	for i := range len(hrp) {
		out = append(out, hrp[i]&31)
	}
	return out
}

// bech32Encode writes hrp, "1", the 5-bit groups of data and a 6-character
// checksum ending on constant.
func bech32Encode(hrp string, data []byte, constant uint32) string {
	values := append(hrpExpand(hrp), data...)
	pm := bech32Polymod(append(values, 0, 0, 0, 0, 0, 0)) ^ constant
	var b strings.Builder
	b.WriteString(hrp + "1")
	writeChecked(&b, data, uint64(pm), 6)
	return b.String()
}

// writeChecked writes the 5-bit groups data and then the n 5-bit groups of
// the checksum sum, in the bech32 alphabet (cashaddr's too).
func writeChecked(b *strings.Builder, data []byte, sum uint64, n int) {
	for _, d := range data {
		b.WriteByte(bech32Charset[d])
	}
	for i := range n {
		b.WriteByte(bech32Charset[sum>>(5*(n-1-i))&31])
	}
}

// bech32Decode splits s into its human-readable part and 5-bit data and
// returns the constant its checksum ends on (bech32Const or bech32mConst).
// Upper case is allowed, mixed case is not (BIP-173).
func bech32Decode(s string, maxLen int) (hrp string, data []byte, constant uint32, err error) {
	if len(s) > maxLen {
		return "", nil, 0, fmt.Errorf("%d characters, more than %d", len(s), maxLen)
	}
	if strings.ToLower(s) != s && strings.ToUpper(s) != s {
		return "", nil, 0, errors.New("mixed case")
	}
	s = strings.ToLower(s)
	sep := strings.LastIndexByte(s, '1')
	if sep < 1 || sep+7 > len(s) {
		return "", nil, 0, errors.New("no separator or checksum")
	}
	hrp = s[:sep]
	for _, r := range s[sep+1:] {
		d := strings.IndexRune(bech32Charset, r)
		if d < 0 {
			return "", nil, 0, fmt.Errorf("%q is not a bech32 character", r)
		}
		data = append(data, byte(d))
	}
	constant = bech32Polymod(append(hrpExpand(hrp), data...))
	if constant != bech32Const && constant != bech32mConst {
		return "", nil, 0, errors.New("checksum mismatch")
	}
	return hrp, data[:len(data)-6], constant, nil
}

// crc16XModem is the CRC-16/XMODEM (polynomial 0x1021, initial 0) that TON
// and Stellar addresses end on.
func crc16XModem(b []byte) uint16 {
	var crc uint16
	for _, v := range b {
		crc ^= uint16(v) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// allIn reports whether every character of s is in alphabet.
func allIn(s, alphabet string) bool {
	for _, r := range s {
		if !strings.ContainsRune(alphabet, r) {
			return false
		}
	}
	return true
}
