package phone

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// parseCases is shared with the fuzz seeds. want is the E.164 form, or ""
// when the number must be refused with wantErr.
var parseCases = []struct {
	name, region, number string
	want                 string
	wantErr              error
}{
	// Valid mobiles, national and international forms.
	{"SG national", "SG", "8123 4567", "+6581234567", nil},
	{"SG international", "SG", "+65 8123-4567", "+6581234567", nil},
	{"SG region lower case, padded", " sg ", "9123 4567", "+6591234567", nil},
	{"SG dots and parentheses", "SG", "(8123) 45.67", "+6581234567", nil},
	{"GB trunk 0", "GB", "07400 123456", "+447400123456", nil},
	{"GB international", "GB", "+44 7400 123456", "+447400123456", nil},
	{"GB international with (0)", "GB", "+44 (0)7400 123456", "+447400123456", nil},
	{"US fixed-or-mobile", "US", "(201) 555-0123", "+12015550123", nil},
	{"US with trunk 1", "US", "1 201 555 0123", "+12015550123", nil},
	{"US international", "US", "+1 201-555-0123", "+12015550123", nil},
	{"CA", "CA", "506-234-5678", "+15062345678", nil},
	{"DE trunk 0", "DE", "0151 23456789", "+4915123456789", nil},
	{"DE international", "DE", "+49 151 2345 6789", "+4915123456789", nil},
	{"IN", "IN", "98765 43210", "+919876543210", nil},
	{"IN international", "IN", "+91 81234 56789", "+918123456789", nil},
	{"CN", "CN", "131 2345 6789", "+8613123456789", nil},
	{"CN international", "CN", "+86 131-2345-6789", "+8613123456789", nil},
	{"BR", "BR", "(11) 96123-4567", "+5511961234567", nil},
	{"BR international", "BR", "+55 11 96123 4567", "+5511961234567", nil},
	{"JP", "JP", "090-1234-5678", "+819012345678", nil},
	{"JP international", "JP", "+81 90 1234 5678", "+819012345678", nil},
	{"NG", "NG", "0802 123 4567", "+2348021234567", nil},
	{"NG international", "NG", "+234 802 123 4567", "+2348021234567", nil},
	{"AR national mobile 15 becomes 9", "AR", "011 15-2345-6789", "+5491123456789", nil},
	{"MX fixed-or-mobile", "MX", "55 1234 5678", "+525512345678", nil},
	{"IM own range", "IM", "07624 123456", "+447624123456", nil},
	{"IM range the library files under GB", "IM", "07924 123456", "+447924123456", nil},

	// Valid numbers of the wrong line type.
	{"SG fixed line", "SG", "6123 4567", "", ErrInvalidMobile},
	{"SG toll free", "SG", "1800 123 4567", "", ErrInvalidMobile},
	{"SG premium", "SG", "1900 123 4567", "", ErrInvalidMobile},
	{"SG VoIP", "SG", "3123 4567", "", ErrInvalidMobile},
	{"GB fixed line", "GB", "0121 234 5678", "", ErrInvalidMobile},
	{"GB toll free", "GB", "0800 123 4567", "", ErrInvalidMobile},
	{"GB premium", "GB", "0901 234 5678", "", ErrInvalidMobile},
	{"GB pager", "GB", "07640 123456", "", ErrInvalidMobile},
	{"GB personal number", "GB", "070 1234 5678", "", ErrInvalidMobile},
	{"US toll free", "US", "(800) 234-5678", "", ErrInvalidMobile},
	{"US premium", "US", "(900) 234-5678", "", ErrInvalidMobile},
	{"DE fixed line", "DE", "030 123456", "", ErrInvalidMobile},
	{"DE premium", "DE", "0900 1 234567", "", ErrInvalidMobile},
	{"JP fixed line", "JP", "03-1234-5678", "", ErrInvalidMobile},
	{"JP VoIP", "JP", "050-1234-5678", "", ErrInvalidMobile},
	{"JP toll free", "JP", "0120-123-456", "", ErrInvalidMobile},
	{"CN fixed line", "CN", "010 1234 5678", "", ErrInvalidMobile},
	{"BR fixed line", "BR", "(11) 2345-6789", "", ErrInvalidMobile},
	{"IN toll free", "IN", "1800 12 3456", "", ErrInvalidMobile},
	{"NG fixed line", "NG", "02033 12 3456", "", ErrInvalidMobile},

	// Another region's number.
	{"MY mobile for SG", "SG", "+60 12-345 6789", "", ErrInvalidMobile},
	{"GB mobile for SG", "SG", "+44 7400 123456", "", ErrInvalidMobile},
	{"CA number for US", "US", "+1 506 234 5678", "", ErrInvalidMobile},
	{"IM-only range for GB", "GB", "07624 123456", "", ErrInvalidMobile},
	{"SG digits for MY", "MY", "8123 4567", "", ErrInvalidMobile},

	// Junk, shape and length.
	{"empty", "SG", "", "", ErrInvalidMobile},
	{"blank", "SG", "   ", "", ErrInvalidMobile},
	{"letters", "SG", "abc", "", ErrInvalidMobile},
	{"vanity letters", "US", "1-800-FLOWERS", "", ErrInvalidMobile},
	{"extension", "SG", "8123 4567 x12", "", ErrInvalidMobile},
	{"plus inside", "SG", "8123+4567", "", ErrInvalidMobile},
	{"double plus", "SG", "++6581234567", "", ErrInvalidMobile},
	{"separators only", "SG", "--()..", "", ErrInvalidMobile},
	{"plus only", "SG", "+", "", ErrInvalidMobile},
	{"too short", "SG", "81234", "", ErrInvalidMobile},
	{"one digit too many", "SG", "8123 45678", "", ErrInvalidMobile},
	{"full-width digits", "SG", "８１２３４５６７", "", ErrInvalidMobile},
	{"Arabic-Indic digits", "SG", "٨١٢٣٤٥٦٧", "", ErrInvalidMobile},
	{"tab inside", "SG", "8123\t4567", "", ErrInvalidMobile},
	{"33 characters", "SG", "8123 4567" + strings.Repeat(" ", 24), "", ErrInvalidMobile},
	{"long digits", "SG", strings.Repeat("8", 40), "", ErrInvalidMobile},
	{"32 characters is not too long", "SG", "  8123 4567" + strings.Repeat(" ", 21), "+6581234567", nil},
	{"Tokelau 4-digit mobile, under 8 digits", "TK", "7290", "", ErrInvalidMobile},
	{"Tristan da Cunha has no mobiles", "TA", "6 1234", "", ErrInvalidMobile},

	// Regions.
	{"no region", "", "8123 4567", "", ErrUnknownRegion},
	{"unassigned region", "XX", "8123 4567", "", ErrUnknownRegion},
	{"unknown-region code", "ZZ", "+6581234567", "", ErrUnknownRegion},
	{"non-geographic", "001", "+80012345678", "", ErrUnknownRegion},
	{"alpha-3", "SGP", "8123 4567", "", ErrUnknownRegion},
	{"Unicode that upper-cases to SG", "ſg", "8123 4567", "", ErrUnknownRegion},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Parse(tc.region, tc.number)
			if tc.want != "" {
				if err != nil {
					t.Fatalf("Parse(%q, %q) = %v, want %s", tc.region, tc.number, err, tc.want)
				}
				if n.E164() != tc.want {
					t.Fatalf("Parse(%q, %q) = %s, want %s", tc.region, tc.number, n.E164(), tc.want)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Parse(%q, %q) = %s, %v; want %v", tc.region, tc.number, n.E164(), err, tc.wantErr)
			}
			checkSafeMessage(t, err, tc.number)
		})
	}
}

// checkSafeMessage checks err is an *Error whose message could not be
// repeating a number: Parse's messages hold at most two digits ("32").
func checkSafeMessage(t *testing.T, err error, input string) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) || pe.Message == "" || pe.Error() != pe.Message {
		t.Fatalf("error %#v is not a phone.Error with a message", err)
	}
	if d := countDigits(pe.Message); d > 2 {
		t.Errorf("message %q for input %q carries %d digits", pe.Message, input, d)
	}
}

func countDigits(s string) int {
	n := 0
	for _, c := range []byte(s) {
		if c >= '0' && c <= '9' {
			n++
		}
	}
	return n
}

func TestParseRegionAndMessages(t *testing.T) {
	for _, tc := range []struct{ region, number, wantRegion string }{
		{"sg", "8123 4567", "SG"},
		{"IM", "07624 123456", "IM"},
		// The library files this overlapping range under GB; Region follows
		// the number, not the picker, so a stored number reads back the same.
		{"IM", "07924 123456", "GB"},
		{"GB", "07924 123456", "GB"},
		{"VA", "+39 312 345 6789", "IT"},
	} {
		n, err := Parse(tc.region, tc.number)
		if err != nil || n.Region() != tc.wantRegion {
			t.Errorf("Parse(%q, %q) = %q, %v; want region %s", tc.region, tc.number, n.Region(), err, tc.wantRegion)
		}
	}
	for _, tc := range []struct{ region, number, want string }{
		{"SG", "6123 4567", "not a mobile number for Singapore; enter a number that can receive SMS"},
		{"SG", "81234", "not a valid mobile number for Singapore"},
		{"SG", "+60 12-345 6789", "this number belongs to Malaysia, not Singapore"},
		{"US", "+1 506 234 5678", "this number belongs to Canada, not United States"},
		{"SG", "abc", "a mobile number may contain only digits, spaces, and + - . ( ), with + only at the start"},
		{"SG", strings.Repeat("8", 33), "a mobile number has at most 32 characters"},
		{"SG", strings.Repeat("８", 11), "a mobile number may contain only digits, spaces, and + - . ( ), with + only at the start"},
		{"xx", "8123 4567", "unknown country code XX"},
		{"<script>", "8123 4567", "country must be a two-letter country code, such as SG"},
	} {
		_, err := Parse(tc.region, tc.number)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q, %q) error = %v, want %q", tc.region, tc.number, err, tc.want)
		}
	}
}

func TestParseE164(t *testing.T) {
	for _, tc := range []struct{ in, region string }{
		{"+6581234567", "SG"},
		{"+12015550123", "US"},
		{"+5491123456789", "AR"},
		{"+447624123456", "IM"},
		{"+447924123456", "GB"},
	} {
		n, err := ParseE164(tc.in)
		if err != nil || n.E164() != tc.in || n.Region() != tc.region {
			t.Errorf("ParseE164(%q) = %q %q, %v; want same in %s", tc.in, n.E164(), n.Region(), err, tc.region)
		}
	}
	for _, in := range []string{
		"",
		"6581234567",        // no +
		"+65 81234567",      // space
		"+65-8123-4567",     // dash
		" +6581234567",      // padding
		"+6581234567 ",      // padding
		"++6581234567",      // two +
		"+0581234567",       // calling codes do not start with 0
		"+1234567",          // 7 digits
		"+1234567890123456", // 16 digits
		"+６５８１２３４５６７",       // full-width digits
		"+6907290",          // Tokelau mobile, 7 digits
		"+658123456",        // right shape, not a SG number
		"+6561234567",       // SG fixed line
		"+18002345678",      // US toll free
		"+80012345678",      // non-geographic (region 001)
		"+4407400123456",    // trunk 0 kept: the library drops it, so not canonical
		"+5215512345678",    // Mexico's retired mobile 1
	} {
		if n, err := ParseE164(in); !errors.Is(err, ErrInvalidMobile) {
			t.Errorf("ParseE164(%q) = %q, %v; want ErrInvalidMobile", in, n.E164(), err)
		}
	}
}

func TestMaskedAndPrefix(t *testing.T) {
	for _, tc := range []struct{ in, masked, prefix string }{
		{"+6581234567", "+65 ****4567", "+658123"},
		{"+12015550123", "+1 ****0123", "+1201555"},
		{"+5491123456789", "+54 ****6789", "+549112345"},
		{"+2348021234567", "+234 ****4567", "+234802123"},
	} {
		n, err := ParseE164(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if n.Masked() != tc.masked || n.Prefix() != tc.prefix {
			t.Errorf("%s: Masked %q Prefix %q, want %q %q", tc.in, n.Masked(), n.Prefix(), tc.masked, tc.prefix)
		}
		// Printing a Number must not leak it into logs.
		if s := fmt.Sprint(n); s != tc.masked {
			t.Errorf("%s prints as %q", tc.in, s)
		}
	}
	var zero Number
	if !zero.IsZero() || zero.Masked() != "" || zero.Prefix() != "" || zero.E164() != "" {
		t.Errorf("zero Number = %q %q %q", zero.E164(), zero.Masked(), zero.Prefix())
	}
}
