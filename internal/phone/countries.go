package phone

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Country is one entry of the country picker beside the number field.
type Country struct {
	Region      string // ISO 3166 alpha-2, "SG"
	Name        string // English name, "Singapore"
	CallingCode int    // 65
}

// supported is the set of regions the library has metadata for; it is the
// library's own map and must not be modified.
func supported() map[string]bool { return phonenumbers.GetSupportedRegions() }

// countries is built once: the metadata is fixed for the life of the process.
var countries = sync.OnceValue(func() []Country {
	cs := make([]Country, 0, len(supported()))
	for r := range supported() {
		cs = append(cs, Country{Region: r, Name: names[r], CallingCode: phonenumbers.GetCountryCodeForRegion(r)})
	}
	slices.SortFunc(cs, func(a, b Country) int {
		return cmp.Or(cmp.Compare(sortKey(a.Name), sortKey(b.Name)), cmp.Compare(a.Region, b.Region))
	})
	return cs
})

// Countries returns every region the library supports, sorted by English
// name. The slice is the caller's own.
//
// It includes the few regions where no number is accepted, such as Tristan
// da Cunha (TA), which has no mobile ranges, so that the list matches the
// library's.
func Countries() []Country { return slices.Clone(countries()) }

// CountryName returns the English name of an ISO 3166 alpha-2 region ("SG"
// → "Singapore"), or "" if the library does not support the region.
func CountryName(region string) string {
	r, _ := normRegion(region) // "" when unsupported, which has no name
	return names[r]
}

// ExampleMobile returns the library's example mobile number for region in
// national format ("8123 4567" for SG; international for Argentina, see
// below), for use as an input placeholder, or "" if there is none. It is an example of the format, not a promise that
// Parse accepts it: Tokelau's ("7290") is shorter than Parse allows.
func ExampleMobile(region string) string {
	r, err := normRegion(region)
	if err != nil {
		return ""
	}
	pn := phonenumbers.GetExampleNumberForType(r, phonenumbers.MOBILE)
	if pn == nil {
		return ""
	}
	// The Go port mis-formats national forms whose pattern does not start
	// with the first group: Argentine mobiles come out as "09 15-2345-6789",
	// which parses as nothing. The international form it gets right.
	nat := phonenumbers.Format(pn, phonenumbers.NATIONAL)
	back, err := phonenumbers.Parse(nat, r)
	if err != nil || phonenumbers.Format(back, phonenumbers.E164) != phonenumbers.Format(pn, phonenumbers.E164) {
		return phonenumbers.Format(pn, phonenumbers.INTERNATIONAL)
	}
	return nat
}

// foldAccents maps the accented letters of the names table to ASCII, so that
// "Åland Islands" sorts among the A's and "Côte d'Ivoire" before "Croatia"
// rather than after "Zimbabwe". A test keeps it complete.
var foldAccents = strings.NewReplacer(
	"Å", "A", "ç", "c", "ô", "o", "é", "e", "ã", "a", "í", "i", "ü", "u",
)

func sortKey(name string) string { return strings.ToLower(foldAccents.Replace(name)) }
