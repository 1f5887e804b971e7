package upload

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
)

// Pictures for the tests, made here rather than kept as binary files.

var (
	red   = color.RGBA{0xFF, 0, 0, 0xFF}
	green = color.RGBA{0, 0xFF, 0, 0xFF}
	blue  = color.RGBA{0, 0, 0xFF, 0xFF}
)

// marked is a w × h blue picture with a 16-pixel red square in its top-left
// corner and a green one in its top-right corner: where the two squares end
// up tells every orientation apart.
func marked(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := blue
			switch {
			case y < 16 && x < 16:
				c = red
			case y < 16 && x >= w-16:
				c = green
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ifdEntry is one TIFF field to write: numbers for SHORT, LONG and
// RATIONAL (two numbers each), raw bytes for ASCII and UNDEFINED.
type ifdEntry struct {
	tag, typ uint16
	nums     []uint32
	raw      []byte
}

func ascii(tag uint16, s string) ifdEntry {
	return ifdEntry{tag: tag, typ: 2, raw: append([]byte(s), 0)}
}
func short(tag uint16, v uint32) ifdEntry { return ifdEntry{tag: tag, typ: 3, nums: []uint32{v}} }
func undefined(tag uint16, b []byte) ifdEntry {
	return ifdEntry{tag: tag, typ: 7, raw: b}
}
func rational(tag uint16, nums ...uint32) ifdEntry { return ifdEntry{tag: tag, typ: 5, nums: nums} }

// byteOrder is binary.LittleEndian or binary.BigEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func (e ifdEntry) encode(bo byteOrder) (count uint32, val []byte) {
	switch e.typ {
	case 3:
		for _, n := range e.nums {
			val = bo.AppendUint16(val, uint16(n))
		}
		return uint32(len(e.nums)), val
	case 4, 5:
		for _, n := range e.nums {
			val = bo.AppendUint32(val, n)
		}
		if e.typ == 5 {
			return uint32(len(e.nums) / 2), val
		}
		return uint32(len(e.nums)), val
	}
	return uint32(len(e.raw)), e.raw
}

// buildTIFF writes EXIF data: IFD0 with pointers to an Exif IFD and a GPS
// IFD when they are given, then the values that do not fit in an entry.
func buildTIFF(bo byteOrder, ifd0, exifIFD, gpsIFD []ifdEntry) []byte {
	ifds := [][]ifdEntry{ifd0, exifIFD, gpsIFD}
	ptrTags := []uint16{0, tagExifIFD, tagGPSIFD}
	for i := 1; i < 3; i++ {
		if len(ifds[i]) > 0 {
			ifds[0] = append(ifds[0], ifdEntry{tag: ptrTags[i], typ: 4, nums: []uint32{0}})
		}
	}
	offs := make([]uint32, 3)
	at := uint32(8)
	for i, ifd := range ifds {
		offs[i] = at
		if len(ifd) > 0 {
			at += uint32(2 + 12*len(ifd) + 4)
		}
	}
	for i, e := range ifds[0] {
		for j := 1; j < 3; j++ {
			if e.tag == ptrTags[j] && e.typ == 4 {
				ifds[0][i].nums = []uint32{offs[j]}
			}
		}
	}
	head := []byte("II*\x00")
	if bo.String() == binary.BigEndian.String() {
		head = []byte("MM\x00*")
	}
	out := bo.AppendUint32(head, 8)
	var data []byte
	for _, ifd := range ifds {
		if len(ifd) == 0 {
			continue
		}
		out = bo.AppendUint16(out, uint16(len(ifd)))
		for _, e := range ifd {
			count, val := e.encode(bo)
			out = bo.AppendUint16(out, e.tag)
			out = bo.AppendUint16(out, e.typ)
			out = bo.AppendUint32(out, count)
			if len(val) <= 4 {
				out = append(out, append(val, make([]byte, 4-len(val))...)...)
			} else {
				out = bo.AppendUint32(out, at+uint32(len(data)))
				data = append(data, val...)
			}
		}
		out = bo.AppendUint32(out, 0) // no next IFD
	}
	return append(out, data...)
}

// withExif puts tiff into a JPEG as an APP1 segment right after SOI, where
// cameras write it.
func withExif(jpg, tiff []byte) []byte {
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, 0xFF, 0xE1)
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func pngChunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// withChunk inserts a chunk into a PNG right after IHDR.
func withChunk(p []byte, chunk []byte) []byte {
	at := 8 + 12 + 13
	out := append([]byte{}, p[:at]...)
	out = append(out, chunk...)
	return append(out, p[at:]...)
}

// pngChunks lists the chunk types of a PNG.
func pngChunks(t testing.TB, p []byte) []string {
	t.Helper()
	var types []string
	for i := 8; i+12 <= len(p); {
		n := int(binary.BigEndian.Uint32(p[i:]))
		types = append(types, string(p[i+4:i+8]))
		i += 12 + n
	}
	return types
}

// jpegMarkers lists the markers of a JPEG's segments up to the scan.
func jpegMarkers(t testing.TB, j []byte) []byte {
	t.Helper()
	var markers []byte
	for i := 2; i+4 <= len(j) && j[i] == 0xFF; {
		m := j[i+1]
		markers = append(markers, m)
		if m == 0xDA {
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(j[i+2:]))
	}
	return markers
}

// noise is a w × h picture of random colours, the same for the same seed.
func noise(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, seed))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(r.Uint32())
	}
	for i := 3; i < len(m.Pix); i += 4 {
		m.Pix[i] = 0xFF
	}
	return m
}

// runtimeMem is a reading of the bytes allocated so far.
type runtimeMem struct{ totalAlloc uint64 }

func (m *runtimeMem) read() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.totalAlloc = s.TotalAlloc
}
