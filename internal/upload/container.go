package upload

import (
	"bytes"
	"encoding/binary"
)

// readMeta finds the EXIF data in the container of the sniffed kind (a
// JPEG APP1 segment, a PNG eXIf chunk, a WebP EXIF chunk) and reads it. A
// PNG's tEXt "Software" entry stands in for EXIF's when EXIF has none:
// editors write it there.
func readMeta(k kind, data []byte) meta {
	switch k {
	case kindJPEG:
		return parseTIFF(jpegExif(data))
	case kindPNG:
		exif, software := pngMeta(data)
		m := parseTIFF(exif)
		if m.findings.Software == "" {
			m.findings.Software = clean(software)
		}
		return m
	default:
		return parseTIFF(webpExif(data))
	}
}

var exifPrefix = []byte("Exif\x00\x00")

// jpegExif returns the TIFF data of the first EXIF APP1 segment before the
// image data.
func jpegExif(b []byte) []byte {
	i := 2 // after SOI
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return nil
		}
		marker := b[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0x01 || marker >= 0xD0 && marker <= 0xD8: // no length
			i += 2
			continue
		case marker == 0xD9 || marker == 0xDA: // end of image, start of scan
			return nil
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return nil
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && bytes.HasPrefix(seg, exifPrefix) {
			return seg[len(exifPrefix):]
		}
		i += 2 + n
	}
	return nil
}

// pngMeta returns the eXIf chunk and the text of a tEXt "Software" entry.
func pngMeta(b []byte) (exif, software []byte) {
	for i := len(magicPNG); i+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		if n < 0 || n > len(b)-i-12 {
			break
		}
		typ, data := string(b[i+4:i+8]), b[i+8:i+8+n]
		switch typ {
		case "eXIf":
			if exif == nil {
				exif = bytes.TrimPrefix(data, exifPrefix)
			}
		case "tEXt":
			if v, ok := bytes.CutPrefix(data, []byte("Software\x00")); ok && software == nil {
				software = v
			}
		case "IEND":
			return exif, software
		}
		i += 12 + n
	}
	return exif, software
}

// webpExif returns the data of a WebP's EXIF chunk.
func webpExif(b []byte) []byte {
	for i := 12; i+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if n < 0 || n > len(b)-i-8 {
			break
		}
		if string(b[i:i+4]) == "EXIF" {
			return bytes.TrimPrefix(b[i+8:i+8+n], exifPrefix)
		}
		i += 8 + n + n&1
	}
	return nil
}

// animatedWebP reports a WebP whose VP8X header says it is animated: the
// decoder reads still pictures only, and would call it broken.
func animatedWebP(b []byte) bool {
	return len(b) >= 21 && string(b[12:16]) == "VP8X" && b[20]&0x02 != 0
}
