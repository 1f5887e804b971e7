package console_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/staff"
)

// rowOf returns the queue's row of application id, or "".
func rowOf(page, id string) string {
	for _, row := range strings.Split(page, `<li class="app"`)[1:] {
		if strings.Contains(row, `data-application="`+id+`"`) {
			return row[:strings.Index(row, "</li>")]
		}
	}
	return ""
}

// listed returns which of ids the queue page lists, in its order.
func listed(page string, ids ...string) []string {
	var out []string
	for _, row := range strings.Split(page, `<li class="app"`)[1:] {
		for _, id := range ids {
			if strings.Contains(row, `data-application="`+id+`"`) {
				out = append(out, id)
			}
		}
	}
	return out
}

func same(got []string, want ...string) bool {
	return strings.Join(got, ",") == strings.Join(want, ",")
}

// The queue lists open applications oldest first with their age coloured
// against the review target (72 h: green under 36 h, amber under 72 h,
// red past it), class, email (masked for a reviewer, SEC-DATA-7, in full
// for a supervisor), a summary of findings and the claim; filters by
// class, finding code and flags narrow it; the cursor pages it; decided
// applications are for supervisors only; bad parameters are 400.
func TestQueue(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, clk := fakeServer(t, opts)
		a := s.KYCApplication(t, "ann@example.com", pw, "+6581230101", 1)
		clk.Advance(40 * time.Hour)
		b := emailsApplication(t, s, "bea@example.com", "+6581230102", 7)
		clk.Advance(time.Hour)
		c := s.KYCApplication(t, "cid@example.com", pw, "+6581230103", 1) // ann's photo again
		// A minute apart: two submitted at one instant are ordered by id.
		clk.Advance(time.Minute)
		d := recordsApplication(t, s, "dan@example.com", "+6581230104", 3, true)
		rev := newDesk(t, s, "rev@example.com", staff.Reviewer)
		sup := newDesk(t, s, "sup@example.com", staff.Supervisor)
		rev.must(303, appPath(d.ID, "/claim"), nil)

		_, page := rev.get("/staff")
		if got := listed(page, a.ID, b.ID, c.ID, d.ID); !same(got, a.ID, b.ID, c.ID, d.ID) {
			t.Fatalf("order %v\n%s", got, page)
		}
		for id, want := range map[string][]string{
			a.ID: {"age-due", "KYC: selfie", "a****@example.com", "no camera data", "unclaimed"},
			b.ID: {"age-fresh", "no KYC, no records: emails", "b****@example.com"},
			c.ID: {"age-fresh", "c****@example.com", "photo seen in another account", "2 flags"},
			d.ID: {"d****@example.com", "TXID matched 1/2", `class="chip flag"`, "claimed by you"},
		} {
			row := rowOf(page, id)
			for _, w := range want {
				if !strings.Contains(row, w) {
					t.Errorf("reviewer's row of %s lacks %q:\n%s", id, w, row)
				}
			}
		}
		for _, email := range []string{"ann@example.com", "bea@example.com", "cid@example.com", "dan@example.com"} {
			if strings.Contains(page, email) {
				t.Errorf("a reviewer's queue shows %s unmasked", email)
			}
		}
		_, page = sup.get("/staff")
		if row := rowOf(page, d.ID); !strings.Contains(row, "dan@example.com") || !strings.Contains(row, "claimed by rev@example.com") {
			t.Errorf("supervisor's row: %s", row)
		}

		for query, want := range map[string][]string{
			"?class=kyc":                             {a.ID, c.ID},
			"?class=nonkyc_no_records":               {b.ID},
			"?finding=picture_in_other_account":      {c.ID},
			"?class=kyc&finding=transaction_matched": nil,
			"?flagged=1&class=nonkyc_with_records":   {d.ID},
			"?after=" + after(t, s, a.ID):            {b.ID, c.ID, d.ID},
		} {
			resp, page := rev.get("/staff" + query)
			if got := listed(page, a.ID, b.ID, c.ID, d.ID); resp.StatusCode != 200 || !same(got, want...) {
				t.Errorf("%s: %d %v, want %v", query, resp.StatusCode, got, want)
			}
		}
		for query, want := range map[string]int{"?class=gold": 400, "?finding=DROP%20TABLE": 400, "?after=zzz": 400,
			"?state=unknown": 403, "?state=approved": 403} {
			if resp, _ := rev.get("/staff" + query); resp.StatusCode != want {
				t.Errorf("reviewer %s: %d, want %d", query, resp.StatusCode, want)
			}
		}
		if resp, _ := sup.get("/staff?state=unknown"); resp.StatusCode != 400 {
			t.Errorf("supervisor, unknown state: %d", resp.StatusCode)
		}

		// A decided application leaves the open list; a supervisor lists it.
		rev.must(303, appPath(d.ID, "/decision"), rejection("records_do_not_match", ""))
		if _, page = sup.get("/staff?state=rejected"); !same(listed(page, a.ID, b.ID, c.ID, d.ID), d.ID) {
			t.Errorf("rejected list:\n%s", page)
		}
		if _, page = sup.get("/staff"); rowOf(page, d.ID) != "" {
			t.Error("a rejected application in the open list")
		}

		// Past the target the oldest is red. (The staff sessions end with
		// the clock's move; new members sign in.)
		clk.Advance(32 * time.Hour)
		late := newDesk(t, s, "late@example.com", staff.Reviewer)
		_, page = late.get("/staff")
		if !strings.Contains(rowOf(page, a.ID), "age-late") || !strings.Contains(rowOf(page, b.ID), "age-fresh") {
			t.Errorf("73 and 33 hours old:\n%s\n%s", rowOf(page, a.ID), rowOf(page, b.ID))
		}
	})
}

// after is the queue's cursor after application id.
func after(t *testing.T, s *apptest.Server, id string) string {
	t.Helper()
	app, err := s.Evidence.Get(context.Background(), s.DB, id)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%s", app.SubmittedAt.UnixMilli(), app.ID))
}
