package upload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"time"

	"golang.org/x/image/webp"

	"github.com/rebindhq/rebind/internal/apperr"
)

// Memory. A picture is decoded only after its header has said how many
// pixels it has, and only if that is within MaxPixels, so a decode's memory
// is a known multiple of its pixel count. From the decoders' source, per
// pixel:
//
//   - JPEG: 1 byte (grey) to 3 (colour, no chroma subsampling); a phone's
//     4:2:0 photo is 1.5. A CMYK JPEG takes 4 more for the converted copy,
//     and a progressive JPEG keeps 4 bytes of coefficients per sample on
//     top (up to 16 for CMYK): the worst case, progressive CMYK, is about
//     24 bytes a pixel.
//   - PNG: 1 to 8 (16-bit RGBA); an interlaced PNG adds half of that for
//     its passes.
//   - WebP: 1.5 to 4, plus the alpha plane.
//
// Turning the picture upright (an EXIF orientation other than 1) or out of
// CMYK adds a 4-byte-a-pixel copy; the input and the re-encoded copy are
// each about the file's size; the hash's scaler takes 2 KB a row (a few
// MB). So one decode holds about 2 × file + 1.5 × pixels for a phone's
// JPEG, 5.5 × pixels when it is turned (12 MP, 8 MB: about 35 MB, or 83 MB
// turned; TestMemoryPerDecode holds the code to this), and at most
// 2 × 10 MB + 28 × 40 MP ≈ 1.1 GB for the worst picture the limits allow.
// At most cap(slots) decodes run at once (one per CPU by default); the
// others wait, holding only their bytes. docs/benchmarks.md has the
// measured figures.

// maxScans bounds the scans of a JPEG. Each progressive scan walks every
// block of the picture again, so a small file with thousands of scans costs
// minutes of CPU ("scan bomb"). Encoders write about ten; libjpeg-turbo's
// tools offer a scan limit for the same reason. Counting the SOS markers is
// exact after the first one, as entropy-coded data cannot hold 0xFF 0xDA,
// and before it only a metadata segment could hold the pair by chance.
const maxScans = 100

// checkPixels reads the picture's header and refuses it, before anything is
// allocated for its pixels, when it is larger than MaxPixels.
func (p *Processor) checkPixels(k kind, data []byte) error {
	if k == kindWebP && animatedWebP(data) {
		return apperr.New(apperr.UnsupportedMedia, "animated pictures are not accepted; send a still JPEG or PNG")
	}
	cfg, err := decodeConfig(k, data)
	if err != nil {
		return decodeError(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return damaged(fmt.Errorf("upload: %s of %d×%d", k, cfg.Width, cfg.Height))
	}
	if int64(cfg.Width)*int64(cfg.Height) > p.limits.MaxPixels {
		return apperr.New(apperr.FileTooLarge, fmt.Sprintf("a picture may have at most %d megapixels; this one has %d × %d",
			p.limits.MaxPixels/1_000_000, cfg.Width, cfg.Height))
	}
	if k == kindJPEG && bytes.Count(data, []byte{0xFF, 0xDA}) > maxScans {
		return apperr.New(apperr.UnsupportedMedia, "this JPEG has too many progressive scans; save it again as a plain JPEG")
	}
	return nil
}

func decodeConfig(k kind, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch k {
	case kindJPEG:
		return jpeg.DecodeConfig(r)
	case kindPNG:
		return png.DecodeConfig(r)
	default:
		return webp.DecodeConfig(r)
	}
}

// decodeImage decodes with the decoder of the sniffed kind only, never
// through image.Decode's registry, so a file cannot pick its decoder.
func decodeImage(k kind, data []byte) (image.Image, error) {
	r := bytes.NewReader(data)
	switch k {
	case kindJPEG:
		return jpeg.Decode(r)
	case kindPNG:
		return png.Decode(r)
	default:
		return webp.Decode(r)
	}
}

// decodeError tells a format the decoders do not support (unsupported_media)
// from bytes that are broken (damaged).
func decodeError(err error) error {
	var ju jpeg.UnsupportedError
	var pu png.UnsupportedError
	if errors.As(err, &ju) || errors.As(err, &pu) {
		return apperr.Wrap(apperr.UnsupportedMedia, "this kind of picture is not supported; save it again as a plain JPEG or PNG", err)
	}
	return damaged(err)
}

func (p *Processor) acquire(ctx context.Context) error {
	timer := time.NewTimer(MaxWait)
	defer timer.Stop()
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return apperr.Wrap(apperr.Unavailable, "too many pictures are being processed; try again in a moment", ctx.Err())
	case <-timer.C:
		return apperr.New(apperr.Unavailable, "too many pictures are being processed; try again in a moment")
	}
	n := p.active.Add(1)
	for {
		old := p.peak.Load()
		if n <= old || p.peak.CompareAndSwap(old, n) {
			return nil
		}
	}
}

func (p *Processor) release() {
	p.active.Add(-1)
	<-p.slots
}
