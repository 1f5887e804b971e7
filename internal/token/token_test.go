package token

import "testing"

func TestNewIDShapeAndUniqueness(t *testing.T) {
	seen := make(map[string]bool)
	for range 10000 {
		id := NewID()
		if !ValidID(id) {
			t.Fatalf("NewID() = %q, not a valid id", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestValidIDRefusesJunk(t *testing.T) {
	for _, s := range []string{"", "abc", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "aaaaaaaaaaaaaaaaaaaaaaaaa1", "../../../../../../../../etc", NewID() + "a"} {
		if ValidID(s) {
			t.Errorf("ValidID(%q) = true", s)
		}
	}
}

func TestSecretAndDigest(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if len(a) != 43 || a == b {
		t.Fatalf("NewSecret() = %q, %q", a, b)
	}
	if Digest(a) == Digest(b) || Digest(a) != Digest(a) || len(Digest(a)) != 64 {
		t.Fatal("Digest is not a stable 256-bit digest")
	}
}
