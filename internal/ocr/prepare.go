package ocr

import (
	"fmt"
	"image"
	"math"

	"golang.org/x/image/draw"
)

// Prepare turns img into what the reader reads best: grey levels; dark
// text on a light ground (a dark theme's page is inverted, since the
// reader's models are trained on dark ink); scaled by scale (1 when 0 or
// less), with cubic interpolation so enlarged strokes stay smooth; and at
// most MaxPixels.
func Prepare(img image.Image, scale float64) *image.Gray {
	b := img.Bounds()
	g := grey(img)
	var sum uint64
	for _, v := range g.Pix {
		sum += uint64(v)
	}
	if n := uint64(len(g.Pix)); n > 0 && sum/n < 128 {
		for i, v := range g.Pix {
			g.Pix[i] = 255 - v
		}
	}
	if scale <= 0 {
		scale = 1
	}
	if px := float64(b.Dx()) * float64(b.Dy()) * scale * scale; px > MaxPixels {
		scale *= math.Sqrt(MaxPixels / px)
	}
	w, h := int(float64(b.Dx())*scale), int(float64(b.Dy())*scale)
	if scale == 1 || w < 1 || h < 1 {
		return g
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(out, out.Bounds(), g, g.Bounds(), draw.Src, nil)
	return out
}

// encodePNM writes g as a binary PGM (P5), which the reader takes on
// stdin and which needs no encoder.
func encodePNM(g *image.Gray) []byte {
	w, h := g.Bounds().Dx(), g.Bounds().Dy()
	head := fmt.Sprintf("P5\n%d %d\n255\n", w, h)
	out := make([]byte, 0, len(head)+w*h)
	out = append(out, head...)
	for y := range h {
		out = append(out, g.Pix[y*g.Stride:y*g.Stride+w]...)
	}
	return out
}

// grey returns img's grey levels, from the luma plane directly for a
// decoded JPEG (the common case) and through the colour model otherwise.
func grey(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	if yc, ok := img.(*image.YCbCr); ok {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			i := yc.YOffset(b.Min.X, y)
			copy(g.Pix[(y-b.Min.Y)*g.Stride:], yc.Y[i:i+b.Dx()])
		}
		return g
	}
	draw.Draw(g, g.Bounds(), img, b.Min, draw.Src)
	return g
}
