// Package uploadtest holds what the upload benchmarks share: a phone-sized
// photo made the same way every time, and a sampler of the heap's peak, so
// the pipeline's benchmark and the end-to-end one measure the same bytes
// in the same way.
package uploadtest

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// PhoneJPEG is a w × h JPEG like a phone's photo: 4:2:0, quality 91, a
// gradient under enough noise that it does not compress away (about
// 0.7 bytes a pixel; 4000 × 3000 gives about 8 MB). The same for the same
// size.
func PhoneJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
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

// HeapPeak samples the bytes in heap objects (live, and dead but not yet
// collected) every millisecond until End, and keeps the largest.
type HeapPeak struct {
	stop chan struct{}
	done chan uint64
}

// StartHeapPeak starts sampling.
func StartHeapPeak() *HeapPeak {
	h := &HeapPeak{stop: make(chan struct{}), done: make(chan uint64)}
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

// End stops sampling and returns the peak.
func (h *HeapPeak) End() uint64 { close(h.stop); return <-h.done }

// HeapNow is the bytes in live heap objects, after a collection.
func HeapNow() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
