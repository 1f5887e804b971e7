package upload

import (
	"bytes"
	"fmt"

	"github.com/rebindhq/rebind/internal/apperr"
)

// kind is an accepted input format.
type kind int

const (
	kindJPEG kind = iota + 1
	kindPNG
	kindWebP
)

var mimeOf = map[kind]string{kindJPEG: "image/jpeg", kindPNG: "image/png", kindWebP: "image/webp"}

func (k kind) String() string { return mimeOf[k] }

var (
	magicJPEG = []byte{0xFF, 0xD8, 0xFF}
	magicPNG  = []byte("\x89PNG\r\n\x1a\n")
)

// sniff decides the format by the first bytes alone, as the formats'
// specifications define them. It is stricter than http.DetectContentType,
// which skips leading white space and knows many more types; the test
// checks that the two agree on every accepted picture. Anything else —
// HTML, SVG, a GIF, a PDF — is refused whatever it is called, and SVG never
// reaches a decoder, so its scripts are never parsed.
func sniff(b []byte) (kind, bool) {
	switch {
	case bytes.HasPrefix(b, magicJPEG):
		return kindJPEG, true
	case bytes.HasPrefix(b, magicPNG):
		return kindPNG, true
	case len(b) >= 16 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return kindWebP, true
	}
	return 0, false
}

var errUnsupported = apperr.New(apperr.UnsupportedMedia, "this file is not a JPEG, PNG or WebP picture")

func (p *Processor) tooLarge() error {
	return apperr.New(apperr.FileTooLarge, fmt.Sprintf("a picture may be at most %s", megabytes(p.limits.MaxFileBytes)))
}

func megabytes(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// damaged is the answer for a picture whose bytes do not decode: it was
// cut short or corrupted on the way.
func damaged(cause error) error {
	return apperr.Wrap(apperr.InvalidRequest, "this picture is damaged; take it or export it again", cause)
}
