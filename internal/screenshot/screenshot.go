// Package screenshot draws pictures like the ones users send as evidence:
// an email notification from the exchange (signup, login, deposit,
// withdrawal) opened in a mail app, a transaction's page in the wallet or
// exchange on the other side of a transfer, and the two kinds the help
// center refuses, a mailbox's list of messages and a block explorer's
// page. Text is set in the bundled Go fonts at several sizes, on light and
// dark themes, optionally with noise; the same seed draws the same
// picture. The OCR findings are measured on these pictures, and the demo
// data submits them, with a drawn stand-in for a KYC user's selfie that
// holds the handwritten statement (Selfie), marked with a camera's
// metadata as a phone's photo is (WithCamera).
package screenshot

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"time"
)

// Transfer is the transaction a screenshot shows.
type Transfer struct {
	// Direction is the exchange's view: "deposit" (the other side sent the
	// funds, its screen says so) or "withdrawal" (the other side received
	// them).
	Direction     string
	Coin, Network string
	Amount        string
	Address       string // where the funds went
	TXID          string
	At            time.Time
}

// Style is how a screenshot looks. Vary draws one.
type Style struct {
	Seed          uint64 // draws the words, names and noise
	Width, Height int    // pixels
	Text          int    // body text size, pixels per em
	Theme         int    // index into the themes; out of range wraps
	Noise         float64
	// MonoIDs sets TXIDs and addresses in Go Mono, as many apps do.
	MonoIDs bool
}

// device is a screen size and the body text size apps use on it.
type device struct{ w, h, text int }

var devices = []device{
	{1080, 2340, 40}, {828, 1792, 30}, {720, 1560, 26}, {1170, 2532, 42}, // phones
	{1280, 800, 16}, {1440, 900, 17}, {1920, 1080, 18}, {1024, 768, 15}, // desktops
	{900, 1200, 20}, // a crop of a desktop window
}

// Vary draws a style from seed: a device, a text size within a fifth of
// the device's usual one, a theme, noise in one picture of three, and mono
// identifiers in one of two.
func Vary(seed uint64) Style {
	rng := rand.New(rand.NewPCG(seed, 0x5c7ee4))
	d := devices[rng.IntN(len(devices))]
	s := Style{Seed: seed, Width: d.w, Height: d.h, Theme: rng.IntN(len(themes)), MonoIDs: rng.IntN(2) == 0}
	s.Text = d.text * (90 + rng.IntN(31)) / 100
	if rng.IntN(3) == 0 {
		s.Noise = 0.2 + 0.6*rng.Float64()
	}
	return s
}

// JPEGQuality draws a JPEG quality from seed, as phones and apps save
// screenshots: mostly high, sometimes as low as 55.
func JPEGQuality(seed uint64) int {
	return []int{55, 65, 75, 85, 92, 95}[rand.New(rand.NewPCG(seed, 0x9ea)).IntN(6)]
}

func (s Style) rng() *rand.Rand { return rand.New(rand.NewPCG(s.Seed, 0x5c7ee5)) }

func (s Style) canvas() *canvas {
	w, h, t := s.Width, s.Height, s.Text
	if w <= 0 || h <= 0 {
		w, h = 1080, 2340
	}
	if t <= 0 {
		t = max(12, w/27)
	}
	th := themes[((s.Theme%len(themes))+len(themes))%len(themes)]
	return newCanvas(w, h, th, t, s.rng())
}

// finish adds the style's noise.
func (s Style) finish(c *canvas) *image.RGBA {
	if s.Noise > 0 {
		addNoise(c.img, s.Noise, c.rng)
	}
	return c.img
}

// theme is a page's colours and background.
type theme struct {
	bg, fg, muted, accent, line, card color.RGBA
	gradient                          bool // bg fades to card down the page
}

func rgb(v uint32) color.RGBA { return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255} }

var themes = []theme{
	{bg: rgb(0xffffff), fg: rgb(0x1f1f1f), muted: rgb(0x70757a), accent: rgb(0x1a73e8), line: rgb(0xe0e0e0), card: rgb(0xf5f5f5)},
	{bg: rgb(0x121212), fg: rgb(0xeaeaea), muted: rgb(0x9aa0a6), accent: rgb(0x8ab4f8), line: rgb(0x3c4043), card: rgb(0x1e1e1e)},
	{bg: rgb(0xf4f6fa), fg: rgb(0x14213d), muted: rgb(0x5c677d), accent: rgb(0x0b8457), line: rgb(0xd5dae3), card: rgb(0xffffff), gradient: true},
	{bg: rgb(0x0b1426), fg: rgb(0xf1f5f9), muted: rgb(0x94a3b8), accent: rgb(0xf0b90b), line: rgb(0x1e293b), card: rgb(0x111c33)},
	{bg: rgb(0xfbf7ef), fg: rgb(0x2b2b2b), muted: rgb(0x6d6a63), accent: rgb(0xc2410c), line: rgb(0xe7e0d2), card: rgb(0xf3ede1)},
}

// paint fills img with the theme's background.
func (t theme) paint(img *image.RGBA) {
	b := img.Bounds()
	if !t.gradient {
		draw.Draw(img, b, image.NewUniform(t.bg), image.Point{}, draw.Src)
		return
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		f := float64(y-b.Min.Y) / float64(max(1, b.Dy()))
		c := color.RGBA{mix(t.bg.R, t.card.R, f), mix(t.bg.G, t.card.G, f), mix(t.bg.B, t.card.B, f), 255}
		draw.Draw(img, image.Rect(b.Min.X, y, b.Max.X, y+1), image.NewUniform(c), image.Point{}, draw.Src)
	}
}

func mix(a, b uint8, f float64) uint8 { return uint8(float64(a)*(1-f) + float64(b)*f) }

// addNoise adds grain of strength 0 to 1: each pixel moves by up to 48
// levels, as a photo of a screen or a much re-shared picture has.
func addNoise(img *image.RGBA, strength float64, rng *rand.Rand) {
	amp := 48 * strength
	p := img.Pix
	for i := 0; i < len(p); i += 4 {
		d := (rng.Float64()*2 - 1) * amp
		for j := range 3 {
			p[i+j] = clamp(float64(p[i+j]) + d)
		}
	}
}

func clamp(v float64) uint8 {
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}

// JPEG encodes img at quality.
func JPEG(img image.Image, quality int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		panic("screenshot: jpeg: " + err.Error()) // only a writer's error, and bytes.Buffer has none
	}
	return b.Bytes()
}

// PNG encodes img losslessly.
func PNG(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic("screenshot: png: " + err.Error())
	}
	return b.Bytes()
}
