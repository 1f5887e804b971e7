package keys

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
)

func TestKeysDifferByPurposeAndSecret(t *testing.T) {
	a, err := New(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(bytes.Repeat([]byte{2}, 32))
	if bytes.Equal(a.Key(CodeHMAC), a.Key(OutboxSeal)) {
		t.Error("two purposes share a key")
	}
	if bytes.Equal(a.Key(CodeHMAC), b.Key(CodeHMAC)) {
		t.Error("two secrets give the same key")
	}
	if !bytes.Equal(a.Key(CodeHMAC), a.Key(CodeHMAC)) || len(a.Key(CodeHMAC)) != 32 {
		t.Error("Key is not a stable 32-byte value")
	}
}

func TestSecretMustBeLongAndBase64(t *testing.T) {
	if _, err := New(make([]byte, 31)); err == nil {
		t.Error("accepted a 31-byte secret")
	}
	if _, err := Parse("not base64!!"); err == nil {
		t.Error("accepted a secret that is not base64")
	}
	raw := bytes.Repeat([]byte{7}, 32)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		r, err := Parse(enc.EncodeToString(raw))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := New(raw)
		if !bytes.Equal(r.Key(CSRF), want.Key(CSRF)) {
			t.Error("Parse decoded a different secret")
		}
	}
}

func ring(t *testing.T, b byte, previous ...*Ring) *Ring {
	t.Helper()
	r, err := New(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if len(previous) > 0 {
		if r, err = r.Accepting(previous...); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestAccepting(t *testing.T) {
	old, cur := ring(t, 1), ring(t, 2)
	r := ring(t, 2, old)
	if !bytes.Equal(r.Key(CSRF), cur.Key(CSRF)) || r.ID() != cur.ID() {
		t.Error("accepting a previous secret changed the current key")
	}
	if ids := r.IDs(); len(ids) != 2 || ids[0] != cur.ID() || ids[1] != old.ID() || len(ids[0]) != 8 {
		t.Errorf("IDs = %v, want [%s %s]", ids, cur.ID(), old.ID())
	}
	if set := r.Set(CSRF); len(set) != 2 || !bytes.Equal(set.Current(), cur.Key(CSRF)) || !bytes.Equal(set[1], old.Key(CSRF)) {
		t.Error("Set is not the current key then the previous one")
	}
	if _, err := cur.Accepting(ring(t, 2)); err == nil {
		t.Error("accepted the current secret as a previous one")
	}
	if _, err := cur.Accepting(old, ring(t, 3), ring(t, 4)); err == nil {
		t.Errorf("accepted %d previous secrets", 3)
	}
}

func TestSetVerifiesWithEveryKey(t *testing.T) {
	old, cur := ring(t, 1), ring(t, 2)
	both := ring(t, 2, old)
	msg := []byte("nonce")
	byOld := old.Set(CSRF).MAC(msg)
	if !both.Set(CSRF).Verify(byOld, msg) {
		t.Error("a MAC under the previous secret is refused")
	}
	if !both.Set(CSRF).Verify(cur.Set(CSRF).MAC(msg), msg) {
		t.Error("a MAC under the current secret is refused")
	}
	if cur.Set(CSRF).Verify(byOld, msg) {
		t.Error("a MAC under a secret no longer accepted verifies")
	}
	if both.Set(CSRF).Verify(byOld, []byte("other")) || both.Set(StatusLink).Verify(byOld, msg) {
		t.Error("a MAC verifies for another message or purpose")
	}
}

func sealer(t *testing.T, r *Ring) *Sealer {
	t.Helper()
	s, err := NewSealer(r.Set(OutboxSeal))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealerAcrossARotation(t *testing.T) {
	old, next := ring(t, 1), ring(t, 2)
	ad := []byte("row 1")
	byOld := sealer(t, old).Seal([]byte("hello"), ad)
	// Rolling: first every instance accepts the new secret, then makes it
	// current; values sealed at each step open at the next.
	steps := []*Ring{ring(t, 1, next), ring(t, 2, old), next}
	prevSealed := byOld
	for i, r := range steps[:2] {
		s := sealer(t, r)
		if got, err := s.Open(prevSealed, ad); err != nil || string(got) != "hello" {
			t.Fatalf("step %d: %q, %v", i, got, err)
		}
		prevSealed = s.Seal([]byte("hello"), ad)
	}
	byNew := prevSealed
	s := sealer(t, steps[2])
	if got, err := s.Open(byNew, ad); err != nil || string(got) != "hello" {
		t.Errorf("after the rotation: %q, %v", got, err)
	}
	if !s.Current(byNew) || s.Current(byOld) || sealer(t, steps[1]).Current(byOld) {
		t.Error("Current does not tell the key a value is sealed under")
	}
	if _, err := s.Open(byOld, ad); err != ErrUnknownKey || !errors.Is(err, ErrNotOpened) {
		t.Errorf("a value under a dropped secret: %v, want ErrUnknownKey", err)
	}
	if _, err := sealer(t, steps[1]).Open(byOld, []byte("row 2")); err != ErrNotOpened {
		t.Errorf("a value moved to another row: %v, want ErrNotOpened", err)
	}
	damaged := append([]byte(nil), byOld...)
	damaged[len(damaged)-1] ^= 1
	if _, err := sealer(t, steps[1]).Open(damaged, ad); err != ErrNotOpened {
		t.Errorf("a damaged value: %v, want ErrNotOpened", err)
	}
	if !bytes.Equal(byOld[:2], sealMark) || len(byOld) != 2+4+12+5+16 {
		t.Errorf("sealed value is %d bytes, % x…", len(byOld), byOld[:6])
	}
}

// Values sealed before key ids were written are the nonce and the
// ciphertext; every accepted key is tried on them.
func TestSealerOpensValuesWithoutAnID(t *testing.T) {
	old := ring(t, 1)
	aead := sealer(t, old).keys[0].aead
	nonce := append([]byte{0xfe, 'k'}, bytes.Repeat([]byte{7}, 10)...) // even one that begins like the mark
	legacy := aead.Seal(append([]byte(nil), nonce...), nonce, []byte("hi"), nil)
	if got, err := sealer(t, ring(t, 2, old)).Open(legacy, nil); err != nil || string(got) != "hi" {
		t.Errorf("legacy value: %q, %v", got, err)
	}
	if sealer(t, old).Current(legacy) {
		t.Error("a value without an id counts as current")
	}
}
