package chain

import "strings"

// The table. Shares are those of withdrawal destinations as wallets write
// them today: native SegWit ahead of legacy Bitcoin addresses, EIP-55
// checksummed EVM addresses (what wallets copy) ahead of lower-case ones
// (what some explorers show), non-bounceable TON addresses (what wallets
// show since 2024) ahead of bounceable ones. Sources: BIP-13, 173, 350
// (Bitcoin), EIP-55, TRON's and XRP's base58check, the cashaddr
// specification, TEP-2 (TON), SEP-23 (Stellar StrKey), the SS58 format,
// CIP-19 (Cardano), the Filecoin address spec and FIP-48, NEAR's nomicon,
// AIP-40 (Aptos).

const (
	hexAny   = hexDigits + "ABCDEF"
	hexUpper = "0123456789ABCDEF"

	dsha = "double SHA-256, 4 bytes"
	b32c = "bech32, 6 characters"
	b32m = "bech32m, 6 characters"
)

func evmKinds() []Kind {
	return []Kind{
		// One-case kinds first: a checksummed address that happens to be
		// all lower case is classified with the lower-case ones it looks
		// like.
		kind("lower", 0.2, p("0x"), hexDigits, Lower, 42, 42, "", evm("lower")),
		kind("upper", 0, p("0x"), hexUpper, Upper, 42, 42, "", evm("upper")),
		kind("eip55", 0.8, p("0x"), hexAny, EIP55, 42, 42, "EIP-55 letter case (keccak-256)", evm("eip55")),
	}
}

var networks = []*Network{
	{"ERC20", evmKinds()}, {"BSC", evmKinds()}, {"ARBITRUM", evmKinds()}, {"OPTIMISM", evmKinds()},
	{"BASE", evmKinds()}, {"POLYGON", evmKinds()}, {"AVAXC", evmKinds()}, {"ETC", evmKinds()},
	{"TRC20", []Kind{
		kind("base58check", 1, p("T"), base58Bitcoin, Mixed, 34, 34, dsha, b58check(base58Bitcoin, 0x41, 20)),
	}},
	{"BTC", []Kind{
		kind("p2wpkh", 0.55, p("bc1q"), bech32Charset, Lower, 42, 42, b32c, segwit("bc", 0, 20)),
		kind("p2sh", 0.2, p("3"), base58Bitcoin, Mixed, 34, 34, dsha, b58check(base58Bitcoin, 0x05, 20)),
		kind("p2pkh", 0.15, p("1"), base58Bitcoin, Mixed, 26, 34, dsha, b58check(base58Bitcoin, 0x00, 20)),
		kind("p2tr", 0.1, p("bc1p"), bech32Charset, Lower, 62, 62, b32m, segwit("bc", 1, 32)),
		kind("p2wsh", 0, p("bc1q"), bech32Charset, Lower, 62, 62, b32c, segwit("bc", 0, 32)),
		kind("p2wpkh-upper", 0, p("BC1Q"), strings.ToUpper(bech32Charset), Upper, 42, 42, b32c, upper(segwit("bc", 0, 20))),
	}},
	{"LTC", []Kind{
		kind("p2pkh", 0.45, p("L"), base58Bitcoin, Mixed, 34, 34, dsha, b58check(base58Bitcoin, 0x30, 20)),
		kind("p2wpkh", 0.3, p("ltc1q"), bech32Charset, Lower, 43, 43, b32c, segwit("ltc", 0, 20)),
		kind("p2sh", 0.25, p("M"), base58Bitcoin, Mixed, 34, 34, dsha, b58check(base58Bitcoin, 0x32, 20)),
		kind("p2sh-legacy", 0, p("3"), base58Bitcoin, Mixed, 34, 34, dsha, b58check(base58Bitcoin, 0x05, 20)),
	}},
	{"DOGE", []Kind{
		kind("p2pkh", 0.95, p("D"), base58Bitcoin, Mixed, 34, 34, dsha, b58check(base58Bitcoin, 0x1e, 20)),
		kind("p2sh", 0.05, p("9", "A"), base58Bitcoin, Mixed, 34, 34, dsha, b58check(base58Bitcoin, 0x16, 20)),
	}},
	{"BCH", []Kind{
		kind("p2pkh", 0.9, p("bitcoincash:q"), bech32Charset, Lower, 54, 54, "cashaddr BCH code, 8 characters", cashaddr(0x00, false)),
		kind("p2sh", 0.1, p("bitcoincash:p"), bech32Charset, Lower, 54, 54, "cashaddr BCH code, 8 characters", cashaddr(0x08, false)),
		kind("p2pkh-bare", 0, p("q"), bech32Charset, Lower, 42, 42, "cashaddr BCH code, 8 characters", cashaddr(0x00, true)),
		kind("legacy", 0, p("1"), base58Bitcoin, Mixed, 26, 34, dsha, b58check(base58Bitcoin, 0x00, 20)),
	}},
	{"SOL", []Kind{
		kind("ed25519", 1, p(""), base58Bitcoin, Mixed, 32, 44, "", plainBase58(32)),
	}},
	{"TON", []Kind{
		kind("non-bounceable", 0.6, p("UQ"), base64URLChars, Mixed, 48, 48, "CRC-16/XMODEM, 2 bytes", tonFriendly(0x51, 0)),
		kind("bounceable", 0.4, p("EQ"), base64URLChars, Mixed, 48, 48, "CRC-16/XMODEM, 2 bytes", tonFriendly(0x11, 0)),
		kind("raw", 0, p("0:"), hexDigits, Lower, 66, 66, "", tonRaw()),
	}},
	{"XRP", []Kind{
		kind("classic", 1, p("r"), base58Ripple, Mixed, 25, 35, dsha, b58check(base58Ripple, 0x00, 20)),
	}},
	{"ADA", []Kind{
		kind("base", 0.9, p("addr1q"), bech32Charset, Lower, 103, 103, b32c, bech32Payload("addr", 0x01, 57)),
		kind("enterprise", 0.1, p("addr1v"), bech32Charset, Lower, 58, 58, b32c, bech32Payload("addr", 0x61, 29)),
		kind("base-script", 0, p("addr1z"), bech32Charset, Lower, 103, 103, b32c, bech32Payload("addr", 0x11, 57)),
		kind("enterprise-script", 0, p("addr1w"), bech32Charset, Lower, 58, 58, b32c, bech32Payload("addr", 0x71, 29)),
	}},
	{"DOT", []Kind{
		kind("ss58", 1, p("1"), base58Bitcoin, Mixed, 46, 48, "blake2b-512 of SS58PRE, 2 bytes", ss58(0)),
	}},
	{"ATOM", []Kind{
		kind("bech32", 1, p("cosmos1"), bech32Charset, Lower, 45, 45, b32c, bech32Payload("cosmos", 0, 20)),
	}},
	{"XLM", []Kind{
		kind("strkey", 1, p("GA", "GB", "GC", "GD"), base32Upper, Upper, 56, 56, "CRC-16/XMODEM, 2 bytes", strKey()),
	}},
	{"NEAR", []Kind{
		kind("implicit", 0.6, p(""), hexDigits, Lower, 64, 64, "", plainHex("", 32)),
		kind("named", 0.4, p(""), "abcdefghijklmnopqrstuvwxyz0123456789-_.", Lower, 7, 64, "", nearNamed()),
		kind("eth-implicit", 0, p("0x"), hexDigits, Lower, 42, 42, "", plainHex("0x", 20)),
	}},
	{"APT", []Kind{
		kind("account", 1, p("0x"), hexDigits, Lower, 66, 66, "", plainHex("0x", 32)),
	}},
	{"FIL", []Kind{
		kind("secp256k1", 0.75, p("f1"), base32Lower, Lower, 41, 41, "blake2b, 4 bytes", filecoin(1, 20)),
		kind("delegated", 0.15, p("f410f"), base32Lower, Lower, 44, 44, "blake2b, 4 bytes", filecoin(4, 20)),
		kind("bls", 0.1, p("f3"), base32Lower, Lower, 86, 86, "blake2b, 4 bytes", filecoin(3, 48)),
	}},
}
