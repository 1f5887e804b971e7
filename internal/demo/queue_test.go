package demo_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/demo"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/ocr"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// The demo queue of a dev server's start: an open application of each
// applicant, two of each class, dated hours to days ago, with pictures;
// the findings at submission show the TXIDs typed matched with the
// records, a mistyped amount, and kyc-applicant-2's selfie as a picture of
// another account (kyc-applicant-1's). Seeding again makes nothing; outside
// dev mode nothing is made. Then (on SQLite: OCR is the same on both, and
// takes seconds) the screenshots are read, and the share of applications
// with a finding for the reviewer is at least 80 %.
func TestDemoQueue(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		ctx := context.Background()
		now := time.Now()
		q := demo.Queue{Reset: s.Reset, Hasher: s.Hasher}
		if _, err := q.Seed(ctx, 0, demo.StartApplicants, now); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("outside dev mode: %v", err)
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM accounts"); n != 0 {
			t.Fatalf("outside dev mode %d accounts were made", n)
		}
		q.Dev = true
		made, err := q.Seed(ctx, 0, demo.StartApplicants, now)
		if err != nil || made.Applications != 6 || made.Accounts != 6 || made.Skipped != 0 {
			t.Fatalf("seed: %+v, %v", made, err)
		}
		apps := openByEmail(t, s, now)
		checkQueue(t, apps, now)
		again, err := q.Seed(ctx, 0, demo.StartApplicants, now.Add(time.Hour))
		if err != nil || again.Applications != 0 || again.Accounts != 0 || again.Skipped != 6 {
			t.Fatalf("seed again: %+v, %v", again, err)
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM applications"); n != 6 {
			t.Fatalf("%d applications after seeding twice", n)
		}
		if s.DB.Dialect != store.SQLite {
			return
		}
		requireOCR(t)
		if n, err := s.Reset.ReadPending(ctx); err != nil || n != 6 {
			t.Fatalf("read %d applications: %v", n, err)
		}
		apps = openByEmail(t, s, now)
		checkRead(t, apps)
		withFinding := 0
		for _, a := range apps {
			if len(reviewerFindings(a)) > 0 {
				withFinding++
			}
		}
		share := float64(withFinding) / float64(len(apps))
		t.Logf("demo applications with at least one finding for the reviewer: %d of %d (%.0f %%)", withFinding, len(apps), 100*share)
		if share < 0.8 {
			t.Errorf("%.0f %% of the demo applications carry a finding; the goal is at least 80 %%", 100*share)
		}
	})
}

// checkQueue checks the applications as submitted.
func checkQueue(t *testing.T, apps map[string]evidence.Application, now time.Time) {
	t.Helper()
	classes := map[evidence.Class]int{}
	var ages []time.Duration
	for email, a := range apps {
		classes[a.Class]++
		ages = append(ages, now.Sub(a.SubmittedAt).Round(time.Hour))
		if len(a.Files) == 0 || a.ReferenceCode == "" || a.ApplicationDate != a.SubmittedAt.UTC().Format(time.DateOnly) {
			t.Errorf("%s: %d pictures, reference %q, date %s submitted %s", email, len(a.Files), a.ReferenceCode, a.ApplicationDate, a.SubmittedAt)
		}
	}
	if classes[evidence.KYC] != 2 || classes[evidence.NonKYCWithRecords] != 2 || classes[evidence.NonKYCNoRecords] != 2 {
		t.Errorf("classes %v, want two of each", classes)
	}
	slices.Sort(ages)
	if len(slices.Compact(ages)) != 6 || ages[0] < time.Hour || ages[5] <= 72*time.Hour {
		t.Errorf("ages %v: want six different ones, from hours to past the 72 hours of the review time", ages)
	}
	want := map[string][]string{
		"kyc-applicant-1@demo.rebind.invalid":     nil,
		"kyc-applicant-2@demo.rebind.invalid":     {"picture_in_other_account"},
		"records-applicant-1@demo.rebind.invalid": {"transaction_matched", "transaction_matched"},
		"records-applicant-2@demo.rebind.invalid": {"transaction_amount_differs"},
	}
	for email, codesWanted := range want {
		got := codes(apps[email].Findings, "picture_in_other_account", "transaction_")
		if !slices.Equal(got, codesWanted) {
			t.Errorf("%s: findings %v, want %v", email, got, codesWanted)
		}
	}
	for email, a := range apps {
		if _, listed := want[email]; !listed && len(codes(a.Findings, "picture_in_other_account")) > 0 {
			t.Errorf("%s: a picture was taken for another account's: %+v", email, a.Findings)
		}
	}
}

// checkRead checks what OCR read: the TXIDs typed shown on the
// transaction screenshots, the account's address on its own emails (not
// on another person's), a mailbox's list and a block explorer's page.
func checkRead(t *testing.T, apps map[string]evidence.Application) {
	t.Helper()
	want := map[string][]string{
		"records-applicant-1@demo.rebind.invalid":   {"screenshot_email_found", "screenshot_email_found", "screenshot_txid_matched"},
		"records-applicant-2@demo.rebind.invalid":   {"screenshot_email_found", "screenshot_txid_matched"},
		"norecords-applicant-1@demo.rebind.invalid": {"screenshot_email_found", "screenshot_email_found"},
		"norecords-applicant-2@demo.rebind.invalid": {"screenshot_email_found", "screenshot_inbox"},
	}
	for email, codesWanted := range want {
		got := codes(apps[email].Findings, "screenshot_email_found", "screenshot_inbox", "screenshot_txid_matched")
		for _, c := range codesWanted {
			i := slices.Index(got, c)
			if i < 0 {
				t.Errorf("%s: read %v, want %v among them", email, got, codesWanted)
				break
			}
			got = slices.Delete(got, i, i+1)
		}
	}
}

// openByEmail returns the open applications by their account's email.
func openByEmail(t *testing.T, s *apptest.Server, now time.Time) map[string]evidence.Application {
	t.Helper()
	ctx := context.Background()
	list, err := s.Evidence.List(ctx, s.DB, evidence.UnderReview, evidence.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]evidence.Application{}
	for _, a := range list {
		acc, err := s.Accounts.ByID(ctx, s.DB, a.AccountID)
		if err != nil {
			t.Fatal(err)
		}
		if a, err = s.Evidence.Get(ctx, s.DB, a.ID); err != nil || !a.Open(now) {
			t.Fatalf("%s: %+v, %v", acc.Email, a, err)
		}
		out[acc.Email] = a
	}
	return out
}

// codes lists the codes of fs that start with one of prefixes, sorted.
func codes(fs []evidence.Finding, prefixes ...string) []string {
	var out []string
	for _, f := range fs {
		for _, p := range prefixes {
			if len(f.Code) >= len(p) && f.Code[:len(p)] == p {
				out = append(out, f.Code)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// reviewerFindings are a's findings that tell the reviewer something about
// the evidence: not those that say a reading could not be done.
func reviewerFindings(a evidence.Application) []evidence.Finding {
	var out []evidence.Finding
	for _, f := range a.Findings {
		if f.Code != "ocr_unavailable" && f.Code != "screenshot_not_read" {
			out = append(out, f)
		}
	}
	return out
}

func requireOCR(t *testing.T) {
	t.Helper()
	if ocr.New(ocr.Config{}).Available() {
		return
	}
	if os.Getenv("REBIND_TEST_REQUIRE_TESSERACT") != "" {
		t.Fatal("tesseract is not installed and REBIND_TEST_REQUIRE_TESSERACT is set")
	}
	t.Skip("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-eng); set REBIND_TEST_REQUIRE_TESSERACT=1 to fail instead")
}
