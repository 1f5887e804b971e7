// Package keys derives rebind's purpose-specific keys from the server
// secret, so that a key leaked from one use (say, code hashing) says nothing
// about another (say, sealing outbox messages).
//
// A ring holds the current secret and the previous ones still accepted
// during a rotation: everything new is derived, sealed and signed with the
// current secret; what was sealed or signed before opens and verifies with
// any of them (Set, Sealer).
package keys

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// MinSecretBytes is the least entropy accepted for the server secret.
const MinSecretBytes = 32

// MaxPrevious is how many previous secrets a ring accepts besides the
// current one: a rotation needs one, two overlapping rotations two.
const MaxPrevious = 2

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

// Ring holds the server secret, and the previous secrets still accepted,
// and derives keys from them.
type Ring struct {
	secrets [][]byte // the current one first
}

// New returns a ring for secret, which must hold at least MinSecretBytes.
func New(secret []byte) (*Ring, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("keys: server secret must be at least %d bytes, got %d", MinSecretBytes, len(secret))
	}
	return &Ring{secrets: [][]byte{append([]byte(nil), secret...)}}, nil
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

// Accepting returns a ring with r's current secret that also accepts the
// current secrets of previous, in that order. A secret given twice is an
// error: it is either a mistake or a rotation that did not happen.
func (r *Ring) Accepting(previous ...*Ring) (*Ring, error) {
	out := &Ring{secrets: r.secrets[:1:1]}
	for _, p := range previous {
		out.secrets = append(out.secrets, p.secrets[0])
	}
	if len(out.secrets) > 1+MaxPrevious {
		return nil, fmt.Errorf("keys: at most %d previous secrets are accepted, got %d", MaxPrevious, len(out.secrets)-1)
	}
	seen := map[string]bool{}
	for _, s := range out.secrets {
		if seen[string(s)] {
			return nil, errors.New("keys: the same secret is given twice (current and previous)")
		}
		seen[string(s)] = true
	}
	return out, nil
}

// ID names r's current secret without revealing it: 8 hex digits derived
// from it, for logs and for an operator comparing instances.
func (r *Ring) ID() string { return secretID(r.secrets[0]) }

// IDs names every secret r accepts, the current one first.
func (r *Ring) IDs() []string {
	ids := make([]string, len(r.secrets))
	for i, s := range r.secrets {
		ids[i] = secretID(s)
	}
	return ids
}

func secretID(secret []byte) string {
	return hex.EncodeToString(derive(secret, "rebind secret id v1")[:4])
}

// Key returns the current 32-byte key for a purpose.
func (r *Ring) Key(purpose string) []byte { return derive(r.secrets[0], purpose) }

// Set returns the keys of a purpose under every accepted secret, the
// current one first.
func (r *Ring) Set(purpose string) Set {
	s := make(Set, len(r.secrets))
	for i, secret := range r.secrets {
		s[i] = derive(secret, purpose)
	}
	return s
}

func derive(secret []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, purpose, 32)
	if err != nil {
		panic("keys: hkdf: " + err.Error()) // only for lengths over 255*32
	}
	return k
}

// Set is one purpose's keys: the current one first, then the previous
// ones still accepted.
type Set [][]byte

// Current is the key everything new is made with.
func (s Set) Current() []byte { return s[0] }

// MAC is the HMAC-SHA256 of msg under the current key.
func (s Set) MAC(msg []byte) []byte { return mac(s[0], msg) }

// Verify reports whether sum is the HMAC-SHA256 of msg under any key of
// the set. Every key is tried, so the time does not tell which matched.
func (s Set) Verify(sum, msg []byte) bool {
	ok := false
	for _, k := range s {
		if hmac.Equal(sum, mac(k, msg)) {
			ok = true
		}
	}
	return ok
}

func mac(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}
