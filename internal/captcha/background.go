package captcha

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
)

// background paints a new picture for one challenge: a three-colour
// gradient at a random angle, a score of translucent shapes and per-pixel
// noise. Every challenge gets its own, so the clean picture under the gap is
// in no public set, and the shapes' edges give an edge detector looking for
// the gap's outline plenty of false leads.
func background(rng *rand.Rand, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	gradient(img, rng)
	for range 14 + rng.IntN(12) {
		paint(img, randomShape(rng, w, h), randomColor(rng, 70+uint8(rng.IntN(150))))
	}
	noise(img, rng, 12)
	return img
}

func randomColor(rng *rand.Rand, alpha uint8) color.NRGBA {
	return color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), alpha}
}

// gradient fills img with colours a → b → c along a random direction.
func gradient(img *image.RGBA, rng *rand.Rand) {
	stops := [3]color.NRGBA{randomColor(rng, 255), randomColor(rng, 255), randomColor(rng, 255)}
	angle := rng.Float64() * 2 * math.Pi
	cos, sin := math.Cos(angle), math.Sin(angle)
	b := img.Bounds()
	half := math.Hypot(float64(b.Dx()), float64(b.Dy())) / 2
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			// t runs from 0 to 2 across the picture.
			t := ((float64(x)-cx)*cos+(float64(y)-cy)*sin)/half + 1
			from, to := stops[0], stops[1]
			if t > 1 {
				from, to, t = stops[1], stops[2], t-1
			}
			img.SetRGBA(x, y, color.RGBA{mix(from.R, to.R, t), mix(from.G, to.G, t), mix(from.B, to.B, t), 255})
		}
	}
}

func mix(a, b uint8, t float64) uint8 {
	return uint8(math.Round(float64(a) + (float64(b)-float64(a))*min(max(t, 0), 1)))
}

// noise adds up to ±n to every channel of every pixel.
func noise(img *image.RGBA, rng *rand.Rand, n int) {
	for i := range img.Pix {
		if i%4 == 3 {
			continue // alpha
		}
		v := int(img.Pix[i]) + rng.IntN(2*n+1) - n
		img.Pix[i] = uint8(min(max(v, 0), 255))
	}
}

// region is a shape as an alpha mask: opaque inside, clear outside, so
// draw.DrawMask paints a colour through it.
type region struct {
	r  image.Rectangle
	in func(x, y float64) bool
}

func (m region) ColorModel() color.Model { return color.AlphaModel }
func (m region) Bounds() image.Rectangle { return m.r }
func (m region) At(x, y int) color.Color {
	if m.in(float64(x)+0.5, float64(y)+0.5) {
		return color.Alpha{A: 255}
	}
	return color.Alpha{}
}

func paint(img *image.RGBA, m region, c color.NRGBA) {
	r := m.r.Intersect(img.Bounds())
	draw.DrawMask(img, r, image.NewUniform(c), image.Point{}, m, r.Min, draw.Over)
}

// randomShape returns an ellipse, a ring, a rotated rectangle, a triangle
// or a wavy band, somewhere on (or partly off) a w×h picture.
func randomShape(rng *rand.Rand, w, h int) region {
	cx, cy := rng.Float64()*float64(w), rng.Float64()*float64(h)
	a, b := 8+rng.Float64()*60, 8+rng.Float64()*60
	angle := rng.Float64() * math.Pi
	cos, sin := math.Cos(angle), math.Sin(angle)
	// local turns a point into the shape's own rotated coordinates.
	local := func(x, y float64) (float64, float64) {
		dx, dy := x-cx, y-cy
		return dx*cos + dy*sin, -dx*sin + dy*cos
	}
	box := image.Rect(int(cx-a-b), int(cy-a-b), int(cx+a+b)+1, int(cy+a+b)+1)
	switch rng.IntN(5) {
	case 0:
		return region{box, func(x, y float64) bool { u, v := local(x, y); return u*u/(a*a)+v*v/(b*b) <= 1 }}
	case 1:
		inner := 0.4 + rng.Float64()*0.4
		return region{box, func(x, y float64) bool {
			d := math.Hypot(x-cx, y-cy)
			return d <= a && d >= a*inner
		}}
	case 2:
		return region{box, func(x, y float64) bool { u, v := local(x, y); return math.Abs(u) <= a && math.Abs(v) <= b/2 }}
	case 3:
		return region{box, func(x, y float64) bool {
			u, v := local(x, y)
			return v >= -b/2 && v <= b/2 && math.Abs(u) <= a*(b/2-v)/b
		}}
	}
	amp, freq, phase, thick := 4+rng.Float64()*20, 0.01+rng.Float64()*0.05, rng.Float64()*6, 3+rng.Float64()*10
	return region{image.Rect(0, int(cy-amp-thick), w, int(cy+amp+thick)+1), func(x, y float64) bool {
		return math.Abs(y-cy-amp*math.Sin(x*freq+phase)) <= thick
	}}
}
