package chain

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/sha3"
)

// Each function below returns the generator and the check of one kind of
// address. A generator draws the payload (hash or public key) at random and
// computes everything else, checksum included, so that a wallet would
// accept the result; a check is what such a wallet verifies.

// evm is "0x" and 20 bytes in hex, in one of three case styles: "eip55"
// (mixed case carrying the EIP-55 checksum), "lower" or "upper" (no
// checksum, also valid under EIP-55). About 1 in 4,000 checksummed
// addresses come out in one case; they pass as that case's kind.
func evm(style string) format {
	gen := func(rng *rand.Rand) string {
		h := hex.EncodeToString(randomBytes(rng, 20))
		switch style {
		case "eip55":
			return eip55(h)
		case "upper":
			return "0x" + strings.ToUpper(h)
		}
		return "0x" + h
	}
	check := func(a string) error {
		h, ok := strings.CutPrefix(a, "0x")
		if !ok || len(h) != 40 || !allIn(strings.ToLower(h), hexDigits) {
			return errors.New(`not "0x" and 40 hex digits`)
		}
		lower, upper := strings.ToLower(h) == h, strings.ToUpper(h) == h
		switch {
		case style == "lower" && !lower, style == "upper" && !upper:
			return fmt.Errorf("not all %s case", style)
		case style == "eip55" && eip55(strings.ToLower(h)) != a:
			return errors.New("EIP-55 checksum mismatch")
		}
		return nil
	}
	return format{gen, check}
}

// eip55 writes the lower-case hex of an address with each letter upper-cased
// where the matching nibble of keccak-256(hex) is 8 or more (EIP-55).
func eip55(lowerHex string) string {
	k := sha3.NewLegacyKeccak256()
	k.Write([]byte(lowerHex))
	sum := k.Sum(nil)
	b := []byte(lowerHex)
	for i, c := range b {
		if c >= 'a' && sum[i/2]>>(4*(1-i%2))&0xf >= 8 {
			b[i] = c - 'a' + 'A'
		}
	}
	return "0x" + string(b)
}

// tonFriendly is TON's user-friendly form: a flags byte (0x11 bounceable,
// "E…"; 0x51 non-bounceable, "U…"), the workchain, a 32-byte account id and
// a big-endian CRC-16/XMODEM of the 34 bytes, in URL-safe base64.
func tonFriendly(flags, workchain byte) format {
	gen := func(rng *rand.Rand) string {
		b := append([]byte{flags, workchain}, randomBytes(rng, 32)...)
		b = binary.BigEndian.AppendUint16(b, crc16XModem(b))
		return base64.URLEncoding.EncodeToString(b)
	}
	check := func(a string) error {
		if len(a) != 48 {
			return fmt.Errorf("%d characters, not 48", len(a))
		}
		b, err := base64.URLEncoding.DecodeString(a)
		if err != nil {
			if b, err = base64.StdEncoding.DecodeString(a); err != nil {
				return errors.New("not base64")
			}
		}
		switch {
		case b[0]&0x80 != 0:
			return errors.New("a test-network address")
		case b[0] != flags || b[1] != workchain:
			return fmt.Errorf("flags %#x and workchain %#x, not %#x and %#x", b[0], b[1], flags, workchain)
		case binary.BigEndian.Uint16(b[34:]) != crc16XModem(b[:34]):
			return errors.New("checksum mismatch")
		}
		return nil
	}
	return format{gen, check}
}

// tonRaw is TON's raw form "0:" and 64 hex digits, with no checksum.
func tonRaw() format {
	return format{func(rng *rand.Rand) string { return "0:" + hex.EncodeToString(randomBytes(rng, 32)) },
		func(a string) error {
			h, ok := strings.CutPrefix(a, "0:")
			if !ok || len(h) != 64 || !allIn(h, hexDigits) {
				return errors.New(`not "0:" and 64 lower-case hex digits`)
			}
			return nil
		}}
}

// strKey is a Stellar account id (SEP-23 StrKey "G…"): version byte 6<<3,
// a 32-byte ed25519 key and a little-endian CRC-16/XMODEM, in base 32.
func strKey() format {
	const version = 6 << 3
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	gen := func(rng *rand.Rand) string {
		b := append([]byte{version}, randomBytes(rng, 32)...)
		return enc.EncodeToString(binary.LittleEndian.AppendUint16(b, crc16XModem(b)))
	}
	check := func(a string) error {
		b, err := enc.DecodeString(a)
		switch {
		case len(a) != 56 || err != nil:
			return errors.New("not 56 base32 characters")
		case b[0] != version:
			return fmt.Errorf("version byte %#x, not an account id", b[0])
		case binary.LittleEndian.Uint16(b[33:]) != crc16XModem(b[:33]):
			return errors.New("checksum mismatch")
		}
		return nil
	}
	return format{gen, check}
}

// ss58 is a Substrate address (here Polkadot's, network 0): the network
// byte, a 32-byte key and the first 2 bytes of blake2b-512("SS58PRE" ‖
// network ‖ key), in base 58.
func ss58(network byte) format {
	sum := func(b []byte) []byte {
		h := blake2b.Sum512(append([]byte("SS58PRE"), b...))
		return h[:2]
	}
	gen := func(rng *rand.Rand) string {
		b := append([]byte{network}, randomBytes(rng, 32)...)
		return base58Encode(base58Bitcoin, append(b, sum(b)...))
	}
	check := func(a string) error {
		b, err := base58Decode(base58Bitcoin, a)
		switch {
		case err != nil:
			return err
		case len(b) != 35:
			return fmt.Errorf("decodes to %d bytes, not 35", len(b))
		case b[0] != network:
			return fmt.Errorf("network %d, not %d", b[0], network)
		case string(sum(b[:33])) != string(b[33:]):
			return errors.New("checksum mismatch")
		}
		return nil
	}
	return format{gen, check}
}

// filecoin is a Filecoin mainnet address "f" + protocol: for protocols 1
// (secp256k1) and 3 (BLS), the n-byte payload and a 4-byte blake2b checksum
// of protocol ‖ payload in lower-case base 32; for 4 ("f410f…", an Ethereum
// account in namespace 10) the checksum also covers the namespace.
func filecoin(protocol byte, n int) format {
	enc := base32.NewEncoding(base32Lower).WithPadding(base32.NoPadding)
	head, prefix := []byte{protocol}, fmt.Sprintf("f%d", protocol)
	if protocol == 4 {
		head, prefix = []byte{4, 10}, "f410f"
	}
	sum := func(payload []byte) []byte {
		h, _ := blake2b.New(4, nil)
		h.Write(head)
		h.Write(payload)
		return h.Sum(nil)
	}
	gen := func(rng *rand.Rand) string {
		p := randomBytes(rng, n)
		return prefix + enc.EncodeToString(append(p, sum(p)...))
	}
	check := func(a string) error {
		rest, ok := strings.CutPrefix(a, prefix)
		if !ok {
			return fmt.Errorf("does not start %q", prefix)
		}
		b, err := enc.DecodeString(rest)
		switch {
		case err != nil || enc.EncodeToString(b) != rest:
			return errors.New("not lower-case base32")
		case len(b) != n+4:
			return fmt.Errorf("%d bytes, not %d", len(b), n+4)
		case string(sum(b[:n])) != string(b[n:]):
			return errors.New("checksum mismatch")
		}
		return nil
	}
	return format{gen, check}
}

// plainBase58 is n bytes in base 58 with no checksum (a Solana public key).
func plainBase58(n int) format {
	return format{func(rng *rand.Rand) string { return base58Encode(base58Bitcoin, randomBytes(rng, n)) },
		func(a string) error {
			b, err := base58Decode(base58Bitcoin, a)
			if err != nil {
				return err
			}
			if len(b) != n {
				return fmt.Errorf("decodes to %d bytes, not %d", len(b), n)
			}
			return nil
		}}
}

// plainHex is prefix and n bytes in lower-case hex, with no checksum (an
// Aptos account, a NEAR implicit account).
func plainHex(prefix string, n int) format {
	return format{func(rng *rand.Rand) string { return prefix + hex.EncodeToString(randomBytes(rng, n)) },
		func(a string) error {
			h, ok := strings.CutPrefix(a, prefix)
			if !ok || len(h) != 2*n || !allIn(h, hexDigits) {
				return fmt.Errorf("not %q and %d lower-case hex digits", prefix, 2*n)
			}
			return nil
		}}
}
