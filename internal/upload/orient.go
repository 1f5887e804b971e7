package upload

import (
	"image"
	"image/color"
	"image/draw"
)

// walk says, for one EXIF orientation, where the upright picture's pixels
// come from in the stored one: the source pixel of the upright picture's
// top-left corner, and how the source point moves for a step right (dx) and
// a step down (dy) in the upright picture. swap is true when the upright
// picture is the stored one turned a quarter (width and height swap).
// Orientation n is what EXIF 2.32 §4.6.4 calls it: 6 means the stored top
// row is the right side, so the picture is turned 90° clockwise to show it.
type walk struct {
	swap               bool
	startX, startY     int // 0 = first, 1 = last column or row
	dxX, dxY, dyX, dyY int
}

var walks = [9]walk{
	2: {false, 1, 0, -1, 0, 0, 1},  // mirrored left-right
	3: {false, 1, 1, -1, 0, 0, -1}, // turned 180°
	4: {false, 0, 1, 1, 0, 0, -1},  // mirrored top-bottom
	5: {true, 0, 0, 0, 1, 1, 0},    // mirrored along the main diagonal
	6: {true, 0, 1, 0, -1, 1, 0},   // turn 90° clockwise
	7: {true, 1, 1, 0, -1, -1, 0},  // mirrored along the other diagonal
	8: {true, 1, 0, 0, 1, -1, 0},   // turn 90° anticlockwise
}

// upright returns img turned by its EXIF orientation; 1, 0 and values out
// of range leave it as it is. The result is RGBA, or NRGBA when alpha
// matters (lossless output), so the encoders take their fast paths.
func upright(img image.Image, orientation int, alpha bool) image.Image {
	if orientation < 2 || orientation > 8 {
		return img
	}
	w := walks[orientation]
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dw, dh := sw, sh
	if w.swap {
		dw, dh = sh, sw
	}
	var dst image.Image
	var pix []uint8
	var stride int
	if alpha {
		d := image.NewNRGBA(image.Rect(0, 0, dw, dh))
		dst, pix, stride = d, d.Pix, d.Stride
	} else {
		d := image.NewRGBA(image.Rect(0, 0, dw, dh))
		dst, pix, stride = d, d.Pix, d.Stride
	}
	// Source points are relative to the source's top-left corner.
	x0, y0 := w.startX*(sw-1), w.startY*(sh-1)
	if src, ok := img.(*image.YCbCr); ok {
		// A JPEG's own layout: convert each pixel as it moves, without
		// an intermediate copy.
		for dy := 0; dy < dh; dy++ {
			sx, sy := b.Min.X+x0+dy*w.dyX, b.Min.Y+y0+dy*w.dyY
			row := pix[dy*stride : dy*stride+4*dw]
			for i := 0; i < len(row); i += 4 {
				yi, ci := src.YOffset(sx, sy), src.COffset(sx, sy)
				row[i], row[i+1], row[i+2] = color.YCbCrToRGB(src.Y[yi], src.Cb[ci], src.Cr[ci])
				row[i+3] = 0xFF
				sx, sy = sx+w.dxX, sy+w.dxY
			}
		}
		return dst
	}
	// Any other layout is brought to the destination's 4-byte layout
	// first, with draw's fast paths, and then its pixels are moved.
	spix, sstride := flatten(img, alpha)
	for dy := 0; dy < dh; dy++ {
		sx, sy := x0+dy*w.dyX, y0+dy*w.dyY
		row := pix[dy*stride : dy*stride+4*dw]
		for i := 0; i < len(row); i += 4 {
			copy(row[i:i+4], spix[sy*sstride+4*sx:])
			sx, sy = sx+w.dxX, sy+w.dxY
		}
	}
	return dst
}

// flatten returns img's pixels as 4 bytes each (RGBA, or NRGBA with
// alpha), indexed from its top-left corner.
func flatten(img image.Image, alpha bool) (pix []uint8, stride int) {
	b := img.Bounds()
	if alpha {
		if m, ok := img.(*image.NRGBA); ok {
			return m.Pix, m.Stride
		}
		m := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(m, m.Bounds(), img, b.Min, draw.Src)
		return m.Pix, m.Stride
	}
	if m, ok := img.(*image.RGBA); ok {
		return m.Pix, m.Stride
	}
	m := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(m, m.Bounds(), img, b.Min, draw.Src)
	return m.Pix, m.Stride
}
