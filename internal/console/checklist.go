package console

import (
	"net/url"
	"strings"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/evidence"
)

// Check is one item a reviewer confirms before approving.
type Check struct {
	ID, Text string
}

// checklist is what the reviewer confirms for class c: the help-center
// article's requirements for that class, as checks on the pictures. Every
// item must be ticked to approve; the server enforces it (checkedAll).
func checklist(c evidence.Class, brand string) []Check {
	emails := []Check{
		{"email_from_exchange", "Every email screenshot shows a message " + brand + " sent, not one from someone else"},
		{"email_address_and_body", "Each email screenshot shows the account's email address and the body of the message"},
	}
	switch c {
	case evidence.KYC:
		return []Check{
			{"face_shoulders", "The whole face and both shoulders are inside the photo"},
			{"holds_id_and_statement", "The person holds their ID document and a handwritten statement"},
			{"id_text", "Every piece of text on the ID can be read"},
			{"face_matches_id", "The face is the one on the ID's photo"},
			{"statement_text", "The statement carries the phrase, the application date and the reference code shown beside the photo"},
		}
	case evidence.NonKYCNoRecords:
		return append(emails,
			Check{"email_kind_signup_login", "Each email is a notice of a successful signup or a successful login: no other kind counts for this class"})
	case evidence.NonKYCWithRecords:
		return append(emails,
			Check{"email_kind_with_records", "Each email is a notice of a deposit, a withdrawal, a successful signup or a successful login"},
			Check{"counterparty", "Each transaction screenshot comes from the other side's app or website (where a deposit was sent, where a withdrawal arrived), not from a mailbox or a block explorer"},
			Check{"transaction_details", "Each transaction screenshot shows the coin, the amount, the address and the TXID, and they agree with the account's records"})
	}
	return nil
}

// checkedAll refuses an approval whose form does not tick every item of
// items (field check, one value per item ticked): the browser's required
// boxes are a convenience, this is the rule.
func checkedAll(form url.Values, items []Check) error {
	ticked := map[string]bool{}
	for _, id := range form["check"] {
		ticked[id] = true
	}
	var missing []string
	for _, c := range items {
		if !ticked[c.ID] {
			missing = append(missing, "\u201c"+c.Text+"\u201d")
		}
	}
	if len(missing) > 0 {
		return apperr.New(apperr.InvalidRequest, "Tick every item of the checklist to approve. Not ticked: "+strings.Join(missing, "; ")+".").
			With("field", "check")
	}
	return nil
}
