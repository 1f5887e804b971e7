package reset_test

import (
	"sync"
	"testing"

	"github.com/rebindhq/rebind/internal/upload/uploadtest"
)

// The photo of the end-to-end benchmarks: uploadtest's, as the pipeline's
// benchmark measures it, and the same turned by EXIF.

var (
	photoOnce              sync.Once
	photoUpright, photo6MP []byte
)

// phonePhotos returns a 4000 × 3000 JPEG of about 8 MB, the size of a 12 MP
// phone photo, stored upright (no EXIF) and stored turned as phones store a
// portrait (EXIF orientation 6). Both are byte for byte the ones
// BenchmarkProcess12MP measures.
func phonePhotos(b *testing.B) (upright, turned []byte) {
	photoOnce.Do(func() {
		photoUpright = uploadtest.PhoneJPEG(b, 4000, 3000)
		photo6MP = withOrientation6(photoUpright)
	})
	return photoUpright, photo6MP
}

// exifOrientation6 is an APP1 segment holding a little-endian TIFF with one
// IFD: Model "Bench" (its 6 bytes after the IFD, at offset 38) and
// Orientation 6, as internal/upload's benchmark writes it.
var exifOrientation6 = []byte{
	0xFF, 0xE1, 0x00, 0x34, // APP1, length 52 (itself, "Exif\0\0" and the 44-byte TIFF)
	'E', 'x', 'i', 'f', 0, 0,
	'I', 'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, // little-endian TIFF, IFD at 8
	0x02, 0x00, // two entries
	0x10, 0x01, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x26, 0x00, 0x00, 0x00, // Model, ASCII, 6, at 38
	0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, // Orientation, SHORT, 1, 6
	0x00, 0x00, 0x00, 0x00, // no next IFD
	'B', 'e', 'n', 'c', 'h', 0,
}

// withOrientation6 puts exifOrientation6 right after the JPEG's SOI, where
// cameras write it.
func withOrientation6(jpg []byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	out = append(out, exifOrientation6...)
	return append(out, jpg[2:]...)
}

const mib = 1 << 20
