package upload

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

func TestParseTIFF(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	at := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	cases := []struct {
		name        string
		tiff        []byte
		orientation int
		want        Findings
	}{
		{"capture time with its offset", buildTIFF(le, []ifdEntry{ascii(tagMake, "Canon"), short(tagOrientation, 3)},
			[]ifdEntry{ascii(tagDateTimeOriginal, "2026:03:01 01:30:00"), ascii(tagOffsetOriginal, "+05:30")}, nil),
			3, Findings{CameraMake: "Canon", HasCameraMetadata: true, CapturedAt: at("2026-02-28T20:00:00Z"), CaptureZoneKnown: true}},
		{"big-endian, no offset", buildTIFF(be, []ifdEntry{ascii(tagModel, "SM-S918B"), short(tagOrientation, 8)},
			[]ifdEntry{ascii(tagDateTimeOriginal, "2026:11:20 14:03:05")}, nil),
			8, Findings{CameraModel: "SM-S918B", HasCameraMetadata: true, CapturedAt: at("2026-11-20T14:03:05Z")}},
		{"digitized time when there is no original", buildTIFF(le, nil,
			[]ifdEntry{ascii(tagDateTimeDigitized, "2025:01:02 03:04:05"), ascii(tagOffsetDigitized, "-03:00")}, nil),
			0, Findings{CapturedAt: at("2025-01-02T06:04:05Z"), CaptureZoneKnown: true}},
		{"a zero date is no date", buildTIFF(le, nil, []ifdEntry{ascii(tagDateTimeOriginal, "0000:00:00 00:00:00")}, nil),
			0, Findings{}},
		{"editor only", buildTIFF(le, []ifdEntry{ascii(tagSoftware, "Adobe Photoshop 25.0 (Windows)")}, nil, nil),
			0, Findings{Software: "Adobe Photoshop 25.0 (Windows)"}},
		{"control and direction characters are dropped", buildTIFF(le, []ifdEntry{ascii(tagModel, "i\u202eenohP\x1b[31m\t 15")}, nil, nil),
			0, Findings{CameraModel: "ienohP[31m 15", HasCameraMetadata: true}},
		{"long values are cut", buildTIFF(le, []ifdEntry{ascii(tagSoftware, strings.Repeat("x", 300))}, nil, nil),
			0, Findings{Software: strings.Repeat("x", maxFindingLen)}},
		{"a GPS IFD without a position", buildTIFF(le, nil, nil, []ifdEntry{{tag: 0, typ: 1, raw: []byte{2, 3, 0, 0}}}),
			0, Findings{}},
		{"a GPS position", buildTIFF(le, nil, nil, []ifdEntry{rational(tagGPSLatitude, 1, 1, 2, 1, 3, 1)}),
			0, Findings{GPSRemoved: true}},
		{"orientation as a LONG is not EXIF's", buildTIFF(le, []ifdEntry{{tag: tagOrientation, typ: 4, nums: []uint32{6}}}, nil, nil),
			0, Findings{}},
		{"not TIFF", []byte("JFIF\x00\x01\x02\x03\x04"), 0, Findings{}},
	}
	for _, c := range cases {
		m := parseTIFF(c.tiff)
		if m.orientation != c.orientation || !sameFindings(m.findings, c.want) {
			t.Errorf("%s: orientation %d, %+v; want %d, %+v", c.name, m.orientation, m.findings, c.orientation, c.want)
		}
	}
}

// TestParseTIFFOnEveryCut reads every prefix of a full EXIF block, and the
// block with each pointer bent to the end of the data: nothing panics, and
// what is cut away is simply missing.
func TestParseTIFFOnEveryCut(t *testing.T) {
	full := buildTIFF(binary.LittleEndian,
		[]ifdEntry{ascii(tagMake, "Apple"), ascii(tagModel, "iPhone 15 Pro"), short(tagOrientation, 6)},
		[]ifdEntry{ascii(tagDateTimeOriginal, "2026:11:20 14:03:05")},
		[]ifdEntry{rational(tagGPSLatitude, 1, 1, 2, 1, 3, 1)})
	for n := range len(full) {
		parseTIFF(full[:n])
	}
	if m := parseTIFF(full); m.orientation != 6 || !m.findings.GPSRemoved || m.findings.CapturedAt == nil {
		t.Errorf("full block: %+v", m)
	}
	for i := 0; i+4 <= len(full); i++ {
		bent := append([]byte{}, full...)
		binary.LittleEndian.PutUint32(bent[i:], uint32(len(full)-1))
		parseTIFF(bent)
		binary.LittleEndian.PutUint32(bent[i:], 0xFFFFFFFF)
		parseTIFF(bent)
	}
}

func TestContainersGiveUpTheirExif(t *testing.T) {
	tiff := buildTIFF(binary.LittleEndian, []ifdEntry{short(tagOrientation, 7)}, nil, nil)
	jpg := encodeJPEG(t, marked(32, 32), 80)
	webpExifChunk := append([]byte("EXIF"), binary.LittleEndian.AppendUint32(nil, uint32(len(tiff)+6))...)
	webpExifChunk = append(append(webpExifChunk, "Exif\x00\x00"...), tiff...)
	webp := append([]byte("RIFF\x00\x00\x00\x00WEBPVP8X"), binary.LittleEndian.AppendUint32(nil, 10)...)
	webp = append(append(webp, make([]byte, 10)...), webpExifChunk...)
	cases := []struct {
		name string
		k    kind
		data []byte
	}{
		{"JPEG APP1 after SOI", kindJPEG, withExif(jpg, tiff)},
		{"JPEG APP1 after a JFIF APP0 and fill bytes", kindJPEG,
			append([]byte{0xFF, 0xD8, 0xFF, 0xFF, 0xE0, 0, 4, 'J', 'F'}, withExif(jpg, tiff)[2:]...)},
		{"PNG eXIf", kindPNG, withChunk(encodePNG(t, marked(32, 32)), pngChunk("eXIf", tiff))},
		{"PNG eXIf with the JPEG prefix", kindPNG, withChunk(encodePNG(t, marked(32, 32)), pngChunk("eXIf", append([]byte("Exif\x00\x00"), tiff...)))},
		{"WebP EXIF after VP8X", kindWebP, webp},
	}
	for _, c := range cases {
		if m := readMeta(c.k, c.data); m.orientation != 7 {
			t.Errorf("%s: orientation %d", c.name, m.orientation)
		}
	}
	// EXIF after the image data is not the picture's: a JPEG's ends at SOS.
	late := append(append([]byte{}, jpg...), withExif([]byte{0xFF, 0xD8}, tiff)...)
	if m := readMeta(kindJPEG, late); m.orientation != 0 {
		t.Errorf("EXIF after the scan read: orientation %d", m.orientation)
	}
}
