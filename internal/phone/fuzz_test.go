package phone

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary country and number input to Parse and ParseE164.
// Neither may panic; errors must be the package's safe ones; and whatever is
// accepted must be canonical, read back identically from storage, and mask to
// no more than four national digits.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.region, tc.number)
	}
	for _, c := range Countries() {
		f.Add(c.Region, ExampleMobile(c.Region))
	}
	f.Fuzz(func(t *testing.T, region, number string) {
		n, err := Parse(region, number)
		if err != nil {
			if !errors.Is(err, ErrInvalidMobile) && !errors.Is(err, ErrUnknownRegion) {
				t.Fatalf("Parse(%q, %q): unclassified error %v", region, number, err)
			}
			checkSafeMessage(t, err, number)
		} else {
			checkAccepted(t, n)
			if again, err := Parse(n.Region(), n.E164()); err != nil || again != n {
				t.Fatalf("Parse(%q, %q) = %+v, %v; want %+v", n.Region(), n.E164(), again, err, n)
			}
		}
		// The fuzzed number also stands for a stored or admin-given value.
		if m, err := ParseE164(number); err == nil {
			if m.E164() != number {
				t.Fatalf("ParseE164(%q) accepted it as %q", number, m.E164())
			}
			checkAccepted(t, m)
		} else if !errors.Is(err, ErrInvalidMobile) {
			t.Fatalf("ParseE164(%q): unclassified error %v", number, err)
		}
	})
}

// checkAccepted checks the invariants of any Number Parse or ParseE164 gives.
func checkAccepted(t *testing.T, n Number) {
	t.Helper()
	e := n.E164()
	if !isE164(e) || CountryName(n.Region()) == "" {
		t.Fatalf("accepted %q in region %q", e, n.Region())
	}
	if m, err := ParseE164(e); err != nil || m != n {
		t.Fatalf("ParseE164(%q) = %+v, %v; want %+v", e, m, err, n)
	}
	cc := strconv.Itoa(n.CallingCode())
	national, ok := strings.CutPrefix(e, "+"+cc)
	if !ok || len(national) <= shownDigits {
		t.Fatalf("%q: national number %q would be shown whole", e, national)
	}
	masked := n.Masked()
	rest, ok := strings.CutPrefix(masked, "+"+cc+" ")
	if !ok || countDigits(rest) != shownDigits || rest != "****"+national[len(national)-shownDigits:] {
		t.Fatalf("%q masks as %q", e, masked)
	}
	if n.Prefix()+national[len(national)-shownDigits:] != e {
		t.Fatalf("%q has prefix %q", e, n.Prefix())
	}
}
