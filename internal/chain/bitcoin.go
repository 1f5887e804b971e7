package chain

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
)

// The Bitcoin family's formats and their kin: base58check, SegWit's
// bech32 and bech32m, bech32 payloads (Cosmos, Cardano) and cashaddr.

// b58check is version, n bytes and a double-SHA-256 checksum in base 58
// (Bitcoin's P2PKH and P2SH, TRON, Litecoin, Dogecoin; XRP with its own
// alphabet).
func b58check(alphabet string, version byte, n int) format {
	return format{func(rng *rand.Rand) string { return base58Check(alphabet, version, randomBytes(rng, n)) },
		func(a string) error { return checkBase58Check(alphabet, a, version, n) }}
}

// segwit is a native SegWit address (BIP-173 bech32 for version 0, BIP-350
// bech32m from version 1): hrp, "1", the witness version and an n-byte
// program.
func segwit(hrp string, version byte, n int) format {
	constant := uint32(bech32Const)
	if version > 0 {
		constant = bech32mConst
	}
	gen := func(rng *rand.Rand) string {
		prog, _ := convertBits(randomBytes(rng, n), 8, 5, true)
		return bech32Encode(hrp, append([]byte{version}, prog...), constant)
	}
	check := func(a string) error {
		data, c, err := bech32Lower(a, hrp, 90)
		switch {
		case err != nil:
			return err
		case len(data) == 0 || data[0] != version:
			return fmt.Errorf("not witness version %d", version)
		case c != constant:
			return errors.New("bech32 where bech32m is due, or the reverse")
		}
		prog, err := convertBits(data[1:], 5, 8, false)
		if err != nil {
			return err
		}
		if len(prog) != n {
			return fmt.Errorf("a %d-byte program, not %d", len(prog), n)
		}
		return nil
	}
	return format{gen, check}
}

// bech32Lower decodes a lower-case bech32 string with prefix hrp.
func bech32Lower(a, hrp string, maxLen int) (data []byte, constant uint32, err error) {
	h, data, constant, err := bech32Decode(a, maxLen)
	switch {
	case err != nil:
		return nil, 0, err
	case a != strings.ToLower(a):
		return nil, 0, errors.New("not lower case")
	case h != hrp:
		return nil, 0, fmt.Errorf("prefix %q, not %q", h, hrp)
	}
	return data, constant, nil
}

// upper is f written in upper case, as BIP-173 allows (for QR codes).
func upper(f format) format {
	return format{func(rng *rand.Rand) string { return strings.ToUpper(f.gen(rng)) },
		func(a string) error {
			if a != strings.ToUpper(a) {
				return errors.New("not upper case")
			}
			return f.check(strings.ToLower(a))
		}}
}

// bech32Payload is hrp, "1" and n bytes in bech32 whose first byte, when
// header is not 0, is header: Cosmos (no header) and Cardano's Shelley
// addresses (CIP-19: the header names the address type and the network).
func bech32Payload(hrp string, header byte, n int) format {
	gen := func(rng *rand.Rand) string {
		b := randomBytes(rng, n)
		if header != 0 {
			b[0] = header
		}
		data, _ := convertBits(b, 8, 5, true)
		return bech32Encode(hrp, data, bech32Const)
	}
	check := func(a string) error {
		data, c, err := bech32Lower(a, hrp, 200) // Cardano lifts BIP-173's 90
		switch {
		case err != nil:
			return err
		case c != bech32Const:
			return errors.New("bech32m checksum where bech32 is due")
		}
		b, err := convertBits(data, 5, 8, false)
		switch {
		case err != nil:
			return err
		case len(b) != n:
			return fmt.Errorf("%d bytes, not %d", len(b), n)
		case header != 0 && b[0] != header:
			return fmt.Errorf("header %#x, not %#x", b[0], header)
		}
		return nil
	}
	return format{gen, check}
}

// cashaddr is a Bitcoin Cash address: "bitcoincash:" (or nothing, when
// bare), the version byte and a 20-byte hash in base 32 with a 40-bit
// BCH-code checksum over the prefix too.
func cashaddr(version byte, bare bool) format {
	const prefix = "bitcoincash"
	gen := func(rng *rand.Rand) string {
		data, _ := convertBits(append([]byte{version}, randomBytes(rng, 20)...), 8, 5, true)
		sum := cashPolymod(append(append(cashPrefix(prefix), data...), 0, 0, 0, 0, 0, 0, 0, 0))
		var b strings.Builder
		if !bare {
			b.WriteString(prefix + ":")
		}
		writeChecked(&b, data, sum, 8)
		return b.String()
	}
	check := func(a string) error {
		rest, ok := strings.CutPrefix(a, prefix+":")
		if ok == bare {
			return fmt.Errorf("the %q prefix is wrongly present or missing", prefix+":")
		}
		var data []byte
		for _, r := range rest {
			d := strings.IndexRune(bech32Charset, r)
			if d < 0 {
				return fmt.Errorf("%q is not a cashaddr character", r)
			}
			data = append(data, byte(d))
		}
		if len(data) != 42 {
			return fmt.Errorf("%d characters after the prefix, not 42", len(data))
		}
		if cashPolymod(append(cashPrefix(prefix), data...)) != 0 {
			return errors.New("checksum mismatch")
		}
		b, err := convertBits(data[:34], 5, 8, false)
		if err != nil {
			return err
		}
		if b[0] != version {
			return fmt.Errorf("version byte %#x, not %#x", b[0], version)
		}
		return nil
	}
	return format{gen, check}
}

// cashPrefix is the prefix as cashaddr's checksum reads it.
func cashPrefix(p string) []byte {
	out := make([]byte, 0, len(p)+1)
	for i := range len(p) {
		out = append(out, p[i]&31)
	}
	return append(out, 0)
}

// cashPolymod is the checksum function of the cashaddr specification.
func cashPolymod(values []byte) uint64 {
	return bchPolymod(values, [5]uint64{0x98f2bc8e61, 0x79b76d99e2, 0xf33e5fb3c4, 0xae2eabe2a8, 0x1e4f43e470}, 40) ^ 1
}
