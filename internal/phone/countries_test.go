package phone

import (
	"slices"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestEverySupportedRegionHasAName(t *testing.T) {
	for r := range phonenumbers.GetSupportedRegions() {
		if names[r] == "" {
			t.Errorf("no English name for supported region %s", r)
		}
	}
	seen := map[string]string{}
	for r, name := range names {
		if !phonenumbers.GetSupportedRegions()[r] {
			t.Errorf("names has %s, which the library does not support", r)
		}
		if other, ok := seen[name]; ok {
			t.Errorf("%s and %s are both named %q", r, other, name)
		}
		seen[name] = r
	}
}

func TestCountriesSortedUniqueComplete(t *testing.T) {
	cs := Countries()
	if len(cs) != len(phonenumbers.GetSupportedRegions()) {
		t.Fatalf("%d countries, library supports %d regions", len(cs), len(phonenumbers.GetSupportedRegions()))
	}
	regions := map[string]bool{}
	for i, c := range cs {
		if regions[c.Region] {
			t.Errorf("%s listed twice", c.Region)
		}
		regions[c.Region] = true
		if c.Name == "" || c.Name != CountryName(c.Region) || c.CallingCode <= 0 {
			t.Errorf("bad entry %+v", c)
		}
		if i > 0 && sortKey(cs[i-1].Name) >= sortKey(c.Name) {
			t.Errorf("%q sorts before %q", cs[i-1].Name, c.Name)
		}
	}
	want := map[string]Country{
		"SG": {"SG", "Singapore", 65},
		"GB": {"GB", "United Kingdom", 44},
		"IM": {"IM", "Isle of Man", 44},
		"US": {"US", "United States", 1},
		"CA": {"CA", "Canada", 1},
		"NG": {"NG", "Nigeria", 234},
	}
	for _, c := range cs {
		if w, ok := want[c.Region]; ok && c != w {
			t.Errorf("got %+v, want %+v", c, w)
		}
		delete(want, c.Region)
	}
	if len(want) > 0 {
		t.Errorf("missing %v", want)
	}
}

// The accent fold must cover every name, or a new accented name would sort
// after "Zimbabwe".
func TestSortKeyIsASCII(t *testing.T) {
	for r, name := range names {
		for _, c := range []byte(sortKey(name)) {
			if c >= 0x80 {
				t.Errorf("%s: sort key of %q is not ASCII; add its letters to foldAccents", r, name)
				break
			}
		}
	}
	cs := Countries()
	i := slices.IndexFunc(cs, func(c Country) bool { return c.Region == "AX" })
	if cs[i-1].Region != "AF" || cs[i+1].Region != "AL" {
		t.Errorf("Åland Islands sorts between %s and %s", cs[i-1].Name, cs[i+1].Name)
	}
}

func TestCountriesIsACopy(t *testing.T) {
	Countries()[0].Name = "changed"
	if Countries()[0].Name == "changed" {
		t.Fatal("Countries shares its slice")
	}
}

func TestCountryName(t *testing.T) {
	for in, want := range map[string]string{
		"SG": "Singapore", " sg ": "Singapore", "ci": "Côte d'Ivoire", "XK": "Kosovo",
		"ZZ": "", "001": "", "": "", "ſg": "",
	} {
		if got := CountryName(in); got != want {
			t.Errorf("CountryName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExampleMobile(t *testing.T) {
	for in, want := range map[string]string{
		"SG": "8123 4567", "gb": "07400 123456", "US": "(201) 555-0123", "TA": "", "ZZ": "",
		"AR": "+54 9 11 2345-6789", // the library's national form is wrong
	} {
		if got := ExampleMobile(in); got != want {
			t.Errorf("ExampleMobile(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every region's own example, typed as a user would see it in the
// placeholder, must be accepted, except where Parse knowingly refuses it.
func TestEveryExampleMobileParses(t *testing.T) {
	refused := map[string]bool{
		"TK": true, // "7290": fewer than 8 digits in E.164
	}
	for _, c := range Countries() {
		ex := ExampleMobile(c.Region)
		if ex == "" {
			continue
		}
		n, err := Parse(c.Region, ex)
		if refused[c.Region] {
			if err == nil {
				t.Errorf("%s: example %q now parses; drop it from the refused list", c.Region, ex)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: example %q: %v", c.Region, ex, err)
			continue
		}
		if n.CallingCode() != c.CallingCode {
			t.Errorf("%s: example %q has calling code %d, want %d", c.Region, ex, n.CallingCode(), c.CallingCode)
		}
	}
}
