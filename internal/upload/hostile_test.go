package upload

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/upload/uploadtest"
)

// Hostile pictures, and what the pipeline spends on them.

// pngOf writes a PNG from its parts: an IHDR of w × h with the given bit
// depth and colour type, and one IDAT holding the zlib stream of raw.
func pngOf(w, h uint32, depth, colorType byte, raw []byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, depth, colorType, 0, 0, 0)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(raw)
	zw.Close()
	out := append([]byte{}, magicPNG...)
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", z.Bytes())...)
	return append(out, pngChunk("IEND", nil)...)
}

// bombPNG is a 64 × 64 grey PNG whose pixel data inflates to n bytes,
// about a thousand times its compressed size.
func bombPNG(t testing.TB, n int) []byte {
	t.Helper()
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	chunk := make([]byte, 1<<20)
	for written := 0; written < n; written += len(chunk) {
		zw.Write(chunk)
	}
	zw.Close()
	ihdr := binary.BigEndian.AppendUint32(nil, 64)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 64)
	ihdr = append(ihdr, 8, 0, 0, 0, 0)
	out := append([]byte{}, magicPNG...)
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", z.Bytes())...)
	return append(out, pngChunk("IEND", nil)...)
}

// jpegSOF returns a JPEG that is only a header declaring w × h: a pixel
// flood if nothing checks the size before decoding.
func jpegSOF(w, h uint16) []byte {
	out := []byte{0xFF, 0xD8}
	// Baseline SOF0: precision 8, height, width, 1 component.
	sof := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0}
	out = append(out, 0xFF, 0xC0, 0, byte(len(sof)+2))
	out = append(out, sof...)
	// The start of a scan, where the header ends, and a little data.
	out = append(out, 0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0)
	return append(out, 0x12, 0x34, 0xFF, 0xD9)
}

// zipArchive is a ZIP holding one HTML file with a script.
func zipArchive(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	f, err := zw.Create("payload.html")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("<script>alert('zip payload')</script>"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// animatedWebPHeader is the start of an animated WebP: a VP8X header with the
// animation flag, and an ANIM chunk.
func animatedWebPHeader() []byte {
	vp8x := []byte{0x02, 0, 0, 0, 9, 0, 0, 9, 0, 0} // animated, 10 × 10
	b := append([]byte("RIFF\x00\x00\x00\x00WEBPVP8X"), binary.LittleEndian.AppendUint32(nil, uint32(len(vp8x)))...)
	b = append(b, vp8x...)
	b = append(b, "ANIM"...)
	b = binary.LittleEndian.AppendUint32(b, 6)
	return append(b, 0, 0, 0, 0, 0, 0)
}

// TestDecompressionBomb sends a 64 × 64 PNG whose pixel data inflates to
// 256 MB. The decoder reads only what 64 × 64 pixels need and stops at the
// excess, so the work and the memory are those of a 4 KB picture.
func TestDecompressionBomb(t *testing.T) {
	bomb := bombPNG(t, 256<<20)
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	p := New(Default, 1)
	var before, after runtimeMem
	before.read()
	_, err := p.Process(context.Background(), bomb)
	after.read()
	if !apperr.Is(err, apperr.InvalidRequest) {
		t.Errorf("bomb: %v", err)
	}
	if n := after.totalAlloc - before.totalAlloc; n > 4<<20 {
		t.Errorf("bomb allocated %d bytes", n)
	}
}

func TestPixelFloodAllocatesNothingForPixels(t *testing.T) {
	flood := pngOf(100_000, 100_000, 8, 6, make([]byte, 4096))
	p := New(Default, 1)
	var before, after runtimeMem
	before.read()
	_, err := p.Process(context.Background(), flood)
	after.read()
	if !apperr.Is(err, apperr.FileTooLarge) || p.decodes.Load() != 0 {
		t.Errorf("flood: %v, decodes %d", err, p.decodes.Load())
	}
	if n := after.totalAlloc - before.totalAlloc; n > 1<<20 {
		t.Errorf("flood allocated %d bytes", n)
	}
}

// TestMemoryPerDecode checks the bound decode.go states for a phone's
// photo: about 2 × the file, plus 1.5 bytes a pixel for the 4:2:0 picture
// and 4 more for its upright RGBA copy when the orientation turns it, plus
// a few MB that grow with a side, not with the area (the hash's scaler).
// Another full copy of the pixels would break it.
func TestMemoryPerDecode(t *testing.T) {
	const w, h = 2000, 1500
	photo := uploadtest.PhoneJPEG(t, w, h)
	tiff := buildTIFF(binary.LittleEndian, []ifdEntry{short(tagOrientation, 6)}, nil, nil)
	p := New(Default, 1)
	for _, c := range []struct {
		in          []byte
		bytesAPixel int
	}{{photo, 2}, {withExif(photo, tiff), 6}} {
		runtime.GC()
		var before, after runtimeMem
		before.read()
		process(t, p, c.in)
		after.read()
		bound := uint64(2*len(c.in) + c.bytesAPixel*w*h + 6<<20)
		if n := after.totalAlloc - before.totalAlloc; n > bound {
			t.Errorf("one %d-byte 3 MP JPEG allocated %d bytes, bound %d", len(c.in), n, bound)
		}
	}
}
