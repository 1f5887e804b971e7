// Package phone owns what rebind accepts as a mobile number: parsing what a
// user types for a chosen country, checking it is a valid mobile (not
// fixed-line, toll-free, premium, …) number under libphonenumber's rules,
// and the canonical E.164 form, masked display form and SMS-pumping prefix
// of a number. It also owns the country list offered in the UI.
package phone

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

const (
	// maxInput bounds what is handed to the library, whose parser is
	// regex-heavy; no real number written with separators comes near it.
	maxInput = 32

	// E.164 allows at most 15 digits. The floor of 8 is ours: it keeps the
	// masked form from revealing a whole national number (every calling
	// code has at most 3 digits, so at least one national digit stays
	// hidden) and only excludes a few 4-digit Niue, Tokelau and South
	// African short ranges.
	minDigits = 8
	maxDigits = 15

	// shownDigits is how many trailing digits Masked shows and Prefix drops.
	shownDigits = 4
)

// Number is a validated mobile number. Its zero value is "no number". Two
// Numbers are equal (==) exactly when they are the same number, because
// every field is derived from the E.164 form alone.
type Number struct {
	e164   string // "+6581234567"
	region string // ISO 3166 alpha-2, as the library assigns it
	cc     int    // country calling code, 65
}

// E164 returns the canonical form, the one that is stored and sent to the SMS
// provider: "+6581234567".
func (n Number) E164() string { return n.e164 }

// Region returns the ISO 3166 alpha-2 region of the number, e.g. "SG". Where
// a calling code is shared and the number ranges overlap, the library names
// the main region: a "07924" Isle of Man mobile is "GB", a Vatican mobile
// "IT". It depends on the number only, so it is the same whether the number
// came from Parse or from storage through ParseE164.
func (n Number) Region() string { return n.region }

// CallingCode returns the country calling code, e.g. 65.
func (n Number) CallingCode() int { return n.cc }

// IsZero reports whether n is the zero Number (no number).
func (n Number) IsZero() bool { return n.e164 == "" }

// Masked returns the form shown wherever a number is displayed: the calling
// code and the last four digits, "+65 ****4567". Empty for the zero Number.
func (n Number) Masked() string {
	if n.IsZero() {
		return ""
	}
	return "+" + strconv.Itoa(n.cc) + " ****" + n.e164[len(n.e164)-shownDigits:]
}

// Prefix returns the E.164 form without its last four digits, "+658123": the
// key for capping sends to a block of numbers, which is how SMS pumping
// fraud shows itself. Empty for the zero Number.
func (n Number) Prefix() string {
	if n.IsZero() {
		return ""
	}
	return n.e164[:len(n.e164)-shownDigits]
}

// String returns the masked form, so that a Number printed into a log or an
// error never leaks the full number. Use E164 for the full number.
func (n Number) String() string { return n.Masked() }

// Parse validates a number as typed by a user who chose the country region
// (ISO 3166 alpha-2, any case). The number may carry spaces, dashes, dots,
// parentheses and a national trunk prefix ("0"), or be written in full
// international form ("+65 8123 4567"), in which case it must still belong
// to region. It must be a valid mobile number for region.
//
// Errors are *Error, matching ErrUnknownRegion or ErrInvalidMobile.
func Parse(region, number string) (Number, error) {
	r, err := normRegion(region)
	if err != nil {
		return Number{}, err
	}
	if utf8.RuneCountInString(number) > maxInput {
		return Number{}, invalid("a mobile number has at most 32 characters")
	}
	s := strings.TrimSpace(number)
	if s == "" {
		return Number{}, invalid("enter a mobile number")
	}
	if !typedChars(s) {
		return Number{}, invalid("a mobile number may contain only digits, spaces, and + - . ( ), with + only at the start")
	}
	pn, err := phonenumbers.Parse(s, r)
	if err != nil {
		return Number{}, notMobileFor(r)
	}
	// Checked against the chosen region's own ranges, so that a territory
	// sharing a calling code (IM, JE, VA, AX…) accepts its numbers even where
	// the library files them under the main region.
	if !phonenumbers.IsValidNumberForRegion(pn, r) {
		if d := phonenumbers.GetRegionCodeForNumber(pn); d != r && supported()[d] && phonenumbers.IsValidNumber(pn) {
			return Number{}, invalid("this number belongs to " + CountryName(d) + ", not " + CountryName(r))
		}
		return Number{}, notMobileFor(r)
	}
	return fromLibrary(pn, r)
}

// ParseE164 validates a number already in E.164 form, as stored or as given
// by the admin API: "+" and 8 to 15 digits, nothing else, and a valid mobile
// number of a supported region.
//
// Errors are *Error matching ErrInvalidMobile.
func ParseE164(s string) (Number, error) {
	if !isE164(s) {
		return Number{}, invalid("a mobile number in E.164 form is + followed by 8 to 15 digits")
	}
	pn, err := phonenumbers.Parse(s, phonenumbers.UNKNOWN_REGION)
	if err != nil {
		return Number{}, invalid("not a valid mobile number")
	}
	n, err := fromLibrary(pn, phonenumbers.GetRegionCodeForNumber(pn))
	if err != nil {
		return Number{}, err
	}
	// The library tolerates what E.164 does not; a number that does not come
	// back unchanged was not in canonical form.
	if n.e164 != s {
		return Number{}, invalid("not a valid mobile number")
	}
	return n, nil
}

// fromLibrary turns a parsed number into a Number if it is a valid mobile
// number of a supported region; errors name the country shown.
func fromLibrary(pn *phonenumbers.PhoneNumber, shown string) (Number, error) {
	region := phonenumbers.GetRegionCodeForNumber(pn)
	if pn.GetExtension() != "" || !supported()[region] || !phonenumbers.IsValidNumber(pn) {
		return Number{}, notMobileFor(shown)
	}
	// Where fixed and mobile ranges overlap (the NANP countries, Mexico,
	// parts of India…) the library says FIXED_LINE_OR_MOBILE; refusing that
	// would refuse every US and Canadian mobile.
	switch phonenumbers.GetNumberType(pn) {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
	default:
		return Number{}, invalid("not a mobile number" + forCountry(shown) + "; enter a number that can receive SMS")
	}
	e := phonenumbers.Format(pn, phonenumbers.E164)
	if d := len(e) - 1; d < minDigits || d > maxDigits {
		return Number{}, notMobileFor(shown)
	}
	return Number{e164: e, region: region, cc: int(pn.GetCountryCode())}, nil
}

// typedChars reports whether s holds only what people type into a phone
// field. It keeps letters away from the library, which would read them as
// extensions ("x12") or vanity numbers ("1-800-FLOWERS").
func typedChars(s string) bool {
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9', c == ' ', c == '-', c == '.', c == '(', c == ')':
		case c == '+' && i == 0:
		default:
			return false
		}
	}
	return true
}

// isE164 checks the strict shape: "+", then 8 to 15 ASCII digits, the first
// not 0 (no calling code starts with 0).
func isE164(s string) bool {
	if len(s) < 1+minDigits || len(s) > 1+maxDigits || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, c := range []byte(s[1:]) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
