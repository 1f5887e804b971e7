package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/reset"
)

// Queue fills a dev server's review queue with demo applications: each
// applicant's account (created with its history when missing) submits
// documents drawn for it through the reset service, as a user's would be,
// so the findings are the ones a real submission gets. It works in dev
// mode only.
type Queue struct {
	Reset  *reset.Service
	Hasher *password.Hasher
	// Dev is true in dev mode; Seed does nothing without it.
	Dev bool
}

// reusedBy is the applicant that sends applicant 0's selfie as its own
// (kyc-applicant-2 sends kyc-applicant-1's), so the queue shows a picture
// seen in another account.
const reusedBy = 3

// Made counts what Seed did.
type Made struct {
	Accounts     int // applicant accounts created
	Applications int // applications submitted
	Skipped      int // applicants that had an application already
	ByClass      map[evidence.Class]int
}

// Seed submits an application for each applicant first … first+n-1 that
// has none yet, whatever its state: once a reviewer decides the demo ones,
// a restart does not bring them back. The applications are dated before
// now as ApplicantAt says (Submit runs with its clock set there); their
// messages and audit events carry the time they were made.
func (q *Queue) Seed(ctx context.Context, first, n int, now time.Time) (Made, error) {
	made := Made{ByClass: map[evidence.Class]int{}}
	if !q.Dev {
		return made, apperr.New(apperr.Forbidden, "demo applications are made in dev mode only")
	}
	var hashed string
	hash := func() (string, error) { // once, and only if an account is missing
		var err error
		if hashed == "" {
			hashed, err = q.Hasher.Hash(ctx, BulkPassword)
		}
		return hashed, err
	}
	for k := first; k < first+n; k++ {
		if err := q.one(ctx, k, now, hash, &made); err != nil {
			return made, fmt.Errorf("demo: application of %s: %w", ApplicantEmail(k), err)
		}
	}
	return made, nil
}

func (q *Queue) one(ctx context.Context, k int, now time.Time, hash func() (string, error), made *Made) error {
	r := q.Reset
	a := ApplicantAt(k, now, r.Review.Deadline)
	id, created, err := applicantAccount(ctx, r.DB, r.Accounts, a, hash)
	if err != nil {
		return err
	}
	if created {
		made.Accounts++
	}
	if apps, err := r.Evidence.ByAccount(ctx, r.DB, id); err != nil || len(apps) > 0 {
		if err == nil {
			made.Skipped++
		}
		return err
	}
	flowID, docs, err := r.OpenForDemo(ctx, q.Dev, id, a.SubmittedAt)
	if err != nil {
		return err
	}
	kit, err := q.kit(ctx, a, id, docs)
	if err != nil {
		return err
	}
	pics, txs := kit.evidence()
	at := *r
	at.Clock = fixedClock(a.SubmittedAt)
	if _, err := at.Submit(ctx, flowID, pics, txs); err != nil {
		return err
	}
	made.Applications++
	made.ByClass[docs.Class]++
	return nil
}

// kit reads what applicant a's evidence is drawn from.
func (q *Queue) kit(ctx context.Context, a Applicant, id string, docs reset.Documents) (kit, error) {
	r := q.Reset
	acc, err := r.Accounts.ByID(ctx, r.DB, id)
	if err != nil {
		return kit{}, err
	}
	k := kit{k: a.Index, variant: a.Variant, brand: r.Brand, address: acc.Email, registered: acc.RegisteredAt, at: a.SubmittedAt, docs: docs}
	if k.deposits, err = r.Accounts.RecentTransfers(ctx, r.DB, id, "deposit", 5); err != nil {
		return kit{}, err
	}
	if k.withdrawals, err = r.Accounts.RecentTransfers(ctx, r.DB, id, "withdrawal", 5); err != nil {
		return kit{}, err
	}
	if k.logins, err = r.Accounts.RecentLogins(ctx, r.DB, id, 1); err != nil {
		return kit{}, err
	}
	if a.Index == reusedBy && docs.Class == evidence.KYC {
		k.reused, err = q.selfieOf(ctx, 0)
	}
	return k, err
}

// selfieOf draws applicant k's selfie again from its application (nil
// when it has none): the same pixels, so the same perceptual hash.
func (q *Queue) selfieOf(ctx context.Context, k int) ([]byte, error) {
	r := q.Reset
	acc, err := r.Accounts.ByEmail(ctx, r.DB, ApplicantEmail(k))
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	apps, err := r.Evidence.ByAccount(ctx, r.DB, acc.ID)
	if err != nil || len(apps) == 0 {
		return nil, err
	}
	app := apps[len(apps)-1] // the oldest: the demo's own
	if app.Class != evidence.KYC {
		return nil, nil
	}
	st := selfieStatement(app.StatementPhrase, app.ApplicationDate, app.ReferenceCode)
	return drawSelfie(k, k/3, st, app.SubmittedAt), nil
}

// Next is the first applicant with no account, where a run that adds
// applications starts.
func (q *Queue) Next(ctx context.Context) (int, error) {
	for k := 0; ; k++ {
		_, err := q.Reset.Accounts.ByEmail(ctx, q.Reset.DB, ApplicantEmail(k))
		if apperr.Is(err, apperr.NotFound) {
			return k, nil
		}
		if err != nil {
			return 0, err
		}
	}
}
