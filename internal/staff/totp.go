package staff

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: what every authenticator app supports (RFC 6238's
// defaults): HMAC-SHA1, 6 digits, 30-second steps, and a code accepted one
// step early or late for clocks that drift.
const (
	Period     = 30
	Skew       = 1
	secretSize = 20
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Step is the TOTP time step of t.
func Step(t time.Time) int64 { return t.Unix() / Period }

// newSecret returns a fresh TOTP secret from the CSPRNG.
func newSecret() []byte {
	b := make([]byte, secretSize)
	rand.Read(b)
	return b
}

// sealSecret seals a TOTP secret for the member id: AES-GCM with the id as
// associated data, so a sealed secret copied to another member's row does
// not open.
func (s *Service) sealSecret(id string, secret []byte) string {
	return base64.RawStdEncoding.EncodeToString(s.seal.Seal(secret, []byte("staff totp "+id)))
}

// openSecret opens what sealSecret sealed for id.
func (s *Service) openSecret(id, sealed string) ([]byte, error) {
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, errors.New("staff: sealed totp secret is malformed")
	}
	secret, err := s.seal.Open(raw, []byte("staff totp "+id))
	if err != nil {
		return nil, fmt.Errorf("staff: open totp secret: %w", err)
	}
	return secret, nil
}

// matchCode returns the latest time step within Skew of now whose code is
// code. Every candidate step is computed, whichever matches, so the work
// does not depend on the code.
func matchCode(secret []byte, code string, now time.Time) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	enc := b32.EncodeToString(secret)
	opts := hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	var found int64
	ok := false
	for st := Step(now) - Skew; st <= Step(now)+Skew; st++ {
		if good, err := hotp.ValidateCustom(code, uint64(st), enc, opts); err == nil && good {
			found, ok = st, true
		}
	}
	return found, ok
}

// Key is what an authenticator app is given at enrolment.
type Key struct {
	// Secret is the base32 secret, for typing in by hand.
	Secret string
	// URL is the otpauth:// URL the QR code holds.
	URL string
	// QR is the QR code as a PNG data URL, for an <img> on the page
	// (the pages' CSP allows data: images, nothing from elsewhere).
	QR string
}

// key builds the enrolment key of secret for the member's email.
func (s *Service) key(email string, secret []byte) (Key, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: s.Issuer, AccountName: email, Period: Period,
		Secret: secret, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return Key{}, fmt.Errorf("staff: totp key: %w", err)
	}
	img, err := k.Image(240, 240)
	if err != nil {
		return Key{}, fmt.Errorf("staff: qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Key{}, fmt.Errorf("staff: qr code: %w", err)
	}
	return Key{Secret: k.Secret(), URL: k.URL(), QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}
