package console

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/evidence"
)

// funcs are the console's template helpers.
var funcs = template.FuncMap{
	"finding": findingLabel,
	"kind":    kindName,
	"class":   className,
	"action":  actionName,
	"age":     age,
	"hours":   func(d time.Duration) string { return fmt.Sprintf("%g h", d.Hours()) },
	"day":     func(t time.Time) string { return t.UTC().Format("2006-01-02") },
}

// findingLabels name the findings a reviewer meets most, in a few words
// for the queue. Codes not listed here (new checks add their own) are
// shown as their code with spaces, so a new finding needs no change here.
var findingLabels = map[string]string{
	"picture_in_other_account":           "photo seen in another account",
	"picture_from_rejected_application":  "photo from a rejected application",
	"captured_far_from_application":      "taken long before or after",
	"software_named":                     "editing software named",
	"no_camera_metadata":                 "no camera data",
	"location_removed":                   "location removed",
	"transaction_matched":                "TXID matched",
	"transaction_not_found":              "TXID not on record",
	"transaction_coin_differs":           "coin differs from the record",
	"transaction_amount_differs":         "amount differs from the record",
	"screenshot_block_explorer":          "looks like a block explorer",
	"screenshot_inbox":                   "looks like a mailbox list",
	"screenshot_email_not_found":         "email address not read",
	"screenshot_email_found":             "email address read",
	"screenshot_email_kind_not_accepted": "notification of a kind not accepted",
	"ocr_unavailable":                    "screenshots not read (no OCR)",
}

func findingLabel(code string) string {
	if l, ok := findingLabels[code]; ok {
		return l
	}
	return strings.ReplaceAll(code, "_", " ")
}

func kindName(k evidence.Kind) string {
	switch k {
	case evidence.SelfieWithStatement:
		return "selfie with ID and statement"
	case evidence.EmailScreenshot:
		return "email screenshot"
	case evidence.TransactionScreenshot:
		return "transaction screenshot"
	}
	return string(k)
}

func className(c evidence.Class) string {
	switch c {
	case evidence.KYC:
		return "KYC: selfie"
	case evidence.NonKYCNoRecords:
		return "no KYC, no records: emails"
	case evidence.NonKYCWithRecords:
		return "no KYC, records: emails and transactions"
	}
	return string(c)
}

// actionNames word the events of an application's history.
var actionNames = map[string]string{
	string(audit.ApplicationSubmitted):     "submitted",
	string(audit.ApplicationClaimed):       "claimed",
	string(audit.ApplicationReleased):      "claim released",
	string(audit.DocumentViewed):           "picture viewed",
	string(audit.ApplicationFirstApproval): "first approval",
	string(audit.ApplicationApproved):      "approved",
	string(audit.ApplicationRejected):      "rejected",
	string(audit.ApplicationCancelled):     "cancelled with its reset",
	string(audit.ApplicationExpired):       "expired undecided",
}

func actionName(a string) string {
	if n, ok := actionNames[a]; ok {
		return n
	}
	return strings.ReplaceAll(a, "_", " ")
}

// age writes d in the two largest units: "45 min", "3 h 12 min", "2 d 4 h".
func age(d time.Duration) string {
	d = max(d, 0).Truncate(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d/time.Hour)%24, int(d/time.Minute)%60
	switch {
	case days > 0:
		return fmt.Sprintf("%d d %d h", days, hours)
	case hours > 0:
		return fmt.Sprintf("%d h %d min", hours, mins)
	}
	return fmt.Sprintf("%d min", mins)
}

// Urgency is how an open application's age stands against the review
// target: fresh under half of it, due under it, late past it.
type Urgency string

// The urgencies, each a CSS class of the age.
const (
	Fresh Urgency = "fresh"
	Due   Urgency = "due"
	Late  Urgency = "late"
)

func urgency(waited, target time.Duration) Urgency {
	switch {
	case waited < target/2:
		return Fresh
	case waited < target:
		return Due
	}
	return Late
}

// summary is an application's findings in a few words for the queue: how
// many typed TXIDs matched, then each kind of flagged finding once.
func summary(app evidence.Application) []string {
	var out []string
	if n := len(app.Transactions); n > 0 {
		m := 0
		for _, t := range app.Transactions {
			if t.Match == evidence.MatchExact {
				m++
			}
		}
		out = append(out, fmt.Sprintf("TXID matched %d/%d", m, n))
	}
	seen := map[string]bool{}
	for _, f := range app.Findings {
		// The typed transactions' findings are the count above.
		if !f.Flag || seen[f.Code] || strings.HasPrefix(f.Code, "transaction_") {
			continue
		}
		seen[f.Code] = true
		out = append(out, findingLabel(f.Code))
	}
	return out
}

func flags(fs []evidence.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Flag {
			n++
		}
	}
	return n
}
