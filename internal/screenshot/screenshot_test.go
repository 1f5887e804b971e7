package screenshot

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
	"time"
)

var sample = Transfer{Direction: "deposit", Coin: "ETH", Network: "ERC20", Amount: "0.5",
	Address: "0x52908400098527886E0F7030069857D2E4169EE7",
	TXID:    "0x3f2a9c1b7e5d4a6f8b0c2d1e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a", At: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)}

func drawAll(s Style) map[string]*image.RGBA {
	m := Mail{Kind: Deposit, Brand: "Rebind", To: "user12@demo.rebind.invalid", At: sample.At, Transfer: sample}
	return map[string]*image.RGBA{
		"transaction": Transaction(sample, s), "explorer": Explorer(sample, s),
		"email": Email(m, s), "inbox": Inbox([]Mail{m}, s),
	}
}

// The same seed draws the same picture, another seed another one: the
// benchmark and the demo data can be drawn again.
func TestSameSeedSamePicture(t *testing.T) {
	a, b, c := drawAll(Vary(7)), drawAll(Vary(7)), drawAll(Vary(8))
	for name := range a {
		if !bytes.Equal(a[name].Pix, b[name].Pix) {
			t.Errorf("%s: seed 7 drew two different pictures", name)
		}
		if bytes.Equal(a[name].Pix, c[name].Pix) {
			t.Errorf("%s: seeds 7 and 8 drew the same picture", name)
		}
	}
}

// Every style draws a picture the upload accepts (at least 400 pixels a
// side) with text on it: many pixels unlike the background.
func TestEveryStyleDrawsText(t *testing.T) {
	for seed := range uint64(12) {
		s := Vary(seed)
		for name, img := range drawAll(s) {
			b := img.Bounds()
			if b.Dx() < 400 || b.Dy() < 400 || b.Dx() != s.Width || b.Dy() != s.Height {
				t.Errorf("seed %d %s: %v, style %dx%d", seed, name, b, s.Width, s.Height)
			}
			if ink := inked(img, themes[s.Theme].bg); ink < 0.005 {
				t.Errorf("seed %d %s: only %.4f of the pixels are drawn", seed, name, ink)
			}
		}
	}
}

func inked(img *image.RGBA, bg interface{ RGBA() (r, g, b, a uint32) }) float64 {
	br, _, _, _ := bg.RGBA()
	n := 0
	for i := 0; i < len(img.Pix); i += 4 {
		d := int(img.Pix[i]) - int(br>>8)
		if d > 60 || d < -60 {
			n++
		}
	}
	return float64(n) / float64(len(img.Pix)/4)
}

func TestJPEGDecodes(t *testing.T) {
	img := Transaction(sample, Vary(1))
	got, err := jpeg.Decode(bytes.NewReader(JPEG(img, JPEGQuality(1))))
	if err != nil || got.Bounds() != img.Bounds() {
		t.Fatalf("decode: %v, %v", err, got)
	}
}
