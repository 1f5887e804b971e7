// Package token makes the opaque random values rebind hands out: identifiers
// (128 random bits) and bearer secrets (256 random bits), and the one-way
// digests under which secrets are stored.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a new opaque identifier: 128 bits from the CSPRNG, written as
// 26 lower-case base32 characters so it is safe in paths and file names.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}

// ValidID reports whether s has the shape of an identifier made by NewID. It
// lets handlers refuse junk before it reaches the database.
func ValidID(s string) bool {
	if len(s) != 26 {
		return false
	}
	_, err := idEncoding.DecodeString(s)
	return err == nil
}

// NewSecret returns a new bearer secret: 256 bits from the CSPRNG, base64url
// without padding (43 characters).
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Digest returns the hex SHA-256 of a high-entropy secret. Bearer secrets are
// stored only as digests, so a copy of the database does not hold live
// tokens; no key is needed because the secrets cannot be guessed.
func Digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
