package app

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Issue 13, item 5: with an interval, a scrape reports the sampler's last
// reading and never reads the database itself, however many scrapes come;
// a reading older than three intervals is left out, and a failed one
// reports its error. Without an interval, each scrape reads.
func TestGaugesAreReadInTheBackground(t *testing.T) {
	reads := 0
	fail := error(nil)
	every := time.Hour
	s := newSample(&every, func(context.Context) (int, error) { reads++; return reads, fail })
	if _, err := s.get(); !errors.Is(err, errNotRead) {
		t.Fatalf("before the first reading: %v", err)
	}
	s.refresh(context.Background())
	for range 10 {
		if v, err := s.get(); v != 1 || err != nil {
			t.Fatalf("get = %d, %v; want the sampler's reading 1", v, err)
		}
	}
	if reads != 1 {
		t.Fatalf("10 scrapes read the database %d times, want only the sampler's 1", reads)
	}
	s.at = time.Now().Add(-3*every - time.Second)
	if _, err := s.get(); !errors.Is(err, errStale) {
		t.Fatalf("a reading three intervals old: %v", err)
	}
	fail = errors.New("database down")
	s.refresh(context.Background())
	if _, err := s.get(); err != fail {
		t.Fatalf("a failed reading: %v", err)
	}
	fail, every = nil, 0
	s.get()
	if v, err := s.get(); v != 4 || err != nil || reads != 4 {
		t.Fatalf("without an interval get = %d, %v after %d reads; want a read per scrape", v, err, reads)
	}
}
