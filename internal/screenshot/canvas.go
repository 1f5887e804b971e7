package screenshot

import (
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// family is one of the bundled Go fonts.
type family int

const (
	regular family = iota
	bold
	medium
	mono
)

// fonts are parsed once; a parsed font is safe to share, a face is not, so
// each canvas makes its own faces.
var fonts = sync.OnceValue(func() [4]*opentype.Font {
	var out [4]*opentype.Font
	for i, ttf := range [][]byte{goregular.TTF, gobold.TTF, gomedium.TTF, gomono.TTF} {
		f, err := opentype.Parse(ttf)
		if err != nil {
			panic("screenshot: bundled font: " + err.Error())
		}
		out[i] = f
	}
	return out
})

type faceKey struct {
	f  family
	px int
}

// canvas draws a page top to bottom: a cursor y moves down as lines are
// written between the margins x0 and x1.
type canvas struct {
	img    *image.RGBA
	th     theme
	rng    *rand.Rand
	x0, x1 int
	y      int
	unit   int // body text size, pixels per em
	faces  map[faceKey]font.Face
}

func newCanvas(w, h int, th theme, unit int, rng *rand.Rand) *canvas {
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, w, h)), th: th, rng: rng, unit: unit, faces: map[faceKey]font.Face{}}
	c.x0, c.x1 = unit, w-unit
	th.paint(c.img)
	return c
}

func (c *canvas) face(f family, px int) font.Face {
	k := faceKey{f, max(px, 6)}
	if fc, ok := c.faces[k]; ok {
		return fc
	}
	fc, err := opentype.NewFace(fonts()[f], &opentype.FaceOptions{Size: float64(k.px), DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic("screenshot: face: " + err.Error())
	}
	c.faces[k] = fc
	return fc
}

// width is how many pixels s takes in f at px.
func (c *canvas) width(f family, px int, s string) int {
	return font.MeasureString(c.face(f, px), s).Ceil()
}

// text draws s with its baseline at y, from x; it returns the x after it.
func (c *canvas) text(f family, px int, col color.Color, x, y int, s string) int {
	d := font.Drawer{Dst: c.img, Src: image.NewUniform(col), Face: c.face(f, px), Dot: fixed.P(x, y)}
	d.DrawString(s)
	return d.Dot.X.Ceil()
}

// lineHeight is the distance between baselines of text at px.
func lineHeight(px int) int { return px * 3 / 2 }

// line writes s at the cursor and moves it down one line.
func (c *canvas) line(f family, px int, col color.Color, s string) {
	c.y += lineHeight(px)
	c.text(f, px, col, c.x0, c.y, s)
}

// wrap writes s from x to the right margin, breaking between words, or
// inside a word too long for a line (a TXID), as apps do; the cursor ends
// on the last line written.
func (c *canvas) wrap(f family, px int, col color.Color, x int, s string) {
	for i, part := range c.pieces(f, px, c.x1-x, s) {
		if i > 0 {
			c.y += lineHeight(px)
		}
		c.text(f, px, col, x, c.y, part)
	}
}

// pieces breaks s into lines at most w pixels wide.
func (c *canvas) pieces(f family, px, w int, s string) []string {
	var out []string
	cur := ""
	for _, word := range strings.Fields(s) {
		next := strings.TrimSpace(cur + " " + word)
		if c.width(f, px, next) <= w {
			cur = next
			continue
		}
		if cur != "" {
			out = append(out, cur)
		}
		cur = word
		for c.width(f, px, cur) > w && len(cur) > 1 {
			n := len(cur) - 1
			for n > 1 && c.width(f, px, cur[:n]) > w {
				n--
			}
			out = append(out, cur[:n])
			cur = cur[n:]
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// row writes a label and its value: on one line with the value at the
// right when it fits, else the value wrapped under the label.
func (c *canvas) row(label, value string, valueFont family) {
	px := c.unit
	c.y += lineHeight(px)
	c.text(regular, px, c.th.muted, c.x0, c.y, label)
	lw := c.width(regular, px, label) + px
	vw := c.width(valueFont, px, value)
	switch {
	case c.x0+lw+vw <= c.x1:
		c.text(valueFont, px, c.th.fg, c.x1-vw, c.y, value)
	default:
		c.y += lineHeight(px)
		c.wrap(valueFont, px, c.th.fg, c.x0, value)
	}
	c.y += px / 3
}

// fill paints r in col.
func (c *canvas) fill(r image.Rectangle, col color.Color) {
	draw.Draw(c.img, r, image.NewUniform(col), image.Point{}, draw.Src)
}

// rule draws a thin separator under the cursor and moves past it.
func (c *canvas) rule() {
	c.y += c.unit / 2
	c.fill(image.Rect(c.x0, c.y, c.x1, c.y+max(1, c.unit/16)), c.th.line)
	c.y += c.unit / 3
}

// bar paints a band across the page of height h at the cursor, in col.
func (c *canvas) bar(h int, col color.Color) image.Rectangle {
	r := image.Rect(0, c.y, c.img.Bounds().Dx(), c.y+h)
	c.fill(r, col)
	return r
}

// gap moves the cursor down by n body lines.
func (c *canvas) gap(n float64) { c.y += int(n * float64(c.unit)) }
