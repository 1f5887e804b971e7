package screenshot

import (
	"bytes"
	"encoding/binary"
	"time"
)

// Camera is the metadata a phone's camera writes into a photo, which the
// upload pipeline reads before dropping it: a selfie without it is
// flagged, as one that may not come straight from a camera.
type Camera struct {
	Make, Model string
	// Software is the program that wrote the file ("" writes none).
	Software string
	// At is when the photo was taken; written in UTC with its offset.
	At time.Time
}

// WithCamera returns jpg (as JPEG encodes it: no EXIF of its own) with an
// EXIF segment carrying c right after the start-of-image marker, where a
// camera puts it.
func WithCamera(jpg []byte, c Camera) []byte {
	if len(jpg) < 2 || jpg[0] != 0xFF || jpg[1] != 0xD8 {
		return jpg
	}
	payload := append([]byte("Exif\x00\x00"), c.tiff()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	var b bytes.Buffer
	b.Write(jpg[:2])
	b.Write(seg)
	b.Write(payload)
	b.Write(jpg[2:])
	return b.Bytes()
}

// ifdEntry is one tag of an IFD; its value is ASCII (type 2) or a LONG
// (type 4) offset, filled in when laid out.
type ifdEntry struct {
	tag   uint16
	typ   uint16
	ascii string
	long  uint32
}

// tiff lays c out as little-endian TIFF: IFD0 with the make, model and
// software and a pointer to the Exif IFD, which holds the capture time.
func (c Camera) tiff() []byte {
	ifd0 := []ifdEntry{{tag: 0x010F, typ: 2, ascii: c.Make}, {tag: 0x0110, typ: 2, ascii: c.Model}}
	if c.Software != "" {
		ifd0 = append(ifd0, ifdEntry{tag: 0x0131, typ: 2, ascii: c.Software})
	}
	ifd0 = append(ifd0, ifdEntry{tag: 0x8769, typ: 4})
	exif := []ifdEntry{
		{tag: 0x9003, typ: 2, ascii: c.At.UTC().Format("2006:01:02 15:04:05")},
		{tag: 0x9011, typ: 2, ascii: "+00:00"},
	}
	out := []byte("II*\x00\x08\x00\x00\x00")
	exifAt := uint32(8 + ifdSize(ifd0))
	ifd0[len(ifd0)-1].long = exifAt
	out = appendIFD(out, ifd0)
	return appendIFD(out, exif)
}

// ifdSize is the bytes an IFD takes with its values.
func ifdSize(es []ifdEntry) int {
	n := 2 + 12*len(es) + 4
	for _, e := range es {
		if v := len(e.ascii) + 1; e.typ == 2 && v > 4 {
			n += v
		}
	}
	return n
}

// appendIFD appends the IFD es, starting at len(out), with its values after
// it and no next IFD.
func appendIFD(out []byte, es []ifdEntry) []byte {
	le := binary.LittleEndian
	data := uint32(len(out) + 2 + 12*len(es) + 4)
	var values []byte
	out = le.AppendUint16(out, uint16(len(es)))
	for _, e := range es {
		out = le.AppendUint16(out, e.tag)
		out = le.AppendUint16(out, e.typ)
		if e.typ == 4 {
			out = le.AppendUint32(out, 1)
			out = le.AppendUint32(out, e.long)
			continue
		}
		v := append([]byte(e.ascii), 0)
		out = le.AppendUint32(out, uint32(len(v)))
		if len(v) <= 4 {
			out = append(out, append(v, make([]byte, 4-len(v))...)...)
			continue
		}
		out = le.AppendUint32(out, data+uint32(len(values)))
		values = append(values, v...)
	}
	out = le.AppendUint32(out, 0)
	return append(out, values...)
}
