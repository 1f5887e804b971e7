package upload

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"

	"github.com/corona10/goimagehash"
	xdraw "golang.org/x/image/draw"
)

// JPEGQuality is the quality of re-encoded JPEGs: high enough that the
// second generation is hard to tell from the first, so the text of an ID
// stays readable.
const JPEGQuality = 90

// convert decodes the picture, turns it upright, re-encodes it and hashes
// it. A panic in a decoder, an encoder or the hash is the picture's fault
// as far as the caller is concerned: it becomes "damaged", with the panic
// kept for the log.
func (p *Processor) convert(k kind, data []byte, m meta) (out *Processed, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, damaged(fmt.Errorf("upload: panic processing a %s: %v", k, r))
		}
	}()
	p.decodes.Add(1)
	img, err := p.decode(k, data)
	if err != nil {
		return nil, decodeError(err)
	}
	lossless := isLossless(k, img)
	img = upright(img, m.orientation, lossless)
	b := img.Bounds()
	var buf bytes.Buffer
	buf.Grow(len(data))
	mime, err := encode(&buf, img, lossless)
	if err != nil {
		return nil, fmt.Errorf("upload: encoding %s: %w", mime, err)
	}
	hash, err := goimagehash.PerceptionHash(thumbnail(img))
	if err != nil {
		return nil, fmt.Errorf("upload: perceptual hash: %w", err)
	}
	return &Processed{
		Bytes: buf.Bytes(), MIME: mime, Width: b.Dx(), Height: b.Dy(),
		PHash: hash.GetHash(), SHA256: sha256.Sum256(buf.Bytes()), Findings: m.findings,
	}, nil
}

// isLossless says whether the picture came without lossy compression: a
// PNG, or a WebP that is not VP8 (lossy WebP decodes to YCbCr, lossy with
// alpha to NYCbCrA). Those are stored as PNG: they are mostly screenshots,
// whose small text (a TXID, an email address) JPEG would blur, and their
// alpha would be lost. A JPEG or lossy WebP is stored as JPEG: it is a
// photo already, PNG would make it several times larger for no detail
// that survived the first compression.
func isLossless(k kind, img image.Image) bool {
	switch k {
	case kindJPEG:
		return false
	case kindWebP:
		_, ycc := img.(*image.YCbCr)
		return !ycc
	}
	return true
}

// hashSide is the side of the square the perceptual hash looks at: the
// hash resizes to 64 × 64 itself, but from a YCbCr picture its resizer
// first makes a full 3-byte-a-pixel copy (36 MB for 12 MP). Scaling down
// here, with a filter that averages every source pixel, costs a few MB.
const hashSide = 64

func thumbnail(img image.Image) image.Image {
	t := image.NewRGBA(image.Rect(0, 0, hashSide, hashSide))
	xdraw.BiLinear.Scale(t, t.Bounds(), img, img.Bounds(), xdraw.Src, nil)
	return t
}

// encode writes img as PNG (lossless) or JPEG. Neither encoder writes
// metadata of any kind: the stored copy has only what is drawn.
func encode(buf *bytes.Buffer, img image.Image, lossless bool) (string, error) {
	if lossless {
		return "image/png", (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(buf, img)
	}
	switch img.(type) {
	case *image.YCbCr, *image.RGBA, *image.Gray:
	default:
		// CMYK and the rest: the JPEG encoder would read them a pixel at
		// a time through an interface; one conversion is much faster.
		b := img.Bounds()
		m := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(m, m.Bounds(), img, b.Min, draw.Src)
		img = m
	}
	return "image/jpeg", jpeg.Encode(buf, img, &jpeg.Options{Quality: JPEGQuality})
}
