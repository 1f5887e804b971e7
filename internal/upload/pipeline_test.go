package upload

import (
	"bytes"
	"context"
	"errors"
	"image"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
)

func TestDefaultLimitsAreTheSpecs(t *testing.T) {
	if Default.MaxFileBytes != 10<<20 || Default.MaxFiles != 10 || Default.MaxPixels != 40_000_000 {
		t.Errorf("Default = %+v", Default)
	}
	if err := Default.CheckCount(10); err != nil {
		t.Errorf("10 files: %v", err)
	}
	if err := Default.CheckCount(11); !apperr.Is(err, apperr.FileTooLarge) {
		t.Errorf("11 files: %v", err)
	}
	if got := Default.MaxBodyBytes(); got < 10*(10<<20) || got > 10*(10<<20)+(2<<20) {
		t.Errorf("MaxBodyBytes = %d", got)
	}
}

// TestSniffAgreesWithDetectContentType checks the magic numbers against
// net/http's sniffer on every accepted picture, and that what we refuse is
// something else to it too.
func TestSniffAgreesWithDetectContentType(t *testing.T) {
	accepted := map[string][]byte{
		"jpeg": encodeJPEG(t, marked(32, 32), 90),
		"png":  encodePNG(t, marked(32, 32)),
		"webp": readFile(t, "testdata/blue-purple-pink.lossy.webp"),
	}
	for name, b := range accepted {
		k, ok := sniff(b)
		if !ok || k.String() != http.DetectContentType(b) {
			t.Errorf("%s: sniff %v %v, DetectContentType %s", name, k, ok, http.DetectContentType(b))
		}
	}
	refused := [][]byte{[]byte("<html><script></script>"), []byte("  <svg onload=x>"), []byte("GIF89a"), []byte("RIFF\x00\x00\x00\x00WAVEfmt "), []byte("\xFF\xD8")}
	for _, b := range refused {
		if k, ok := sniff(b); ok {
			t.Errorf("%q sniffed as %v", b, k)
		}
		if ct := http.DetectContentType(b); strings.HasPrefix(ct, "image/jpeg") || ct == "image/png" || ct == "image/webp" {
			t.Errorf("%q: DetectContentType %s", b, ct)
		}
	}
}

func TestPanicInADecoderIsDamaged(t *testing.T) {
	p := New(Default, 1)
	p.decode = func(kind, []byte) (image.Image, error) { panic("index out of range") }
	_, err := p.Process(context.Background(), encodePNG(t, marked(32, 32)))
	if !apperr.Is(err, apperr.InvalidRequest) || !strings.Contains(err.Error(), "index out of range") {
		t.Errorf("panic: %v", err)
	}
	// The slot was given back: the next picture goes through.
	p.decode = decodeImage
	process(t, p, encodePNG(t, marked(32, 32)))
}

// TestAtMostNDecodesAtOnce sends 10 pictures at once to a processor with 2
// slots. Its decoder waits until released, so the test sees how many are
// inside at the same time: 2, and never more.
func TestAtMostNDecodesAtOnce(t *testing.T) {
	p := New(Default, 2)
	release := make(chan struct{})
	p.decode = func(k kind, b []byte) (image.Image, error) {
		<-release
		return decodeImage(k, b)
	}
	in := encodeJPEG(t, marked(64, 32), 90)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			_, err := p.Process(context.Background(), in)
			errs <- err
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.active.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // room for a third to get in, were it let
	if n := p.active.Load(); n != 2 {
		t.Errorf("%d decodes at once, want 2", n)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if p.peak.Load() != 2 || p.decodes.Load() != 10 || p.active.Load() != 0 {
		t.Errorf("peak %d, decodes %d, active %d", p.peak.Load(), p.decodes.Load(), p.active.Load())
	}
}

func TestWaitingForASlotEndsWithTheRequest(t *testing.T) {
	p := New(Default, 1)
	release := make(chan struct{})
	p.decode = func(k kind, b []byte) (image.Image, error) {
		<-release
		return decodeImage(k, b)
	}
	in := encodePNG(t, marked(32, 32))
	done := make(chan struct{})
	go func() { p.Process(context.Background(), in); close(done) }()
	for p.active.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := p.Process(ctx, in)
	if !apperr.Is(err, apperr.Unavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("waiting with a cancelled request: %v", err)
	}
	close(release)
	<-done
}

func TestReadLimited(t *testing.T) {
	overBody := func() io.Reader {
		rec := httptest.NewRecorder()
		return http.MaxBytesReader(rec, io.NopCloser(bytes.NewReader(make([]byte, 200))), 100)
	}
	cases := []struct {
		name string
		r    io.Reader
		max  int64
		n    int
		code apperr.Code
	}{
		{"under", bytes.NewReader(make([]byte, 99)), 100, 99, ""},
		{"exactly the limit", bytes.NewReader(make([]byte, 100)), 100, 100, ""},
		{"one byte over", bytes.NewReader(make([]byte, 101)), 100, 0, apperr.FileTooLarge},
		{"request over MaxBytesReader", overBody(), 1000, 0, apperr.FileTooLarge},
		{"broken body", io.MultiReader(bytes.NewReader(make([]byte, 10)), errReader{}), 100, 0, apperr.InvalidRequest},
	}
	for _, c := range cases {
		b, err := ReadLimited(c.r, c.max)
		if c.code == "" && (err != nil || len(b) != c.n) || c.code != "" && !apperr.Is(err, c.code) {
			t.Errorf("%s: %d bytes, %v", c.name, len(b), err)
		}
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }
