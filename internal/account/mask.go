package account

import (
	"strings"

	"github.com/rebindhq/rebind/internal/phone"
)

// MaskedMobile returns the bound number as it may be shown, "+65 ****5678",
// or "" when none is bound.
func (a Account) MaskedMobile() string { return MaskMobile(a.Mobile) }

// MaskMobile masks a stored E.164 number. A number that no longer parses
// (the numbering plan changed) is still masked, by its last four digits.
func MaskMobile(e164 string) string {
	if e164 == "" {
		return ""
	}
	if n, err := phone.ParseE164(e164); err == nil {
		return n.Masked()
	}
	if len(e164) <= 4 {
		return "****"
	}
	return "****" + e164[len(e164)-4:]
}

// MaskEmail shows the first letter of the local part and the domain:
// "a****@example.com".
func MaskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "****"
	}
	return local[:1] + "****@" + domain
}
