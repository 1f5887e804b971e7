package upload

import (
	"bytes"
	"context"
	"encoding/binary"
	"image/jpeg"
	"image/png"
	"slices"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/rebindhq/rebind/internal/apperr"
)

// fuzzLimits keep each run small: the pipeline is the same, the pictures
// are at most a megapixel.
var fuzzLimits = Limits{MaxFileBytes: 1 << 20, MaxFiles: 10, MaxPixels: 1 << 20}

func processSeeds(t testing.TB) [][]byte {
	tiff := buildTIFF(binary.LittleEndian,
		[]ifdEntry{ascii(tagMake, "Apple"), ascii(tagModel, "iPhone"), short(tagOrientation, 6), ascii(tagSoftware, "17.1")},
		[]ifdEntry{ascii(tagDateTimeOriginal, "2026:11:20 14:03:05"), ascii(tagOffsetOriginal, "+08:00")},
		[]ifdEntry{rational(tagGPSLatitude, 1, 1, 2, 1, 3, 1)})
	photo := encodeJPEG(t, marked(48, 24), 80)
	pic := encodePNG(t, marked(48, 24))
	return [][]byte{
		photo,
		withExif(photo, tiff),
		append(append([]byte{}, photo...), zipArchive(t)...),
		photo[:len(photo)*2/3],
		encodeJPEG(t, noise(16, 16, 3), 50),
		jpegSOF(65_000, 65_000),
		pic,
		withChunk(pic, pngChunk("eXIf", tiff)),
		withChunk(pic, pngChunk("tEXt", []byte("Software\x00GIMP"))),
		encodePNG(t, noise(8, 8, 4)),
		pngOf(100_000, 100_000, 8, 0, make([]byte, 64)),
		bombPNG(t, 1<<20),
		readFile(t, "testdata/gopher-doc.1bpp.lossless.webp"),
		readFile(t, "testdata/blue-purple-pink.lossy.webp"),
		readFile(t, "testdata/yellow_rose.lossy-with-alpha.webp"),
		animatedWebPHeader(),
		[]byte("<!DOCTYPE html><script>alert(1)</script>"),
		[]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
	}
}

// FuzzProcess feeds arbitrary bytes to the whole pipeline. Whatever comes
// in, the answer is one of the contract's refusals, or a stored copy that
// decodes as what it claims, within the limits, with nothing but pixels in
// it.
func FuzzProcess(f *testing.F) {
	for _, s := range processSeeds(f) {
		f.Add(s)
	}
	p := New(fuzzLimits, 1)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := p.Process(context.Background(), data)
		if err != nil {
			switch apperr.As(err).Code {
			case apperr.UnsupportedMedia, apperr.FileTooLarge, apperr.InvalidRequest:
				return
			}
			t.Fatalf("unexpected error: %v", err)
		}
		checkStored(t, out)
	})
}

func checkStored(t *testing.T, out *Processed) {
	var w, h int
	switch out.MIME {
	case "image/jpeg":
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(out.Bytes))
		if err != nil {
			t.Fatal(err)
		}
		w, h = cfg.Width, cfg.Height
		for _, m := range jpegMarkers(t, out.Bytes) {
			if m >= 0xE0 && m <= 0xEF || m == 0xFE {
				t.Fatalf("stored JPEG has segment 0xFF%02X", m)
			}
		}
	case "image/png":
		cfg, err := png.DecodeConfig(bytes.NewReader(out.Bytes))
		if err != nil {
			t.Fatal(err)
		}
		w, h = cfg.Width, cfg.Height
		for _, c := range pngChunks(t, out.Bytes) {
			if !slices.Contains([]string{"IHDR", "PLTE", "tRNS", "IDAT", "IEND"}, c) {
				t.Fatalf("stored PNG has chunk %q", c)
			}
		}
	default:
		t.Fatalf("MIME %q", out.MIME)
	}
	if w != out.Width || h != out.Height || int64(w)*int64(h) > fuzzLimits.MaxPixels {
		t.Fatalf("stored %d × %d, reported %d × %d", w, h, out.Width, out.Height)
	}
	checkFindings(t, out.Findings)
}

func checkFindings(t *testing.T, f Findings) {
	for _, s := range []string{f.CameraMake, f.CameraModel, f.Software} {
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxFindingLen {
			t.Fatalf("finding %q", s)
		}
		for _, r := range s {
			if !unicode.IsPrint(r) {
				t.Fatalf("finding %q has %U", s, r)
			}
		}
	}
}

// FuzzExif feeds arbitrary bytes to the EXIF reader and to the container
// walkers around it.
func FuzzExif(f *testing.F) {
	f.Add(buildTIFF(binary.LittleEndian,
		[]ifdEntry{ascii(tagMake, "Apple"), short(tagOrientation, 6), ascii(tagSoftware, "17.1")},
		[]ifdEntry{ascii(tagDateTimeOriginal, "2026:11:20 14:03:05"), ascii(tagOffsetOriginal, "+08:00")},
		[]ifdEntry{rational(tagGPSLatitude, 1, 1, 2, 1, 3, 1)}))
	f.Add(buildTIFF(binary.BigEndian, []ifdEntry{ascii(tagModel, "X")}, []ifdEntry{ascii(tagDateTimeDigitized, "2020:01:01 00:00:00")}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := parseTIFF(b)
		checkFindings(t, m.findings)
		for _, k := range []kind{kindJPEG, kindPNG, kindWebP} {
			checkFindings(t, readMeta(k, b).findings)
		}
	})
}
