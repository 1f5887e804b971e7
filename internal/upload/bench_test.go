package upload

import (
	"context"
	"encoding/binary"
	"sync"
	"testing"

	"github.com/rebindhq/rebind/internal/upload/uploadtest"
)

var (
	photoOnce sync.Once
	photo12MP []byte
)

// phonePhoto is a 4000 × 3000 JPEG of about 8 MB, the size of a 12 MP
// phone photo.
func phonePhoto(b *testing.B) []byte {
	photoOnce.Do(func() { photo12MP = uploadtest.PhoneJPEG(b, 4000, 3000) })
	return photo12MP
}

// BenchmarkProcess12MP runs the whole pipeline (sniff, header, EXIF,
// decode, turn upright, re-encode, hash) on one 8 MB, 12 MP JPEG at a
// time, stored upright (orientation 1) and stored turned as phones do
// (orientation 6). peak-heap-MB is the most the heap held above what it
// held before, the input aside.
func BenchmarkProcess12MP(b *testing.B) {
	in := phonePhoto(b)
	tiff := buildTIFF(binary.LittleEndian, []ifdEntry{ascii(tagModel, "Bench"), short(tagOrientation, 6)}, nil, nil)
	for _, c := range []struct {
		name string
		data []byte
	}{{"orientation1", in}, {"orientation6", withExif(in, tiff)}} {
		b.Run(c.name, func(b *testing.B) {
			p := New(Default, 0)
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			base := uploadtest.HeapNow()
			h := uploadtest.StartHeapPeak()
			for b.Loop() {
				if _, err := p.Process(context.Background(), c.data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(h.End()-base)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(len(c.data))/(1<<20), "input-MB")
		})
	}
}

// BenchmarkProcess12MPTenAtOnce sends ten 12 MP photos (orientation 6) at
// once, as one application's ten files would arrive, to a processor with
// one slot per CPU. ns/op is the time for all ten.
func BenchmarkProcess12MPTenAtOnce(b *testing.B) {
	tiff := buildTIFF(binary.LittleEndian, []ifdEntry{short(tagOrientation, 6)}, nil, nil)
	in := withExif(phonePhoto(b), tiff)
	p := New(Default, 0)
	b.ReportAllocs()
	base := uploadtest.HeapNow()
	h := uploadtest.StartHeapPeak()
	for b.Loop() {
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if _, err := p.Process(context.Background(), in); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(h.End()-base)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(p.peak.Load()), "decodes-at-once")
	b.ReportMetric(float64(cap(p.slots)), "slots")
}
