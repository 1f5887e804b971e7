package main

import (
	"bufio"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/rebindhq/rebind/internal/config"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

var (
	queueFilled  = regexp.MustCompile(`demo review queue: submitted (\d+) demo applications \((\d+) kyc, (\d+) nonkyc_with_records, (\d+) nonkyc_no_records\)(; (\d+) applicants had one already)?`)
	queueFull    = regexp.MustCompile(`demo review queue: the (\d+) start applicants have applied before, none again`)
	reviewerLink = regexp.MustCompile(`reviewer@demo\.rebind\.invalid\s+reviewer\s+enrol once, within 24 hours, at https://review\.example\.internal/staff/enrol/([A-Za-z0-9_-]{43})\n`)
)

// A dev server's start fills the review queue in the background with two
// open applications of each class, and prints a demo reviewer's and
// supervisor's enrolment links; the link works. A second start on the same
// database makes no application again, and says the reviewer, who
// enrolled meanwhile, is enrolled, with no link.
func TestDevServerFillsTheDemoQueue(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, kind, url string) {
		getenv := env(t, map[string]string{"REBIND_DATABASE_URL": url, "REBIND_STAFF_URL": "https://review.example.internal"})
		out := serveUntil(t, getenv, queueFilled)
		m := queueFilled.FindStringSubmatch(out)
		if m[1] != "6" || m[2] != "2" || m[3] != "2" || m[4] != "2" || m[5] != "" {
			t.Fatalf("first start: %s\n%s", m[0], out)
		}
		link := reviewerLink.FindStringSubmatch(out)
		if link == nil || !strings.Contains(out, "supervisor@demo.rebind.invalid  supervisor  enrol once") {
			t.Fatalf("no enrolment links for the demo staff:\n%s", out)
		}
		s, db := cliStaff(t, getenv)
		ctx := context.Background()
		e, err := s.Enrolment(ctx, link[1])
		if err != nil {
			t.Fatalf("the printed reviewer link: %v", err)
		}
		code, _ := totp.GenerateCode(e.Key.Secret, time.Now())
		if _, err := s.Enrol(ctx, link[1], "console-lantern-58", code, ""); err != nil {
			t.Fatal(err)
		}
		checkDemoQueue(t, db)

		out = serveUntil(t, getenv, queueFull)
		if m = queueFull.FindStringSubmatch(out); m[1] != "6" || queueFilled.MatchString(out) {
			t.Fatalf("second start: %s\n%s", m[0], out)
		}
		if !strings.Contains(out, "reviewer@demo.rebind.invalid    reviewer    already enrolled: sign in at https://review.example.internal/staff/login") ||
			reviewerLink.MatchString(out) || !strings.Contains(out, "supervisor@demo.rebind.invalid  supervisor  enrol once") {
			t.Fatalf("second start's demo staff:\n%s", out)
		}
		checkDemoQueue(t, db)
		if n := storetest.Count(t, db, "SELECT count(*) FROM staff WHERE email LIKE '%@demo.rebind.invalid'"); n != 2 {
			t.Errorf("%d demo staff members", n)
		}
	})
}

// checkDemoQueue checks the database holds the six demo applications,
// open, of their six applicants, with their pictures, and kyc-applicant-2's
// photo flagged as seen in another account.
func checkDemoQueue(t *testing.T, db *store.DB) {
	t.Helper()
	if n := storetest.Count(t, db, "SELECT count(*) FROM applications WHERE state = 'under_review'"); n != 6 {
		t.Errorf("%d open applications, want 6", n)
	}
	if n := storetest.Count(t, db, "SELECT count(*) FROM accounts WHERE email LIKE '%-applicant-%'"); n != 6 {
		t.Errorf("%d applicant accounts, want 6", n)
	}
	if n := storetest.Count(t, db, "SELECT count(DISTINCT application_id) FROM application_files"); n != 6 {
		t.Errorf("%d applications with pictures, want 6", n)
	}
	if n := storetest.Count(t, db, `SELECT count(*) FROM applications p JOIN accounts a ON a.id = p.account_id
		WHERE a.email = 'kyc-applicant-2@demo.rebind.invalid' AND p.findings LIKE '%"picture_in_other_account"%'`); n != 1 {
		t.Errorf("kyc-applicant-2's photo is not flagged as another account's (%d)", n)
	}
}

// serveUntil runs a dev server until its output matches done, stops it,
// and returns the output.
func serveUntil(t *testing.T, getenv func(string) string, done *regexp.Regexp) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	stopped := make(chan error, 1)
	go func() {
		stopped <- run(ctx, nil, getenv, pw, io.Discard)
		pw.Close()
	}()
	var out strings.Builder
	lines := bufio.NewScanner(pr)
	found, finished := make(chan bool, 1), make(chan struct{})
	go func() {
		defer close(finished)
		matched := false
		for lines.Scan() {
			out.WriteString(lines.Text() + "\n")
			if !matched && done.MatchString(lines.Text()) {
				matched = true
				found <- true
			}
		}
		if !matched {
			found <- false
		}
	}()
	select {
	case ok := <-found:
		if !ok {
			t.Fatalf("the server stopped before printing %s: %v", done, <-stopped)
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("no %s in the output", done)
	}
	cancel()
	if err := <-stopped; err != nil {
		t.Fatalf("run returned %v after cancel", err)
	}
	<-finished
	return out.String()
}

// rebind demo --applications N adds N open applications from the
// applicants after the last one there is (and no bulk accounts when
// --accounts is not given); a negative count is refused.
func TestDemoApplicationsCommand(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, kind, url string) {
		getenv := env(t, map[string]string{"REBIND_DATABASE_URL": url})
		ctx := context.Background()
		demoRun := func(args ...string) (string, error) {
			var out strings.Builder
			err := run(ctx, append([]string{"demo"}, args...), getenv, &out, io.Discard)
			return out.String(), err
		}
		out, err := demoRun("--applications", "4")
		if err != nil || !strings.Contains(out, "added 4 demo applications (2 kyc, 1 nonkyc_with_records, 1 nonkyc_no_records)") ||
			!strings.Contains(out, "from kyc-applicant-1@demo.rebind.invalid to kyc-applicant-2@demo.rebind.invalid") {
			t.Fatalf("demo --applications 4: %v\n%s", err, out)
		}
		out, err = demoRun("--applications", "2")
		if err != nil || !strings.Contains(out, "added 2 demo applications (0 kyc, 1 nonkyc_with_records, 1 nonkyc_no_records)") ||
			!strings.Contains(out, "from records-applicant-2@demo.rebind.invalid to norecords-applicant-2@demo.rebind.invalid") {
			t.Fatalf("demo --applications 2: %v\n%s", err, out)
		}
		if _, err := demoRun("--applications", "-1"); err == nil || !strings.Contains(err.Error(), "--applications not negative") {
			t.Fatalf("demo --applications -1: %v", err)
		}
		_, db := cliStaff(t, getenv)
		if n := storetest.Count(t, db, "SELECT count(*) FROM applications WHERE state = 'under_review'"); n != 6 {
			t.Errorf("%d open applications, want 6", n)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM accounts"); n != 6 {
			t.Errorf("%d accounts, want the 6 applicants alone", n)
		}
	})
}

// The banner's enrolment links point at REBIND_STAFF_URL, or, left at its
// default, at the internal listener as bound (port 0 picks one).
func TestStaffBase(t *testing.T) {
	for _, c := range []struct{ staffURL, want string }{
		{"", "http://127.0.0.1:43123"},
		{"https://review.example.internal", "https://review.example.internal"},
	} {
		cfg, err := config.Load(env(t, map[string]string{"REBIND_STAFF_URL": c.staffURL}), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := staffBase(cfg, "127.0.0.1:43123").String(); got != c.want {
			t.Errorf("REBIND_STAFF_URL %q: links on %s, want %s", c.staffURL, got, c.want)
		}
	}
}
