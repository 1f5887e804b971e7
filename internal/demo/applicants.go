package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/store"
)

// Applicants are the demo accounts whose document applications fill the
// review queue in dev mode: kyc-applicant-N, records-applicant-N and
// norecords-applicant-N, one of each class in turn. They are kept apart
// from the named accounts (alice, carol, dave), so testers can still run
// their own resets with those.

// applicantSeed fixes the applicants' histories and pictures.
const applicantSeed = 0x6170_706c_6963

// StartApplicants is how many applicants the dev server seeds at start:
// two of each class.
const StartApplicants = 6

// applicantMobiles hold the applicants' numbers: UK mobiles (07400) above
// carol's, outside every bulk range.
var applicantMobiles = MobileRange{Prefix: "+447400", Digits: 6, First: 200_000, Count: 800_000}

// applicantClasses are the classes in the order applicants take them, with
// the word that names their accounts.
var applicantClasses = []struct {
	class evidence.Class
	slug  string
}{{evidence.KYC, "kyc"}, {evidence.NonKYCWithRecords, "records"}, {evidence.NonKYCNoRecords, "norecords"}}

// startAges are how long ago the applicants seeded at start submitted: a
// spread around the default review time of 72 hours, so the queue shows
// fresh, ageing and late applications.
var startAges = []time.Duration{50 * time.Hour, 80 * time.Hour, 30 * time.Hour, 3 * time.Hour, 20 * time.Hour, 6 * time.Hour}

// Applicant is demo applicant k as it would be created.
type Applicant struct {
	Generated
	Index int
	Class evidence.Class
	// Variant picks the evidence among the class's recipes.
	Variant int
	// SubmittedAt is when its application is dated.
	SubmittedAt time.Time
}

// ApplicantEmail is the email of applicant k.
func ApplicantEmail(k int) string {
	return fmt.Sprintf("%s-applicant-%d@%s", applicantClasses[k%3].slug, k/3+1, Domain)
}

// ApplicantAt returns applicant k (0 ≤ k < the mobile range's size) for an
// application submitted before now, no earlier than deadline allows: its
// history ends an hour before it submitted, when it had lost its phone.
func ApplicantAt(k int, now time.Time, deadline time.Duration) Applicant {
	rng := RNG(applicantSeed, k)
	age := time.Duration(10*60+rng.Int64N(6*24*3600)) * time.Second
	if k < len(startAges) {
		age = startAges[k]
	}
	age = min(age, deadline*3/4)
	at := now.Add(-age).UTC().Truncate(time.Millisecond)
	c := applicantClasses[k%3].class
	g, _ := DefaultPopulation().generate(rng, at.Add(-time.Hour), applicantTraits(c, rng))
	g.Email, g.Mobile, g.Password = ApplicantEmail(k), applicantMobiles.ForIndex(k), BulkPassword
	return Applicant{Generated: g, Index: k, Class: c, Variant: k / 3, SubmittedAt: at}
}

// applicantTraits make an account of class c with history enough for the
// console's account facts.
func applicantTraits(c evidence.Class, rng *rand.Rand) traits {
	t := traits{mobile: true, min: floors{markets: 1, assets: 1, logins: 6}}
	switch c {
	case evidence.KYC:
		t.kyc, t.transfers = true, rng.IntN(3) > 0
	case evidence.NonKYCWithRecords:
		t.transfers, t.min.deposits, t.min.addresses = true, 3, 1
	}
	return t
}

// applicantAccount returns the id of a's account, creating it (with its
// history, under the bulk password's hash) when it does not exist; made
// reports whether it did.
func applicantAccount(ctx context.Context, db *store.DB, accounts *account.Store, a Applicant, hash func() (string, error)) (id string, made bool, err error) {
	if acc, err := accounts.ByEmail(ctx, db, a.Email); err == nil {
		return acc.ID, false, nil
	} else if !apperr.Is(err, apperr.NotFound) {
		return "", false, fmt.Errorf("demo: look up %s: %w", a.Email, err)
	}
	h, err := hash()
	if err != nil {
		return "", false, err
	}
	ids, err := Insert(ctx, db, []Generated{a.Generated}, h)
	if apperr.Is(err, apperr.Conflict) { // another instance made it meanwhile
		acc, lookupErr := accounts.ByEmail(ctx, db, a.Email)
		if lookupErr == nil {
			return acc.ID, false, nil
		}
	}
	if err != nil {
		return "", false, fmt.Errorf("demo: create %s: %w", a.Email, err)
	}
	return ids[0], true, nil
}
