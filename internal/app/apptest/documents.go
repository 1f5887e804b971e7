package apptest

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// PictureImage is a w × h picture of a few large coloured blocks on a
// gradient, the same for the same seed: pictures of different seeds are far
// apart in perceptual hash, as different photos are.
func PictureImage(seed uint64, w, h int) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	base := [3]uint8{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256))}
	for y := range h {
		for x := range w {
			v := uint8((x + y) * 255 / (w + h))
			m.SetRGBA(x, y, color.RGBA{base[0] ^ v, base[1], base[2] ^ (255 - v), 255})
		}
	}
	for range 6 {
		x0, y0 := r.IntN(w), r.IntN(h)
		x1, y1 := min(w, x0+w/4+r.IntN(w/2)), min(h, y0+h/4+r.IntN(h/2))
		c := color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				m.SetRGBA(x, y, c)
			}
		}
	}
	return m
}

// Picture is PictureImage as a JPEG of quality 90.
func Picture(t testing.TB, seed uint64, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, PictureImage(seed, w, h), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// PicturePNG is PictureImage as a PNG.
func PicturePNG(t testing.TB, seed uint64, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, PictureImage(seed, w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Part is one part of a multipart body: a file when FileName is set.
type Part struct {
	Name, FileName string
	Data           []byte
}

// Multipart encodes parts as a multipart/form-data body and returns it with
// its content type.
func Multipart(t testing.TB, parts ...Part) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		var pw io.Writer
		var err error
		if p.FileName != "" {
			pw, err = w.CreateFormFile(p.Name, p.FileName)
		} else {
			pw, err = w.CreateFormField(p.Name)
		}
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(p.Data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), w.FormDataContentType()
}

// Send sends a request with a raw body and content type to the public
// listener and decodes a JSON answer.
func (s *Server) Send(t testing.TB, method, path, contentType string, body []byte) Response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			t.Fatalf("%s %s: response is not JSON: %s", method, path, raw)
		}
	}
	return out
}

// ResetToMethod starts a mobile reset through the API for an account whose
// emails go to email, enters the email code, and returns the flow id, at
// method_required.
func (s *Server) ResetToMethod(t testing.TB, email, pw string) string {
	t.Helper()
	mark := s.Mark(t, email)
	r := s.Do(t, "POST", "/api/v1/mobile-reset", "", map[string]any{"email": email, "password": pw, "agree": true})
	if r.Status != http.StatusCreated {
		t.Fatalf("start reset: %d %s", r.Status, r.Raw)
	}
	id := r.Body["flow_id"].(string)
	r = s.Do(t, "POST", "/api/v1/mobile-reset/"+id+"/email-code/verify", "", map[string]string{"code": s.CodeSince(t, email, mark)})
	if r.Status != http.StatusOK || r.Body["state"] != "method_required" {
		t.Fatalf("verify reset code: %d %s", r.Status, r.Raw)
	}
	return id
}
