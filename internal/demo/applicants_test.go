package demo

import (
	"slices"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/phone"
)

// Applicants take the classes in turn, with the history their class
// needs; their numbers are valid mobiles, none a named account's or in a
// bulk range; their applications are dated before now and before the
// review deadline would end them, the first six as the queue's spread.
func TestApplicants(t *testing.T) {
	deadline := 7 * 24 * time.Hour
	named := map[string]bool{}
	for _, n := range NamedAccounts(testNow) {
		named[n.Mobile] = true
	}
	seen := map[string]bool{}
	for k := range 300 {
		a := ApplicantAt(k, testNow, deadline)
		records := len(a.Activity.Deposits)+len(a.Activity.Withdrawals) > 0
		switch {
		case a.Class != []evidence.Class{evidence.KYC, evidence.NonKYCWithRecords, evidence.NonKYCNoRecords}[k%3]:
			t.Fatalf("applicant %d is of class %s", k, a.Class)
		case a.KYC != (a.Class == evidence.KYC), a.Class == evidence.NonKYCWithRecords && len(a.Activity.Deposits) < 3,
			a.Class == evidence.NonKYCNoRecords && records:
			t.Fatalf("%s: KYC %v, %d deposits, %d withdrawals", a.Email, a.KYC, len(a.Activity.Deposits), len(a.Activity.Withdrawals))
		case !a.SubmittedAt.Before(testNow) || testNow.Sub(a.SubmittedAt) > deadline*3/4:
			t.Fatalf("%s submitted %s before now", a.Email, testNow.Sub(a.SubmittedAt))
		case a.Activity.Validate(a.SubmittedAt) != nil:
			t.Fatalf("%s: %v", a.Email, a.Activity.Validate(a.SubmittedAt))
		}
		if _, err := phone.ParseE164(a.Mobile); err != nil || seen[a.Mobile] || named[a.Mobile] {
			t.Fatalf("%s: %s: %v, or taken", a.Email, a.Mobile, err)
		}
		for _, c := range DefaultPopulation().Countries {
			if c.Mobile.Contains(a.Mobile) {
				t.Fatalf("%s: %s lies in the bulk range of %s", a.Email, a.Mobile, c.Code)
			}
		}
		seen[a.Mobile] = true
	}
	if got := []string{ApplicantEmail(0), ApplicantEmail(4), ApplicantEmail(8)}; !slices.Equal(got,
		[]string{"kyc-applicant-1@" + Domain, "records-applicant-2@" + Domain, "norecords-applicant-3@" + Domain}) {
		t.Errorf("emails %v", got)
	}
	var ages []time.Duration
	for k := range StartApplicants {
		ages = append(ages, testNow.Sub(ApplicantAt(k, testNow, deadline).SubmittedAt))
	}
	if !slices.Equal(ages, startAges) {
		t.Errorf("ages at start %v, want %v", ages, startAges)
	}
	if short := ApplicantAt(1, testNow, 48*time.Hour); testNow.Sub(short.SubmittedAt) != 36*time.Hour {
		t.Errorf("with a 48 h deadline the 80 h old application is dated %s ago", testNow.Sub(short.SubmittedAt))
	}
}

// A mistyped amount differs from the typed one in its last digit, and
// never by a trailing zero.
func TestMistype(t *testing.T) {
	for in, want := range map[string]string{"0.052": "0.055", "8.5": "8.8", "587.35": "587.38", "12": "15", "0.0007": "0.0001", "1.9": "1.3"} {
		if got := mistype(in); got != want {
			t.Errorf("mistype(%q) = %q, want %q", in, got, want)
		}
	}
}
