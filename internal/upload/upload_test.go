package upload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/bits"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
)

func process(t *testing.T, p *Processor, data []byte) *Processed {
	t.Helper()
	out, err := p.Process(context.Background(), data)
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	if out.SHA256 != sha256.Sum256(out.Bytes) {
		t.Error("SHA256 is not the digest of the stored bytes")
	}
	return out
}

// decodeOut decodes the stored copy with the decoder its MIME names, and
// checks its size is the one reported.
func decodeOut(t *testing.T, out *Processed) image.Image {
	t.Helper()
	var img image.Image
	var err error
	switch out.MIME {
	case "image/jpeg":
		img, err = jpeg.Decode(bytes.NewReader(out.Bytes))
	case "image/png":
		img, err = png.Decode(bytes.NewReader(out.Bytes))
	default:
		t.Fatalf("MIME %q", out.MIME)
	}
	if err != nil {
		t.Fatalf("stored copy does not decode as %s: %v", out.MIME, err)
	}
	if b := img.Bounds(); b.Dx() != out.Width || b.Dy() != out.Height {
		t.Fatalf("stored copy is %v, reported %d × %d", b, out.Width, out.Height)
	}
	return img
}

func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, w uint8) bool { return max(int(a>>8), int(w))-min(int(a>>8), int(w)) < 60 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

func TestOrientationTurnsThePictureUpright(t *testing.T) {
	// Where the source's top-left (red) and top-right (green) squares end
	// up for each orientation, by EXIF 2.32's table of row and column.
	type corner int
	const (
		tl corner = iota
		tr
		bl
		br
	)
	cases := []struct {
		orientation int
		red, green  corner
		swapped     bool
	}{
		{0, tl, tr, false}, {1, tl, tr, false}, {2, tr, tl, false}, {3, br, bl, false}, {4, bl, br, false},
		{5, tl, bl, true}, {6, tr, br, true}, {7, br, tr, true}, {8, bl, tl, true}, {9, tl, tr, false},
	}
	formats := []struct {
		name string
		make func(t *testing.T, tiff []byte) []byte
		mime string
	}{
		{"jpeg", func(t *testing.T, tiff []byte) []byte { return withExif(encodeJPEG(t, marked(64, 32), 95), tiff) }, "image/jpeg"},
		{"png", func(t *testing.T, tiff []byte) []byte {
			return withChunk(encodePNG(t, marked(64, 32)), pngChunk("eXIf", tiff))
		}, "image/png"},
	}
	p := New(Default, 2)
	for _, f := range formats {
		for _, c := range cases {
			tiff := buildTIFF(binary.LittleEndian, []ifdEntry{short(tagOrientation, uint32(c.orientation))}, nil, nil)
			out := process(t, p, f.make(t, tiff))
			img := decodeOut(t, out)
			w, h := 64, 32
			if c.swapped {
				w, h = 32, 64
			}
			if out.Width != w || out.Height != h || out.MIME != f.mime {
				t.Errorf("%s orientation %d: %s %d × %d, want %s %d × %d", f.name, c.orientation, out.MIME, out.Width, out.Height, f.mime, w, h)
				continue
			}
			at := [4]image.Point{{4, 4}, {w - 5, 4}, {4, h - 5}, {w - 5, h - 5}}
			for k, pt := range at {
				want := blue
				switch corner(k) {
				case c.red:
					want = red
				case c.green:
					want = green
				}
				if got := img.At(pt.X, pt.Y); !near(got, want) {
					t.Errorf("%s orientation %d: corner %d is %v, want %v", f.name, c.orientation, k, got, want)
				}
			}
		}
	}
}

func TestCameraMetadataBecomesFindingsAndLeavesTheCopy(t *testing.T) {
	secret := "MAKERNOTE-SECRET-1234"
	tiff := buildTIFF(binary.LittleEndian,
		[]ifdEntry{ascii(tagMake, "Apple"), ascii(tagModel, "iPhone 15 Pro"), short(tagOrientation, 6), ascii(tagSoftware, "17.1.1")},
		[]ifdEntry{ascii(tagDateTimeOriginal, "2026:11:20 14:03:05"), ascii(tagOffsetOriginal, "+08:00"), undefined(0x927C, []byte(secret))},
		[]ifdEntry{ascii(0x0001, "N"), rational(tagGPSLatitude, 1, 1, 17, 1, 3000, 100), ascii(0x0003, "E"), rational(tagGPSLongitude, 103, 1, 51, 1, 0, 1)},
	)
	in := withExif(encodeJPEG(t, marked(64, 32), 95), tiff)
	out := process(t, New(Default, 1), in)

	at := time.Date(2026, 11, 20, 6, 3, 5, 0, time.UTC)
	want := Findings{CameraMake: "Apple", CameraModel: "iPhone 15 Pro", CapturedAt: &at, CaptureZoneKnown: true,
		Software: "17.1.1", HasCameraMetadata: true, GPSRemoved: true}
	if !sameFindings(out.Findings, want) {
		t.Errorf("findings %+v, want %+v", out.Findings, want)
	}
	if out.Width != 32 || out.Height != 64 {
		t.Errorf("%d × %d: orientation 6 not applied", out.Width, out.Height)
	}
	// The copy has only the encoder's own segments: no APPn (EXIF, XMP,
	// ICC), no comment.
	for _, m := range jpegMarkers(t, out.Bytes) {
		if m >= 0xE0 && m <= 0xEF || m == 0xFE {
			t.Errorf("stored copy has segment 0xFF%02X", m)
		}
	}
	for _, s := range []string{"Exif", secret, "iPhone", "Apple"} {
		if bytes.Contains(out.Bytes, []byte(s)) {
			t.Errorf("stored copy contains %q", s)
		}
	}
}

func sameFindings(a, b Findings) bool {
	at, bt := a.CapturedAt, b.CapturedAt
	a.CapturedAt, b.CapturedAt = nil, nil
	if (at == nil) != (bt == nil) || at != nil && !at.Equal(*bt) {
		return false
	}
	return a == b
}

func TestPNGLosesItsChunks(t *testing.T) {
	big := append([]byte("Comment\x00"), bytes.Repeat([]byte("<script>alert(1)</script>"), 5<<20/25)...)
	tiff := buildTIFF(binary.BigEndian, []ifdEntry{ascii(tagModel, "Pixel 8")}, nil, nil)
	in := encodePNG(t, marked(64, 32))
	in = withChunk(in, pngChunk("tEXt", big))
	in = withChunk(in, pngChunk("tEXt", []byte("Software\x00GIMP 2.10")))
	in = withChunk(in, pngChunk("eXIf", tiff))
	if len(in) < 5<<20 {
		t.Fatalf("fixture is only %d bytes", len(in))
	}
	out := process(t, New(Default, 1), in)
	if out.MIME != "image/png" {
		t.Fatalf("MIME %s", out.MIME)
	}
	decodeOut(t, out)
	if got := pngChunks(t, out.Bytes); !slices.Equal(got, []string{"IHDR", "IDAT", "IEND"}) {
		t.Errorf("stored copy's chunks: %v", got)
	}
	if len(out.Bytes) > 10_000 || bytes.Contains(out.Bytes, []byte("script")) {
		t.Errorf("stored copy is %d bytes and still has the text", len(out.Bytes))
	}
	if out.Findings.Software != "GIMP 2.10" || out.Findings.CameraModel != "Pixel 8" {
		t.Errorf("findings %+v", out.Findings)
	}
}

func TestAppendedZIPIsNotStored(t *testing.T) {
	archive := zipArchive(t)
	in := append(encodeJPEG(t, marked(64, 32), 90), archive...)
	out := process(t, New(Default, 1), in)
	decodeOut(t, out)
	for _, s := range []string{"PK\x03\x04", "payload.html", "zip payload"} {
		if bytes.Contains(out.Bytes, []byte(s)) {
			t.Errorf("stored copy contains %q", s)
		}
	}
	if !bytes.Contains(in, []byte("PK\x03\x04")) {
		t.Fatal("fixture has no ZIP")
	}
}

func TestWebP(t *testing.T) {
	cases := []struct {
		file, mime string
	}{
		{"testdata/gopher-doc.1bpp.lossless.webp", "image/png"},
		{"testdata/blue-purple-pink.lossy.webp", "image/jpeg"},
		{"testdata/yellow_rose.lossy-with-alpha.webp", "image/png"},
	}
	p := New(Default, 1)
	for _, c := range cases {
		in := readFile(t, c.file)
		cfg, err := decodeConfig(kindWebP, in)
		if err != nil {
			t.Fatal(err)
		}
		out := process(t, p, in)
		decodeOut(t, out)
		if out.MIME != c.mime || out.Width != cfg.Width || out.Height != cfg.Height {
			t.Errorf("%s: %s %d × %d, want %s %d × %d", c.file, out.MIME, out.Width, out.Height, c.mime, cfg.Width, cfg.Height)
		}
	}
}

// TestRefusals checks each refusal's code, and whether the picture was
// decoded: what can be refused from the header is refused before any
// pixel is allocated.
func TestRefusals(t *testing.T) {
	photo := encodeJPEG(t, marked(64, 32), 90)
	noisy, noisyPNG := encodeJPEG(t, noise(64, 64, 1), 90), encodePNG(t, noise(64, 64, 1))
	arithmetic := bytes.Replace(photo, []byte{0xFF, 0xC0}, []byte{0xFF, 0xC9}, 1)
	cases := []struct {
		name    string
		data    []byte
		code    apperr.Code
		decoded bool
	}{
		{"HTML named .png", []byte("<!DOCTYPE html><html><body><script>fetch('/x')</script></body></html>"), apperr.UnsupportedMedia, false},
		{"HTML after white space", []byte("\n\n  <html><script>alert(1)</script></html>"), apperr.UnsupportedMedia, false},
		{"SVG with a script", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`), apperr.UnsupportedMedia, false},
		{"GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), apperr.UnsupportedMedia, false},
		{"PDF", []byte("%PDF-1.7\n"), apperr.UnsupportedMedia, false},
		{"animated WebP", animatedWebPHeader(), apperr.UnsupportedMedia, false},
		{"empty", nil, apperr.UnsupportedMedia, false},
		{"PNG declaring 100,000 × 100,000", pngOf(100_000, 100_000, 8, 0, make([]byte, 1000)), apperr.FileTooLarge, false},
		{"JPEG declaring 65,000 × 65,000", jpegSOF(65_000, 65_000), apperr.FileTooLarge, false},
		{"PNG declaring 0 × 10", pngOf(0, 10, 8, 0, nil), apperr.InvalidRequest, false},
		{"over 10 MB", append(append([]byte{}, photo...), make([]byte, 10<<20)...), apperr.FileTooLarge, false},
		{"JPEG header cut short", photo[:40], apperr.InvalidRequest, false},
		{"JPEG with too many scans", append(append([]byte{}, photo...), bytes.Repeat([]byte{0xFF, 0xDA}, maxScans)...), apperr.UnsupportedMedia, false},
		{"arithmetic-coded JPEG", arithmetic, apperr.UnsupportedMedia, false},
		{"truncated JPEG", noisy[:len(noisy)*2/3], apperr.InvalidRequest, true},
		{"truncated PNG", noisyPNG[:len(noisyPNG)/2], apperr.InvalidRequest, true},
		{"PNG with too little pixel data", pngOf(64, 64, 8, 0, make([]byte, 100)), apperr.InvalidRequest, true},
	}
	for _, c := range cases {
		p := New(Default, 1)
		_, err := p.Process(context.Background(), c.data)
		if !apperr.Is(err, c.code) {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
		if decoded := p.decodes.Load() > 0; decoded != c.decoded {
			t.Errorf("%s: decoded %v, want %v", c.name, decoded, c.decoded)
		}
	}
}

func TestDamagedSaysSo(t *testing.T) {
	photo := encodeJPEG(t, noise(64, 64, 1), 90)
	_, err := New(Default, 1).Process(context.Background(), photo[:len(photo)/2])
	if e := apperr.As(err); e.Code.Status() != http.StatusBadRequest || !strings.Contains(e.Message, "damaged") {
		t.Errorf("truncated JPEG: %d %q", e.Code.Status(), e.Message)
	}
}

func TestPerceptualHashIsOfTheUprightPicture(t *testing.T) {
	p := New(Default, 1)
	src := marked(256, 128)
	// The same scene stored upright, and stored turned a quarter
	// anticlockwise with orientation 6 to turn it back: the hashes agree.
	turned := image.NewRGBA(image.Rect(0, 0, 128, 256))
	for y := range 128 {
		for x := range 256 {
			turned.Set(y, 255-x, src.At(x, y)) // 90° anticlockwise
		}
	}
	tiff := buildTIFF(binary.LittleEndian, []ifdEntry{short(tagOrientation, 6)}, nil, nil)
	a := process(t, p, encodeJPEG(t, src, 90))
	b := process(t, p, withExif(encodeJPEG(t, turned, 70), tiff))
	other := process(t, p, encodePNG(t, noise(256, 128, 7)))
	if d := bits.OnesCount64(a.PHash ^ b.PHash); d > 4 {
		t.Errorf("same picture: distance %d", d)
	}
	if d := bits.OnesCount64(a.PHash ^ other.PHash); d < 16 {
		t.Errorf("different pictures: distance %d", d)
	}
}
