package reset_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// The photo and the heap sampler of the end-to-end benchmarks, copied from
// internal/upload's benchmark (unexported there) so that the two measure
// the same bytes in the same way.

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
		photoUpright = phoneJPEG(b, 4000, 3000)
		photo6MP = withOrientation6(photoUpright)
	})
	return photoUpright, photo6MP
}

// phoneJPEG is a w × h JPEG like a phone's photo: 4:2:0, quality 91, a
// gradient under enough noise that it does not compress away (about
// 0.7 bytes a pixel).
func phoneJPEG(t testing.TB, w, h int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			m.Y[y*m.YStride+x] = uint8(x*200/w + y*40/h + r.IntN(64))
		}
	}
	for i := range m.Cb {
		m.Cb[i], m.Cr[i] = uint8(100+r.IntN(32)), uint8(140+r.IntN(32))
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, m, &jpeg.Options{Quality: 91}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
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

// heapPeak samples the bytes in heap objects (live, and dead but not yet
// collected) every millisecond until stopped, and keeps the largest.
type heapPeak struct {
	stop chan struct{}
	done chan uint64
}

func startHeapPeak() *heapPeak {
	h := &heapPeak{stop: make(chan struct{}), done: make(chan uint64)}
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-h.stop:
				h.done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapPeak) end() uint64 { close(h.stop); return <-h.done }

// heapNow is the bytes in live heap objects, after a collection.
func heapNow() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

const mib = 1 << 20
