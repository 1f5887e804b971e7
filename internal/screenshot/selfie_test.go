package screenshot

import (
	"bytes"
	"context"
	"image"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/upload"
)

var statement = Statement{Phrase: "Apply to reset Mobile on Rebind", Date: "2025-03-14", Reference: "K7QM-4XPA"}

// A selfie is drawn again the same from the same seed and statement; the
// statement is written on the sheet in front (changing the reference code
// changes pixels there and nowhere else), in ink.
func TestSelfieCarriesTheStatement(t *testing.T) {
	a, b := Selfie(statement, Style{Seed: 3}), Selfie(statement, Style{Seed: 3})
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Fatal("the same seed and statement drew two different selfies")
	}
	if got := a.Bounds().Size(); got != (image.Point{800, 1000}) {
		t.Fatalf("default size %v, want 800x1000", got)
	}
	other := statement
	other.Reference = "ZZ22-9WQR"
	c := Selfie(other, Style{Seed: 3})
	sheet := frameOf(Style{Seed: 3}, 800, 1000).sheet
	inside, outside := 0, 0
	for y := range 1000 {
		for x := range 800 {
			i := a.PixOffset(x, y)
			if bytes.Equal(a.Pix[i:i+4], c.Pix[i:i+4]) {
				continue
			}
			if (image.Point{x, y}).In(sheet) {
				inside++
			} else {
				outside++
			}
		}
	}
	if inside < 500 || outside > 0 {
		t.Errorf("another reference code changed %d pixels on the sheet and %d off it; want hundreds on it, none off", inside, outside)
	}
	if ink := inkOn(a, sheet); ink < 0.02 {
		t.Errorf("%.3f of the sheet is ink: the statement is missing", ink)
	}
	if sheet.Dx() < 800*7/10 || !sheet.In(a.Bounds()) {
		t.Errorf("the sheet %v is narrow or outside the picture", sheet)
	}
}

// inkOn is the share of r's pixels far darker than paper.
func inkOn(img *image.RGBA, r image.Rectangle) float64 {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if c := img.RGBAAt(x, y); int(c.R)+int(c.G)+int(c.B) < 3*150 {
				n++
			}
		}
	}
	return float64(n) / float64(r.Dx()*r.Dy())
}

// The camera's metadata reaches the upload pipeline's findings, as a
// phone's would; without it the photo names no camera.
func TestWithCamera(t *testing.T) {
	p := upload.New(upload.Default, 1)
	jpg := JPEG(Selfie(statement, Style{Seed: 1}), 88)
	at := time.Date(2025, 3, 14, 9, 30, 12, 0, time.UTC)
	cams := []Camera{{Make: "Apple", Model: "iPhone 13", Software: "17.4.1", At: at}, {Make: "samsung", Model: "SM-A536B", At: at}}
	for _, cam := range cams {
		out, err := p.Process(context.Background(), WithCamera(jpg, cam))
		if err != nil {
			t.Fatal(err)
		}
		f := out.Findings
		if !f.HasCameraMetadata || f.CameraMake != cam.Make || f.CameraModel != cam.Model || f.Software != cam.Software ||
			f.CapturedAt == nil || !f.CapturedAt.Equal(at) || !f.CaptureZoneKnown {
			t.Errorf("%+v read back as %+v", cam, f)
		}
	}
	out, err := p.Process(context.Background(), jpg)
	if err != nil {
		t.Fatal(err)
	}
	if out.Findings.HasCameraMetadata || out.Findings.CapturedAt != nil {
		t.Errorf("a JPEG without EXIF read as %+v", out.Findings)
	}
}
