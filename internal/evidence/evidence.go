// Package evidence keeps what a user sends to reset mobile verification by
// documents (SPEC §3.2 step 4, §3.5): what each class of account must send,
// the pictures (sealed through internal/blob), the application that staff
// review, the findings computed when it is submitted, and how it ends:
// approved, rejected, cancelled with its flow, or expired at its deadline.
// The reset procedure decides when each of these happens; this package
// stores them, each end in one conditional statement.
package evidence

import (
	"time"

	"github.com/rebindhq/rebind/internal/upload"
)

// Class is which evidence an account must send.
type Class string

// The classes (SPEC §3.2 step 4).
const (
	KYC               Class = "kyc"                 // KYC verified
	NonKYCNoRecords   Class = "nonkyc_no_records"   // no deposit or withdrawal ever
	NonKYCWithRecords Class = "nonkyc_with_records" // deposits or withdrawals on record
)

// Kind is what a picture shows; a multipart part is named by it.
type Kind string

// The kinds of picture.
const (
	SelfieWithStatement   Kind = "selfie_with_statement"
	EmailScreenshot       Kind = "email_screenshot"
	TransactionScreenshot Kind = "transaction_screenshot"
)

// Item is how many pictures of one kind a class needs.
type Item struct {
	Kind     Kind
	Min, Max int
}

// Items returns what class c must send, in the order to ask for it.
func Items(c Class) []Item {
	switch c {
	case KYC:
		return []Item{{SelfieWithStatement, 1, 3}}
	case NonKYCNoRecords:
		return []Item{{EmailScreenshot, 1, 6}}
	case NonKYCWithRecords:
		return []Item{{EmailScreenshot, 1, 5}, {TransactionScreenshot, 1, 5}}
	}
	return nil
}

// NeedsTransactions reports whether class c types the transactions its
// screenshots show, to be matched with the account's records.
func NeedsTransactions(c Class) bool { return c == NonKYCWithRecords }

// MaxTransactions bounds the transactions one application may type.
const MaxTransactions = 10

// MinSide is the shortest side, in pixels, of a picture staff can read.
const MinSide = 400

// State is where an application stands.
type State string

// The states. Only UnderReview is open.
const (
	UnderReview State = "under_review"
	Approved    State = "approved"
	Rejected    State = "rejected"
	Cancelled   State = "cancelled"
	Expired     State = "expired"
)

// Reasons for a rejection (SPEC §5), with the words the user reads.
var Reasons = map[string]string{
	"face_not_visible":           "Your face and shoulders were not fully visible in the photo.",
	"id_unreadable":              "The text of your ID document could not be read in the photo.",
	"statement_missing_or_wrong": "The handwritten statement was missing, or did not show the phrase, the date and the reference code exactly.",
	"screenshot_not_accepted":    "A screenshot was not of the kind we accept (for example, it was taken from a mailbox list or a block explorer).",
	"records_do_not_match":       "The transactions in your screenshots did not match your account's records.",
	"other":                      "Our staff could not accept the documents.",
}

// Transaction is one transaction a user typed, and how it compared with the
// account's records.
type Transaction struct {
	TXID   string `json:"txid"`
	Coin   string `json:"coin"`
	Amount string `json:"amount"`
	// Match is set at submission: one of the Match* values.
	Match string `json:"match"`
	// Direction is the matched record's: deposit or withdrawal.
	Direction string `json:"direction,omitempty"`
	// Recorded is the matched record's amount, when it differs.
	Recorded string `json:"recorded,omitempty"`
}

// How a typed transaction compares with the records.
const (
	MatchExact         = "matched"
	MatchNone          = "not_found"
	MatchCoinDiffers   = "coin_differs"
	MatchAmountDiffers = "amount_differs"
)

// Finding is something the server noticed that a reviewer should weigh.
type Finding struct {
	Code string `json:"code"`
	// Flag marks a finding that speaks against the application.
	Flag bool `json:"flag"`
	// File is the picture it is about, if any.
	File   string `json:"file,omitempty"`
	Detail string `json:"detail"`
}

// File is one uploaded picture, as stored.
type File struct {
	ID, FlowID, AccountID string
	ApplicationID         string // empty until submitted
	Kind                  Kind
	BlobID                string
	MIME                  string
	Width, Height         int
	SHA256                string
	PHash                 uint64
	Meta                  upload.Findings
	CreatedAt             time.Time
}

// Application is one submission of evidence.
type Application struct {
	ID, FlowID, AccountID string
	Class                 Class
	State                 State
	// StatementPhrase, ReferenceCode and ApplicationDate (YYYY-MM-DD,
	// UTC) are what a KYC user writes on the statement, as they were asked
	// for (a later change of brand does not change them).
	StatementPhrase, ReferenceCode, ApplicationDate string
	SubmittedAt, Deadline                           time.Time
	EndedAt                                         time.Time // zero while under review
	// Reason, Note and DecidedBy are set by a decision.
	Reason, Note, DecidedBy string
	// ClaimedBy is the staff member working on it since ClaimedAt (the
	// claim lapses after ClaimLapse idle); FirstApprovalBy gave the first
	// of two approvals, for an account that needs two.
	ClaimedBy, FirstApprovalBy string
	ClaimedAt, FirstApprovalAt time.Time
	Transactions               []Transaction
	// Findings are those computed at submission, then those of the
	// screenshots' reading, appended once it is done (Reading).
	Findings []Finding
	// Reading is ReadPending while the screenshots wait to be read by
	// OCR in the background, ReadDone after.
	Reading string
	Files   []File
}

// The states of an application's reading.
const (
	ReadPending = "pending"
	ReadDone    = "done"
)

// Open reports whether the application awaits a decision at now.
func (a Application) Open(now time.Time) bool {
	return a.State == UnderReview && now.Before(a.Deadline)
}

// Shown is the state to show: Expired for one under review past its
// deadline that the janitor has not yet ended.
func (a Application) Shown(now time.Time) State {
	if a.State == UnderReview && !now.Before(a.Deadline) {
		return Expired
	}
	return a.State
}

// StatementPhrase is the phrase a KYC user writes by hand.
func StatementPhrase(brand string) string { return "Apply to reset Mobile on " + brand }
