package api_test

import (
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
)

// cost is the most a request may run on the database: statements (BEGIN
// and COMMIT not among them) and commits that write.
type cost struct{ statements, commits int }

// Issue 12: the email-code bind (open, send the code, verify it) is
// CPU-bound on PostgreSQL, where each statement and each commit costs both
// processes. Each request reads its session and account in one statement,
// its flow once, the codes of its answer in one statement (none for a flow
// just opened), and verify checks the code and moves the flow in one
// transaction. A change shares the code and is held to the same.
func TestFirstStepStatements(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		var c store.Counts
		opts.Counts = &c
		// The session's last use is recorded at most once a minute: a
		// clock that stands still keeps that write out of the count.
		opts.Clock = clock.NewFake(time.Now())
		s := apptest.Start(t, opts)
		for _, k := range []struct {
			kind, email, mobile string
			budget              []cost // open, send the email code, (send the SMS code,) verify
		}{
			{"mobile-bind", "count-bind@example.com", "", []cost{{4, 1}, {7, 1}, {6, 1}}},
			{"mobile-change", "count-change@example.com", "+6581240031", []cost{{4, 1}, {7, 1}, {10, 1}, {8, 1}}},
		} {
			to := k.mobile
			if to == "" {
				to = k.email
			}
			s.CreateAccount(t, k.email, pw, k.mobile, false)
			tok := s.SignIn(t, k.email, pw, to)
			var got []store.Tally
			// do sends one request and counts what it ran.
			do := func(path string, body any, status int) apptest.Response {
				t.Helper()
				c.Take()
				r := s.Do(t, "POST", path, tok, body)
				got = append(got, c.Take())
				if r.Status != status {
					t.Fatalf("%s: %d %s, want %d", path, r.Status, r.Raw, status)
				}
				return r
			}
			r := do("/api/v1/"+k.kind, nil, 201)
			base := "/api/v1/" + k.kind + "/" + r.Body["flow_id"].(string)
			mark := s.Mark(t, k.email)
			do(base+"/email-code", nil, 202)
			codes := map[string]string{"email_code": s.CodeSince(t, k.email, mark)}
			if k.mobile != "" {
				mark := s.Mark(t, k.mobile)
				do(base+"/sms-code", nil, 202)
				codes["sms_code"] = s.CodeSince(t, k.mobile, mark)
			}
			if r := do(base+"/verify", codes, 200); r.Body["state"] != "new_number" || r.Body["email_verified"] != true {
				t.Fatalf("%s verify: %s", k.kind, r.Raw)
			}
			for i, b := range k.budget {
				if g := got[i]; g.Statements > b.statements || g.Commits > b.commits {
					t.Errorf("%s, request %d: %s\nwant at most %d statements and %d commits", k.kind, i+1, g, b.statements, b.commits)
				}
			}
		}
	})
}
