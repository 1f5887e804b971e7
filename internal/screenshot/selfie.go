package screenshot

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"sync"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/f64"
	"golang.org/x/image/math/fixed"
)

// Statement is what a KYC user writes by hand and holds up in the selfie:
// the phrase, the application date and the reset's reference code.
type Statement struct {
	Phrase, Date, Reference string
}

// Selfie draws a stand-in for the photo a KYC user sends: a drawn head and
// shoulders, an ID card held up in one hand and a sheet in front with st
// written by hand. It is a placeholder, not a likeness: the demo's queue
// needs a picture with the statement on it, and no real face belongs in
// demo data. The style's size applies (800 × 1000 when unset); its seed
// draws the colours and the hand's wobble.
func Selfie(st Statement, s Style) *image.RGBA {
	w, h := s.Width, s.Height
	if w <= 0 || h <= 0 {
		w, h = 800, 1000
	}
	rng := s.rng()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	p := palette(rng)
	f := frameOf(s, w, h)
	wall(img, p.wall)
	person(img, p, f)
	idCard(img, p, f, rng)
	fillRect(img, f.sheet, p.paper)
	write(img, f.sheet, st, p.ink, rng)
	for _, x := range []int{f.sheet.Min.X, f.sheet.Max.X} { // the hands holding the sheet
		ellipse(img, float64(x), float64(f.sheet.Max.Y-f.sheet.Dy()/5), float64(w)*0.04, float64(h)*0.045, p.skin)
	}
	noise := s.Noise
	if noise == 0 {
		noise = 0.08 // a phone camera's grain
	}
	// Grain on a stream of its own, so that what is written on the sheet
	// changes nothing off it.
	addNoise(img, noise, rand.New(rand.NewPCG(s.Seed, 0x9a1e)))
	return img
}

// colours of one selfie.
type colours struct {
	wall, skin, hair, shirt, card, paper, ink color.RGBA
}

func palette(rng *rand.Rand) colours {
	return colours{
		wall:  pick(rng, rgb(0xd8d2c4), rgb(0xc9d3dc), rgb(0xe6e0d6), rgb(0xb9c4b0)),
		skin:  pick(rng, rgb(0xe0b394), rgb(0xc68c63), rgb(0x8d5a3b), rgb(0xf1c9a5), rgb(0x5c3a26)),
		hair:  pick(rng, rgb(0x2b1d14), rgb(0x4a3222), rgb(0x151515), rgb(0x7a5a3a)),
		shirt: pick(rng, rgb(0x2f4a6d), rgb(0x6d2f3a), rgb(0x3f5d3a), rgb(0x505050), rgb(0xc8a24a)),
		card:  pick(rng, rgb(0xcfe3f2), rgb(0xe8dcc0), rgb(0xd6ead3)),
		paper: rgb(0xfbfaf5),
		ink:   pick(rng, rgb(0x1b2a8c), rgb(0x14182b), rgb(0x1f3f9f)),
	}
}

// wall fills img with c, lit from the top.
func wall(img *image.RGBA, c color.RGBA) {
	h := img.Bounds().Dy()
	for y := range h {
		f := 1.05 - 0.2*float64(y)/float64(h)
		row := color.RGBA{clamp(float64(c.R) * f), clamp(float64(c.G) * f), clamp(float64(c.B) * f), 255}
		fillRect(img, image.Rect(0, y, img.Bounds().Dx(), y+1), row)
	}
}

// framing is how the camera caught the scene: where the head is and how
// big, which hand holds the card, where the sheet is. Real selfies are
// each framed their own way; drawn all alike, different people's would
// look alike to the perceptual hash that finds a photo reused.
type framing struct {
	cx, cy, scale float64 // the head's centre, in fractions of the picture, and its size
	cardLeft      bool
	sheet         image.Rectangle
}

// frameOf draws the framing from the style's seed, on a stream of its own.
func frameOf(s Style, w, h int) framing {
	rng := rand.New(rand.NewPCG(s.Seed, 0x5e1f1e))
	f := framing{cx: 0.5 + 0.16*(rng.Float64()-0.5), cy: 0.25 + 0.06*(rng.Float64()-0.5), scale: 0.88 + 0.24*rng.Float64(), cardLeft: rng.IntN(2) == 0}
	sw := 0.72 + 0.14*rng.Float64()
	x0, y0 := 0.04+(0.92-sw)*rng.Float64(), 0.56+0.08*rng.Float64()
	f.sheet = image.Rect(int(float64(w)*x0), int(float64(h)*y0), int(float64(w)*(x0+sw)), int(float64(h)*(y0+0.31)))
	return f
}

// person draws the head and shoulders: hair, face, eyes, neck and a shirt.
func person(img *image.RGBA, p colours, f framing) {
	w, h := float64(img.Bounds().Dx()), float64(img.Bounds().Dy())
	cx, cy, k := w*f.cx, h*f.cy, f.scale
	ellipse(img, cx, cy+h*0.47*k, w*0.42*k, h*0.3*k, p.shirt)
	fillRect(img, image.Rect(int(cx-w*0.06*k), int(cy), int(cx+w*0.06*k), int(cy+h*0.2*k)), p.skin)
	ellipse(img, cx, cy-h*0.03*k, w*0.15*k, h*0.14*k, p.hair)
	ellipse(img, cx, cy+h*0.01*k, w*0.13*k, h*0.13*k, p.skin)
	for _, dx := range []float64{-0.05, 0.05} {
		ellipse(img, cx+w*dx*k, cy-h*0.005*k, w*0.012*k, h*0.008*k, rgb(0x222222))
	}
	mouth := darker(p.skin, 0.6)
	for x := -w * 0.035 * k; x <= w*0.035*k; x++ {
		y := cy + h*0.06*k - (x*x)/(w*0.2*k) // a smile: the corners higher
		ellipse(img, cx+x, y, 1.5, 1.5, mouth)
	}
}

// idCard draws an ID card held up beside the face: a photo box, a few
// lines of print (bars: the card's words are not what the picture is
// about) and the thumb that holds it.
func idCard(img *image.RGBA, p colours, f framing, rng *rand.Rand) {
	w, h := float64(img.Bounds().Dx()), float64(img.Bounds().Dy())
	cw, ch := w*0.3*f.scale, w*0.19*f.scale
	x0 := w*f.cx + w*0.17*f.scale
	if f.cardLeft {
		x0 = w*f.cx - w*0.17*f.scale - cw
	}
	x0 = min(max(x0, w*0.02), w*0.98-cw)
	y0 := h * (f.cy + 0.11*f.scale)
	r := image.Rect(int(x0), int(y0), int(x0+cw), int(y0+ch))
	fillRect(img, r, p.card)
	fillRect(img, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+r.Dy()/6), darker(p.card, 0.7))
	photo := image.Rect(r.Min.X+r.Dx()/16, r.Min.Y+r.Dy()/4, r.Min.X+r.Dx()*5/16, r.Max.Y-r.Dy()/8)
	fillRect(img, photo, darker(p.card, 0.8))
	ellipse(img, float64(photo.Min.X+photo.Dx()/2), float64(photo.Min.Y+photo.Dy()*2/5), float64(photo.Dx())/4, float64(photo.Dy())/4, p.skin)
	for i := range 4 {
		y := r.Min.Y + r.Dy()*(9+4*i)/28
		x1 := r.Max.X - r.Dx()/16 - rng.IntN(r.Dx()/5)
		fillRect(img, image.Rect(r.Min.X+r.Dx()*3/8, y, x1, y+max(2, r.Dy()/30)), darker(p.card, 0.55))
	}
	ellipse(img, float64(r.Min.X+r.Dx()/2), float64(r.Max.Y), w*0.035, h*0.03, p.skin)
}

// write writes st on sheet by hand: the phrase, the date and the reference
// code on lines of their own, each glyph nudged, turned and sized a little
// differently, the baseline wandering, then the reference underlined and a
// signature scribbled, in ink.
func write(img *image.RGBA, sheet image.Rectangle, st Statement, ink color.RGBA, rng *rand.Rand) {
	lines := []string{st.Phrase, st.Date, st.Reference}
	longest := 0
	for _, l := range lines {
		longest = max(longest, len(l))
	}
	margin := float64(sheet.Dx()) * 0.06 // clear of the hands at the sides
	px := min((float64(sheet.Dx())-2*margin)/(0.52*float64(max(longest, 1))), float64(sheet.Dy())/5)
	face := handFace(px)
	defer face.Close()
	step := float64(sheet.Dy()) / 4.2
	for i, l := range lines {
		x := float64(sheet.Min.X) + margin + rng.Float64()*px*0.4
		y := float64(sheet.Min.Y) + step*(float64(i)+1)
		end := handLine(img, face, l, x, y, px, ink, rng)
		if i == 2 {
			underline(img, x, end, y+px*0.22, px, ink, rng)
		}
	}
	signature(img, float64(sheet.Max.X)-margin-px*4.5, float64(sheet.Max.Y)-step*0.3, px, ink, rng)
}

// handFont is Go Italic, parsed once: the nearest of the bundled fonts to
// a hand's slant, made less regular by write's jitter.
var handFont = sync.OnceValue(func() *opentype.Font {
	f, err := opentype.Parse(goitalic.TTF)
	if err != nil {
		panic("screenshot: bundled font: " + err.Error())
	}
	return f
})

func handFace(px float64) font.Face {
	f, err := opentype.NewFace(handFont(), &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		panic("screenshot: face: " + err.Error())
	}
	return f
}

// handLine writes s with its baseline near y from x and returns the x
// after it.
func handLine(img *image.RGBA, face font.Face, s string, x, y, px float64, ink color.RGBA, rng *rand.Rand) float64 {
	phase, slope := rng.Float64()*2*math.Pi, (rng.Float64()-0.5)*0.04
	x0 := x
	for _, r := range s {
		adv, ok := face.GlyphAdvance(r)
		if !ok {
			continue
		}
		wobble := math.Sin(x/px*0.9+phase)*px*0.07 + (rng.Float64()-0.5)*px*0.1 + slope*(x-x0)
		glyph(img, face, r, x, y+wobble, (rng.Float64()-0.5)*0.24, 0.9+rng.Float64()*0.2, ink, rng)
		x += float64(adv)/64*(0.95+rng.Float64()*0.12) + px*0.02
	}
	return x
}

// glyph draws r at (x, y) turned by angle (radians) and scaled by scale
// about its middle, in ink whose strength varies as a pen's pressure does.
func glyph(img *image.RGBA, face font.Face, r rune, x, y, angle, scale float64, ink color.RGBA, rng *rand.Rand) {
	dr, mask, mp, _, ok := face.Glyph(fixed.P(0, 0), r)
	if !ok || dr.Empty() {
		return
	}
	src := image.NewRGBA(image.Rect(0, 0, dr.Dx(), dr.Dy()))
	strength := 0.8 + 0.2*rng.Float64()
	for py := range dr.Dy() {
		for px := range dr.Dx() {
			_, _, _, a := mask.At(mp.X+px, mp.Y+py).RGBA()
			f := float64(a) / 0xffff * strength
			src.SetRGBA(px, py, color.RGBA{uint8(float64(ink.R) * f), uint8(float64(ink.G) * f), uint8(float64(ink.B) * f), uint8(255 * f)})
		}
	}
	// Map the glyph's middle to where the pen put it: translate, rotate
	// and scale about that point.
	cx, cy := float64(dr.Dx())/2, float64(dr.Dy())/2
	tx, ty := x+float64(dr.Min.X)+cx, y+float64(dr.Min.Y)+cy
	cos, sin := math.Cos(angle)*scale, math.Sin(angle)*scale
	m := f64.Aff3{cos, -sin, tx - cos*cx + sin*cy, sin, cos, ty - sin*cx - cos*cy}
	xdraw.BiLinear.Transform(img, m, src, src.Bounds(), xdraw.Over, nil)
}

// underline draws a pen stroke under a line from x0 to x1, wavering.
func underline(img *image.RGBA, x0, x1, y, px float64, ink color.RGBA, rng *rand.Rand) {
	var pts [][2]float64
	for x := x0; x <= x1; x += px / 3 {
		pts = append(pts, [2]float64{x, y + (rng.Float64()-0.5)*px*0.08})
	}
	stroke(img, pts, px*0.035, ink)
}

// signature scribbles loops from (x, y), as a pen signs.
func signature(img *image.RGBA, x, y, px float64, ink color.RGBA, rng *rand.Rand) {
	var pts [][2]float64
	loops := 2 + rng.IntN(3) // each loop moves on by px
	for t := 0.0; t <= float64(loops)*2*math.Pi; t += 0.15 {
		pts = append(pts, [2]float64{x + t*px*0.5/math.Pi + math.Sin(t)*px*0.3, y - math.Abs(math.Cos(t/2))*px*0.6})
	}
	stroke(img, pts, px*0.03, ink)
}

// stroke draws a polyline of width 2·r by stamping discs along it.
func stroke(img *image.RGBA, pts [][2]float64, r float64, ink color.RGBA) {
	r = max(r, 1)
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		n := int(math.Hypot(b[0]-a[0], b[1]-a[1])/(r/2)) + 1
		for k := range n {
			f := float64(k) / float64(n)
			ellipse(img, a[0]+(b[0]-a[0])*f, a[1]+(b[1]-a[1])*f, r, r, ink)
		}
	}
}

// ellipse fills the ellipse about (cx, cy) with radii rx, ry.
func ellipse(img *image.RGBA, cx, cy, rx, ry float64, c color.RGBA) {
	b := img.Bounds().Intersect(image.Rect(int(cx-rx)-1, int(cy-ry)-1, int(cx+rx)+2, int(cy+ry)+2))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dx, dy := (float64(x)+0.5-cx)/rx, (float64(y)+0.5-cy)/ry
			if dx*dx+dy*dy <= 1 {
				img.SetRGBA(x, y, c)
			}
		}
	}
}

func fillRect(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

func darker(c color.RGBA, f float64) color.RGBA {
	return color.RGBA{uint8(float64(c.R) * f), uint8(float64(c.G) * f), uint8(float64(c.B) * f), 255}
}
