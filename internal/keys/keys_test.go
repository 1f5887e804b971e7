package keys

import (
	"bytes"
	"encoding/base64"
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
