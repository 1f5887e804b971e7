package upload

import (
	"bytes"
	"encoding/binary"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A small EXIF reader of our own, for the seven tags the pipeline uses: it
// follows IFD0 to the Exif and GPS IFDs and nothing further, copies
// nothing, and never fails (what it cannot read, it leaves out). FuzzExif
// and FuzzProcess run it on arbitrary bytes.

// meta is what is read from a picture's metadata before it is dropped.
type meta struct {
	orientation int
	findings    Findings
}

// EXIF tags (EXIF 2.32, tables 4, 7 and 15).
const (
	tagMake              = 0x010F
	tagModel             = 0x0110
	tagOrientation       = 0x0112
	tagSoftware          = 0x0131
	tagExifIFD           = 0x8769
	tagGPSIFD            = 0x8825
	tagDateTimeOriginal  = 0x9003
	tagDateTimeDigitized = 0x9004
	tagOffsetOriginal    = 0x9011
	tagOffsetDigitized   = 0x9012
	tagGPSLatitude       = 0x0002
	tagGPSLongitude      = 0x0004
)

// typeSizes are the byte sizes of the TIFF field types; 0 is unknown.
var typeSizes = [13]uint64{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}

type tiff struct {
	b  []byte
	bo binary.ByteOrder
}

// field is one IFD entry whose value lies within the data.
type field struct {
	tag, typ uint16
	count    uint32
	val      []byte
}

// ifd returns the entries of the IFD at off that can be read.
func (t tiff) ifd(off uint32) []field {
	if uint64(off)+2 > uint64(len(t.b)) {
		return nil
	}
	n := int(t.bo.Uint16(t.b[off:]))
	n = min(n, (len(t.b)-int(off)-2)/12)
	out := make([]field, 0, n)
	for i := range n {
		e := t.b[int(off)+2+12*i:][:12]
		f := field{tag: t.bo.Uint16(e), typ: t.bo.Uint16(e[2:]), count: t.bo.Uint32(e[4:])}
		if int(f.typ) >= len(typeSizes) || typeSizes[f.typ] == 0 {
			continue
		}
		size := typeSizes[f.typ] * uint64(f.count)
		if size <= 4 {
			f.val = e[8 : 8+size]
		} else if at := uint64(t.bo.Uint32(e[8:])); at+size <= uint64(len(t.b)) {
			f.val = t.b[at : at+size]
		} else {
			continue
		}
		out = append(out, f)
	}
	return out
}

// u32 is a SHORT or LONG value.
func (t tiff) u32(f field) (uint32, bool) {
	switch {
	case f.typ == 3 && len(f.val) >= 2:
		return uint32(t.bo.Uint16(f.val)), true
	case f.typ == 4 && len(f.val) >= 4:
		return t.bo.Uint32(f.val), true
	}
	return 0, false
}

// parseTIFF reads EXIF data that starts with a TIFF header.
func parseTIFF(b []byte) meta {
	var m meta
	var t tiff
	switch {
	case len(b) < 8:
		return m
	case string(b[:4]) == "II*\x00":
		t = tiff{b, binary.LittleEndian}
	case string(b[:4]) == "MM\x00*":
		t = tiff{b, binary.BigEndian}
	default:
		return m
	}
	var exifAt, gpsAt uint32
	for _, f := range t.ifd(t.bo.Uint32(b[4:])) {
		switch f.tag {
		case tagOrientation:
			if v, ok := t.u32(f); ok && f.typ == 3 {
				m.orientation = int(v)
			}
		case tagMake:
			m.findings.CameraMake = clean(f.val)
		case tagModel:
			m.findings.CameraModel = clean(f.val)
		case tagSoftware:
			m.findings.Software = clean(f.val)
		case tagExifIFD:
			exifAt, _ = t.u32(f)
		case tagGPSIFD:
			gpsAt, _ = t.u32(f)
		}
	}
	m.findings.HasCameraMetadata = m.findings.CameraMake != "" || m.findings.CameraModel != ""
	if exifAt != 0 {
		m.findings.CapturedAt, m.findings.CaptureZoneKnown = captured(t, t.ifd(exifAt))
	}
	if gpsAt != 0 {
		for _, f := range t.ifd(gpsAt) {
			if f.tag == tagGPSLatitude || f.tag == tagGPSLongitude {
				m.findings.GPSRemoved = true
			}
		}
	}
	return m
}

// captured is the capture time from the Exif IFD: the original time, else
// the digitized one, with its offset when the camera wrote it.
func captured(t tiff, fields []field) (*time.Time, bool) {
	vals := map[uint16]string{}
	for _, f := range fields {
		if f.typ == 2 {
			vals[f.tag] = clean(f.val)
		}
	}
	for _, pair := range [][2]uint16{{tagDateTimeOriginal, tagOffsetOriginal}, {tagDateTimeDigitized, tagOffsetDigitized}} {
		at, err := time.Parse("2006:01:02 15:04:05", vals[pair[0]])
		if err != nil || at.Year() < 1970 {
			continue
		}
		known := false
		if off, err := time.Parse("-07:00", vals[pair[1]]); err == nil {
			_, secs := off.Zone()
			at = at.Add(-time.Duration(secs) * time.Second)
			known = true
		}
		return &at, known
	}
	return nil, false
}

// maxFindingLen bounds a metadata string shown to a reviewer.
const maxFindingLen = 64

// clean turns an EXIF ASCII value into a string safe to show: up to the
// first NUL, valid UTF-8, printable characters only (no control or
// direction-changing characters that could disguise it), trimmed and cut.
func clean(v []byte) string {
	if i := bytes.IndexByte(v, 0); i >= 0 {
		v = v[:i]
	}
	var sb strings.Builder
	n := 0
	for _, r := range strings.ToValidUTF8(string(v), "") {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			continue
		}
		if n++; n > maxFindingLen {
			break
		}
		sb.WriteRune(r)
	}
	return strings.TrimSpace(sb.String())
}
