package blob

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"

	"github.com/rebindhq/rebind/internal/keys"
)

// dataKeySize is the size of each object's own key: AES-256.
const dataKeySize = 32

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts plain under a fresh random nonce with the object id as
// associated data, so sealed bytes moved under another id do not open.
// It returns the nonce followed by the ciphertext.
func seal(aead cipher.AEAD, plain []byte, id string) []byte {
	n := aead.NonceSize()
	nonce := make([]byte, n, n+len(plain)+aead.Overhead())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, []byte(id))
}

func open(aead cipher.AEAD, sealed []byte, id string) ([]byte, error) {
	n := aead.NonceSize()
	if len(sealed) < n+aead.Overhead() {
		return nil, errors.New("too short")
	}
	return aead.Open(nil, sealed[:n], sealed[n:], []byte(id))
}

// sealObject makes a fresh data key, seals plain under it and wraps the
// key under wrap's current key; both are bound to the object id.
func sealObject(wrap *keys.Sealer, plain []byte, id string) (object []byte, wrappedKey string) {
	key := make([]byte, dataKeySize)
	rand.Read(key)
	aead, err := newGCM(key)
	if err != nil {
		panic("blob: a 32-byte AES key was refused: " + err.Error())
	}
	object = seal(aead, plain, id)
	wrappedKey = base64.RawStdEncoding.EncodeToString(wrap.Seal(key, []byte(id)))
	clear(key)
	return object, wrappedKey
}

// openObject unwraps the data key (under any key wrap accepts) and opens
// the object with it.
func openObject(wrap *keys.Sealer, object []byte, wrappedKey, id string) ([]byte, error) {
	raw, err := base64.RawStdEncoding.DecodeString(wrappedKey)
	if err != nil {
		return nil, errors.New("blob: wrapped key is damaged")
	}
	key, err := wrap.Open(raw, []byte(id))
	if err != nil {
		return nil, errors.New("blob: data key does not unwrap (another server secret, or moved between objects)")
	}
	defer clear(key)
	aead, err := newGCM(key)
	if err != nil {
		return nil, errors.New("blob: unwrapped data key has the wrong size")
	}
	plain, err := open(aead, object, id)
	if err != nil {
		return nil, errors.New("blob: object does not open (damaged, or moved between objects)")
	}
	return plain, nil
}
