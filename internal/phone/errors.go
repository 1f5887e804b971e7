package phone

import (
	"errors"
	"strings"
)

// The two kinds of failure, for handlers to map onto the API's codes:
// ErrUnknownRegion → invalid_request, ErrInvalidMobile → invalid_mobile.
var (
	ErrUnknownRegion = errors.New("unknown region")
	ErrInvalidMobile = errors.New("not a valid mobile number")
)

// Error is the error Parse and ParseE164 return. errors.Is matches it to its
// Kind. Message is safe to show to the user: it says what is wrong and never
// repeats the number, and repeats the region only when it is two letters.
type Error struct {
	Kind    error // ErrUnknownRegion or ErrInvalidMobile
	Message string
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Kind }

func invalid(msg string) error { return &Error{Kind: ErrInvalidMobile, Message: msg} }

func notMobileFor(region string) error {
	return invalid("not a valid mobile number" + forCountry(region))
}

// forCountry names the country in a message, or nothing if it has no name.
func forCountry(region string) string {
	if name := CountryName(region); name != "" {
		return " for " + name
	}
	return ""
}

// normRegion trims and upper-cases an ISO 3166 alpha-2 code and checks the
// library has metadata for it. Only ASCII letters are upper-cased: Unicode
// case mapping would turn "ſg" into "SG".
func normRegion(region string) (string, error) {
	r := strings.TrimSpace(region)
	if len(r) != 2 || !isASCIILetter(r[0]) || !isASCIILetter(r[1]) {
		return "", &Error{Kind: ErrUnknownRegion, Message: "country must be a two-letter country code, such as SG"}
	}
	r = strings.ToUpper(r)
	if !supported()[r] {
		return "", &Error{Kind: ErrUnknownRegion, Message: "unknown country code " + r}
	}
	return r, nil
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
