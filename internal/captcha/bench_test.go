package captcha_test

import (
	"context"
	"testing"

	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// BenchmarkNew measures drawing and storing one puzzle: a fresh
// background, a fresh jigsaw shape, the cut, the encoding as data URLs.
func BenchmarkNew(b *testing.B) {
	db := storetest.SQLite(b)
	s, err := captcha.NewSlider(db, clock.Real{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.New(context.Background(), captcha.Binding{}); err != nil {
			b.Fatal(err)
		}
	}
}
