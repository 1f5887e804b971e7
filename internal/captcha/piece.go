package captcha

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"github.com/wenlng/go-captcha/v2/slide"
)

// tileSize is the side of the piece images drawn here; the library scales
// them down (bilinear, which smooths their edges) to the piece's size.
const tileSize = 128

// jigsaw is a puzzle-piece outline in a tileSize square: a square body
// with, on each side, a round knob that sticks out, a hole that bites in,
// or nothing.
type jigsaw struct {
	knobs  [4]int        // top, right, bottom, left: +1 out, -1 in, 0 flat
	shift  [4]float64    // each knob's offset along its side
	radius float64       // knob radius; also the margin around the body
	body   [2]float64    // the body spans body[0]..body[1] on both axes
	centre [4][2]float64 // knob centres, filled by newJigsaw
}

// newJigsaw draws a piece at random; at least one side has a knob or hole
// so the outline is not a plain square.
func newJigsaw(rng *rand.Rand) jigsaw {
	j := jigsaw{radius: tileSize * (0.13 + rng.Float64()*0.04)}
	for j.knobs == [4]int{} {
		for i := range j.knobs {
			j.knobs[i] = rng.IntN(3) - 1
			j.shift[i] = (rng.Float64() - 0.5) * tileSize * 0.16
		}
	}
	j.body = [2]float64{j.radius, tileSize - j.radius}
	mid := tileSize / 2.0
	lo, hi := j.body[0], j.body[1]
	j.centre = [4][2]float64{
		{mid + j.shift[0], lo}, {hi, mid + j.shift[1]},
		{mid + j.shift[2], hi}, {lo, mid + j.shift[3]},
	}
	return j
}

// in reports whether a point of the tile is inside the piece.
func (j jigsaw) in(x, y float64) bool {
	inBody := x >= j.body[0] && x <= j.body[1] && y >= j.body[0] && y <= j.body[1]
	for i, k := range j.knobs {
		inKnob := math.Hypot(x-j.centre[i][0], y-j.centre[i][1]) <= j.radius*0.9
		switch {
		case k > 0 && inKnob:
			return true
		case k < 0 && inKnob:
			inBody = false
		}
	}
	return inBody
}

// edge reports whether an inside point is within w pixels of the outline.
func (j jigsaw) edge(x, y, w float64) bool {
	for _, d := range [][2]float64{{w, 0}, {-w, 0}, {0, w}, {0, -w}, {w * 0.7, w * 0.7}, {-w * 0.7, w * 0.7}, {w * 0.7, -w * 0.7}, {-w * 0.7, -w * 0.7}} {
		if !j.in(x+d[0], y+d[1]) {
			return true
		}
	}
	return false
}

// graph returns the three images the library wants for a piece: the mask
// that cuts the piece out of the background, the shadow it darkens the gap
// with, and the overlay it draws over the cut piece (here a light outline
// that makes the piece stand out).
func (j jigsaw) graph() *slide.GraphImage {
	r := image.Rect(0, 0, tileSize, tileSize)
	mask, shadow, overlay := image.NewNRGBA(r), image.NewNRGBA(r), image.NewNRGBA(r)
	for y := range tileSize {
		for x := range tileSize {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			if !j.in(fx, fy) {
				continue
			}
			mask.SetNRGBA(x, y, color.NRGBA{255, 255, 255, 255})
			if j.edge(fx, fy, 5) {
				shadow.SetNRGBA(x, y, color.NRGBA{255, 255, 255, 170})
				overlay.SetNRGBA(x, y, color.NRGBA{255, 255, 255, 200})
			} else {
				shadow.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 150})
			}
		}
	}
	return &slide.GraphImage{OverlayImage: overlay, ShadowImage: shadow, MaskImage: mask}
}
