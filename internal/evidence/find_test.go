package evidence_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
	"github.com/rebindhq/rebind/internal/token"
)

// created stores an application of class with findings, a second after
// the previous one.
func (f *fixture) created(class evidence.Class, findings ...evidence.Finding) evidence.Application {
	f.t.Helper()
	ctx := context.Background()
	f.clk.Advance(time.Second)
	accountID, flowID := storetest.Account(f.t, f.db), token.NewID()
	exec(f.t, f.db, `INSERT INTO flows (id, kind, account_id, state, created_at, updated_at, expires_at, ip)
		VALUES ($1, 'mobile_reset', $2, 'under_review', 0, 0, 0, '')`, flowID, accountID)
	app := evidence.Application{FlowID: flowID, AccountID: accountID, Class: class, ReferenceCode: "ABCD-EFGH",
		ApplicationDate: "2026-11-30", Deadline: f.clk.Now().Add(time.Hour), Findings: findings}
	err := f.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		app, err = f.s.Create(ctx, tx, app, token.NewID())
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return app
}

// Find narrows the list by class, by a finding's code (exactly: an
// underscore in a code is not LIKE's any character, and a code that is
// only part of another does not match) and by flagged findings, keeps the
// oldest-first order and the cursor, and reads only the state asked for.
func TestFind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		reused := evidence.Finding{Code: "picture_in_other_account", Flag: true, File: "f1", Detail: "looks like another"}
		lookalike := evidence.Finding{Code: "pictureXinXotherXaccount", Detail: "not the same code"}
		longer := evidence.Finding{Code: "picture_in_other_account_too", Detail: "a longer code"}
		matched := evidence.Finding{Code: "transaction_matched", Detail: "on record"}
		a := f.created(evidence.KYC, reused)
		b := f.created(evidence.NonKYCNoRecords, lookalike, longer)
		c := f.created(evidence.NonKYCWithRecords, matched, reused)
		d := f.created(evidence.KYC, matched)
		e := f.created(evidence.KYC)
		if _, ok, err := f.s.End(ctx, db, e.ID, evidence.Ending{State: evidence.Rejected, Reason: "other", By: "x"}); err != nil || !ok {
			t.Fatal(ok, err)
		}
		all := evidence.Page{After: time.UnixMilli(0), Limit: 10}
		for name, c := range map[string]struct {
			filter evidence.Filter
			want   []string
		}{
			"open":         {evidence.Filter{State: evidence.UnderReview}, []string{a.ID, b.ID, c.ID, d.ID}},
			"kyc":          {evidence.Filter{State: evidence.UnderReview, Class: evidence.KYC}, []string{a.ID, d.ID}},
			"reused":       {evidence.Filter{State: evidence.UnderReview, Finding: "picture_in_other_account"}, []string{a.ID, c.ID}},
			"kyc reused":   {evidence.Filter{State: evidence.UnderReview, Class: evidence.KYC, Finding: "picture_in_other_account"}, []string{a.ID}},
			"flagged":      {evidence.Filter{State: evidence.UnderReview, Flagged: true}, []string{a.ID, c.ID}},
			"wildcards":    {evidence.Filter{State: evidence.UnderReview, Finding: "%"}, nil},
			"rejected kyc": {evidence.Filter{State: evidence.Rejected, Class: evidence.KYC}, []string{e.ID}},
		} {
			got, err := f.s.Find(ctx, db, c.filter, all)
			if err != nil {
				t.Fatal(err)
			}
			if ids := idsOf(got); !equal(ids, c.want) {
				t.Errorf("%s: %v, want %v", name, ids, c.want)
			}
		}
		page := evidence.Page{After: a.SubmittedAt, ID: a.ID, Limit: 1}
		got, err := f.s.Find(ctx, db, evidence.Filter{State: evidence.UnderReview, Finding: "picture_in_other_account"}, page)
		if err != nil || !equal(idsOf(got), []string{c.ID}) {
			t.Fatalf("after the first: %v %v", idsOf(got), err)
		}
	})
}

func idsOf(apps []evidence.Application) []string {
	var out []string
	for _, a := range apps {
		out = append(out, a.ID)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
