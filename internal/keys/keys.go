// Package keys derives rebind's purpose-specific keys from the one server
// secret, so that a key leaked from one use (say, code hashing) says nothing
// about another (say, sealing outbox messages).
package keys

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// MinSecretBytes is the least entropy accepted for the server secret.
const MinSecretBytes = 32

// Purposes of derived keys. Changing a purpose string changes its key.
const (
	CodeHMAC    = "rebind code hmac v1"
	OutboxSeal  = "rebind outbox seal v1"
	QuizOptions = "rebind quiz options v1"
	QuizKey     = "rebind quiz key v1"
	CSRF        = "rebind csrf v1"
	StatusLink  = "rebind status link v1"
	DeviceToken = "rebind device token v1"
	DocumentKey = "rebind document key wrap v1"
	// StaffTOTP seals staff members' TOTP secrets; StaffCSRF signs the
	// staff console's form tokens (apart from the user pages' CSRF key).
	StaffTOTP = "rebind staff totp seal v1"
	StaffCSRF = "rebind staff csrf v1"
)

// Ring holds the server secret and derives keys from it.
type Ring struct{ secret []byte }

// New returns a ring for secret, which must hold at least MinSecretBytes.
func New(secret []byte) (*Ring, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("keys: server secret must be at least %d bytes, got %d", MinSecretBytes, len(secret))
	}
	return &Ring{secret: append([]byte(nil), secret...)}, nil
}

// Parse decodes a secret written as base64 (standard or URL alphabet, padding
// optional) and returns its ring.
func Parse(encoded string) (*Ring, error) {
	b, err := Decode(encoded)
	if err != nil {
		return nil, err
	}
	return New(b)
}

// Decode returns the bytes of a secret written as Parse reads it.
func Decode(encoded string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(encoded); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("keys: server secret is not base64")
}

// Key returns the 32-byte key for a purpose.
func (r *Ring) Key(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, r.secret, nil, purpose, 32)
	if err != nil {
		panic("keys: hkdf: " + err.Error()) // only for lengths over 255*32
	}
	return k
}
