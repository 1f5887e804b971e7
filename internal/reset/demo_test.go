package reset_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// OpenForDemo refuses outside dev mode and for an account without a bound
// mobile; in dev mode it leaves a reset waiting for its method with a
// reference code and the date given, no code sent, audited as the dev
// actor's, and documents can be submitted on it.
func TestOpenForDemo(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		ctx := context.Background()
		id := s.CreateAccount(t, "demo-applicant@example.com", pw, "+6581230077", false)
		noMobile := s.CreateAccount(t, "no-mobile@example.com", pw, "", false)
		date := time.Date(2025, 3, 14, 22, 0, 0, 0, time.UTC)
		if _, _, err := s.Reset.OpenForDemo(ctx, false, id, date); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("outside dev mode: %v", err)
		}
		if _, _, err := s.Reset.OpenForDemo(ctx, true, noMobile, date); !apperr.Is(err, apperr.WrongState) {
			t.Fatalf("without a mobile: %v", err)
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM flows"); n != 0 {
			t.Fatalf("refusals left %d flows", n)
		}
		flowID, docs, err := s.Reset.OpenForDemo(ctx, true, id, date)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$`).MatchString(docs.ReferenceCode) || docs.ApplicationDate != "2025-03-14" ||
			docs.Class != evidence.NonKYCNoRecords || docs.StatementPhrase != evidence.StatementPhrase("Rebind") {
			t.Fatalf("documents: %+v", docs)
		}
		if v, err := s.Reset.Status(ctx, flowID); err != nil || v.State != reset.MethodRequired {
			t.Fatalf("status %+v, %v", v, err)
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM codes"); n != 0 {
			t.Errorf("%d codes sent", n)
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM audit_events WHERE action = 'mobile_reset_started' AND actor = 'dev' AND flow_id = $1", flowID); n != 1 {
			t.Errorf("%d dev-started reset events", n)
		}
		sub, err := s.Reset.Submit(ctx, flowID, []reset.Picture{{Kind: evidence.EmailScreenshot, Data: apptest.Picture(t, 1, 480, 480)}}, nil)
		if err != nil || sub.Application.ReferenceCode != docs.ReferenceCode || sub.Application.ApplicationDate != "2025-03-14" {
			t.Fatalf("submit: %+v, %v", sub.Application, err)
		}
	})
}
