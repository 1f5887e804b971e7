package keys

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// sealMark begins every sealed value written with a key id, so that
// values sealed before ids were written (nonce first) still open.
var sealMark = []byte{0xfe, 'k'}

// idLen is the length of a sealed value's key id.
const idLen = 4

// Sealer seals with AES-256-GCM under the current key of a set and opens
// what any key of the set sealed. A sealed value is the mark, the id of
// its key, the nonce and the ciphertext: the id says which key opens it,
// and whether it must be sealed again before a previous secret is dropped.
type Sealer struct {
	keys []sealKey // the current one first
}

type sealKey struct {
	id   []byte
	aead cipher.AEAD
}

// NewSealer returns a sealer for the keys of set (each 32 bytes).
func NewSealer(set Set) (*Sealer, error) {
	if len(set) == 0 {
		return nil, errors.New("keys: a sealer needs a key")
	}
	s := &Sealer{}
	for _, k := range set {
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("keys: seal key: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("keys: seal key: %w", err)
		}
		s.keys = append(s.keys, sealKey{id: mac(k, []byte("rebind seal key id v1"))[:idLen], aead: aead})
	}
	return s, nil
}

// Seal encrypts plain under the current key, bound to ad (associated data
// that must be given again to open it).
func (s *Sealer) Seal(plain, ad []byte) []byte {
	k := s.keys[0]
	head := len(sealMark) + idLen + k.aead.NonceSize()
	out := make([]byte, head, head+len(plain)+k.aead.Overhead())
	copy(out, sealMark)
	copy(out[len(sealMark):], k.id)
	nonce := out[len(sealMark)+idLen : head]
	rand.Read(nonce)
	return k.aead.Seal(out, nonce, plain, ad)
}

// ErrNotOpened is returned for a value no accepted key opens: damaged,
// bound to other associated data, or sealed under a secret not accepted.
var ErrNotOpened = errors.New("keys: sealed value does not open (damaged, moved, or sealed under a secret not accepted)")

// ErrUnknownKey is the ErrNotOpened of a value whose key id is none of the
// set's: sealed under a secret not accepted here (during a rolling change,
// perhaps by an instance given the new secret first), rather than damaged.
var ErrUnknownKey = fmt.Errorf("%w: its key id is not one of this instance's secrets", ErrNotOpened)

// Open decrypts a value Seal made with any key of the set, or one written
// before key ids (nonce first), which every key is tried on.
func (s *Sealer) Open(sealed, ad []byte) ([]byte, error) {
	k, body, known := s.byID(sealed)
	if known {
		if plain, err := open(k.aead, body, ad); err == nil {
			return plain, nil
		}
	}
	for _, k := range s.keys {
		if plain, err := open(k.aead, sealed, ad); err == nil {
			return plain, nil
		}
	}
	if !known && bytes.HasPrefix(sealed, sealMark) && len(sealed) >= len(sealMark)+idLen {
		return nil, ErrUnknownKey
	}
	return nil, ErrNotOpened
}

// Current reports whether sealed carries the current key's id: a value
// that does not must be sealed again before the previous secret goes.
func (s *Sealer) Current(sealed []byte) bool {
	k, _, ok := s.byID(sealed)
	return ok && bytes.Equal(k.id, s.keys[0].id)
}

func (s *Sealer) byID(sealed []byte) (sealKey, []byte, bool) {
	if len(sealed) < len(sealMark)+idLen || !bytes.HasPrefix(sealed, sealMark) {
		return sealKey{}, nil, false
	}
	id := sealed[len(sealMark) : len(sealMark)+idLen]
	for _, k := range s.keys {
		if bytes.Equal(k.id, id) {
			return k, sealed[len(sealMark)+idLen:], true
		}
	}
	return sealKey{}, nil, false
}

func open(aead cipher.AEAD, sealed, ad []byte) ([]byte, error) {
	n := aead.NonceSize()
	if len(sealed) < n+aead.Overhead() {
		return nil, ErrNotOpened
	}
	return aead.Open(nil, sealed[:n], sealed[n:], ad)
}

// Reseal returns sealed sealed again under the current key, and true, if
// it was under another accepted key (or written before key ids); a value
// under the current key comes back as it is, with false.
func (s *Sealer) Reseal(sealed, ad []byte) ([]byte, bool, error) {
	if s.Current(sealed) {
		return sealed, false, nil
	}
	plain, err := s.Open(sealed, ad)
	if err != nil {
		return nil, false, err
	}
	defer clear(plain)
	return s.Seal(plain, ad), true, nil
}
