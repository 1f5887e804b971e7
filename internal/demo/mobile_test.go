package demo

import (
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/phone"
)

// TestMobileRangesAreValid checks each country's range with the same parser
// the admin API uses: both ends, and a spread of numbers through every
// block of 1/500 of the range, so a hole in the middle would show.
func TestMobileRangesAreValid(t *testing.T) {
	for _, c := range DefaultPopulation().Countries {
		r := c.Mobile
		step := max(1, r.Count/500)
		ks := []int64{0, r.Count - 1}
		for k := int64(0); k < r.Count; k += step {
			ks = append(ks, k, k+step/2)
		}
		for _, k := range ks {
			n, err := phone.ParseE164(r.Number(k))
			if err != nil {
				t.Fatalf("%s: %s: %v", c.Code, r.Number(k), err)
			}
			if n.Region() != c.Code {
				t.Fatalf("%s: %s is a number of %s", c.Code, r.Number(k), n.Region())
			}
		}
	}
}

func TestForIndexIsABijection(t *testing.T) {
	for _, count := range []int64{1, 2, 10, 97, 1000, 4096, 90_000} {
		r := MobileRange{Prefix: "+1", Digits: 6, Count: count}
		seen := map[string]bool{}
		for i := range int(count) {
			n := r.ForIndex(i)
			if seen[n] || !r.Contains(n) {
				t.Fatalf("count %d: index %d gives %s, repeated or outside the range", count, i, n)
			}
			seen[n] = true
		}
	}
	r := MobileRange{Prefix: "+658", Digits: 7, First: 1_000_000, Count: 8_000_000}
	if a, b := r.ForIndex(1), r.ForIndex(2); a[:len(a)-2] == b[:len(b)-2] {
		t.Errorf("neighbouring accounts get neighbouring numbers %s and %s", a, b)
	}
}

func TestGeneratedMobilesAreValidAndUnique(t *testing.T) {
	p := DefaultPopulation()
	seen := map[string]int{}
	for i := range 10_000 {
		g := p.At(3, i, testNow)
		if g.Mobile == "" {
			continue
		}
		if _, err := phone.ParseE164(g.Mobile); err != nil {
			t.Fatalf("account %d: %s: %v", i, g.Mobile, err)
		}
		if j, ok := seen[g.Mobile]; ok {
			t.Fatalf("accounts %d and %d share %s", j, i, g.Mobile)
		}
		seen[g.Mobile] = i
	}
	if len(seen) < 8000 {
		t.Errorf("only %d of 10000 accounts have a mobile", len(seen))
	}
	// Uniqueness holds up to MaxAccounts, which the smallest range sets.
	if got := p.MaxAccounts(); got < 5_000_000 {
		t.Errorf("MaxAccounts = %d, want millions", got)
	}
}

// TestNamedMobilesAreOutsideBulkRanges keeps the named accounts' numbers
// free however many bulk accounts are seeded.
func TestNamedMobilesAreOutsideBulkRanges(t *testing.T) {
	for _, n := range NamedAccounts(time.Now()) {
		if n.Mobile == "" {
			continue
		}
		if _, err := phone.ParseE164(n.Mobile); err != nil {
			t.Errorf("%s: %s: %v", n.Email, n.Mobile, err)
		}
		for _, c := range DefaultPopulation().Countries {
			if c.Mobile.Contains(n.Mobile) {
				t.Errorf("%s: %s lies in the bulk range of %s", n.Email, n.Mobile, c.Code)
			}
		}
	}
}
