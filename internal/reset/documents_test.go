package reset_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

const pw = "correct horse battery staple"

var statusLink = regexp.MustCompile(`https?://\S+` + regexp.QuoteMeta(reset.StatusPath) + `(\S+)`)

// submitted is a document application made through the service.
type submitted struct {
	s      *apptest.Server
	clk    *clock.Fake
	flowID string
	app    evidence.Application
	secret string // of the status link
}

// submitOne brings a reset of a fresh account without KYC or transfers
// (class nonkyc_no_records) to an application with one screenshot.
func submitOne(t *testing.T, opts apptest.Options, email, mobile string) submitted {
	t.Helper()
	clk := clock.NewFake(time.Now())
	opts.Clock = clk
	s := apptest.Start(t, opts)
	s.CreateAccount(t, email, pw, mobile, false)
	flowID := s.ResetToMethod(t, email, pw)
	ctx := context.Background()
	if _, err := s.Reset.Upload(ctx, flowID, reset.Picture{Kind: evidence.EmailScreenshot, Data: apptest.Picture(t, 1, 480, 480)}); err != nil {
		t.Fatal(err)
	}
	sub, err := s.Reset.Submit(ctx, flowID, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := statusLink.FindStringSubmatch(sub.StatusLink)
	if m == nil {
		t.Fatalf("status link %q", sub.StatusLink)
	}
	return submitted{s: s, clk: clk, flowID: flowID, app: sub.Application, secret: m[1]}
}

// The documents of a reset: a reference code and the date to write, the
// items of the account's class; a picture of a kind the class does not
// send, or too small to read, is refused; submitting moves the reset to
// under review until the review's deadline, and tells the owner by email
// (with the status link) and on the phone (with "This wasn't me").
func TestSubmitDocuments(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		clk := clock.NewFake(time.Now())
		opts.Clock = clk
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "dora@example.com", pw, "+6581230001", false)
		flowID := s.ResetToMethod(t, "dora@example.com", pw)
		ctx := context.Background()
		docs, err := s.Reset.Documents(ctx, flowID)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$`).MatchString(docs.ReferenceCode) ||
			docs.ApplicationDate != clk.Now().UTC().Format(time.DateOnly) || docs.Class != evidence.NonKYCNoRecords ||
			len(docs.Items) != 1 || docs.Items[0].Kind != evidence.EmailScreenshot || docs.StatementPhrase != "Apply to reset Mobile on Rebind" {
			t.Fatalf("documents: %+v", docs)
		}
		// Asking for the documents keeps the reset open to prepare them:
		// two hours later (past the online steps' 30 minutes) it takes
		// pictures.
		if docs.ExpiresAt.Sub(clk.Now().Add(reset.DefaultReview.Prepare)).Abs() >= time.Millisecond {
			t.Fatalf("documents asked for at %v: the reset closes at %v", clk.Now(), docs.ExpiresAt)
		}
		clk.Advance(2 * time.Hour)
		if _, err := s.Reset.Upload(ctx, flowID, reset.Picture{Kind: evidence.SelfieWithStatement, Data: apptest.Picture(t, 1, 480, 480)}); !apperr.Is(err, apperr.InvalidRequest) {
			t.Fatalf("a kind the class does not send: %v", err)
		}
		if _, err := s.Reset.Upload(ctx, flowID, reset.Picture{Kind: evidence.EmailScreenshot, Data: apptest.Picture(t, 1, 480, 300)}); !apperr.Is(err, apperr.InvalidRequest) ||
			!strings.Contains(err.Error(), "too small") {
			t.Fatalf("a picture 300 pixels high: %v", err)
		}
		if _, err := s.Reset.Submit(ctx, flowID, nil, nil); !apperr.Is(err, apperr.InvalidRequest) {
			t.Fatalf("submit without pictures: %v", err)
		}
		sub, err := s.Reset.Submit(ctx, flowID, []reset.Picture{{Kind: evidence.EmailScreenshot, Data: apptest.PicturePNG(t, 2, 600, 420)}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		app := sub.Application
		if app.State != evidence.UnderReview || len(app.Files) != 1 || app.ReferenceCode != docs.ReferenceCode ||
			app.StatementPhrase != "Apply to reset Mobile on Rebind" ||
			app.Deadline.Sub(clk.Now().Add(reset.DefaultReview.Deadline)).Abs() >= time.Millisecond ||
			!app.Deadline.Equal(app.SubmittedAt.Add(reset.DefaultReview.Deadline)) {
			t.Fatalf("application: %+v", app)
		}
		v, err := s.Reset.Status(ctx, flowID)
		if err != nil || v.State != reset.UnderReview || !v.ExpiresAt.Equal(app.Deadline) || v.Application == nil || v.Application.ID != app.ID {
			t.Fatalf("reset after submitting: %+v %v", v, err)
		}
		clk.Advance(31 * time.Minute) // past the online part's 30 minutes, the reset still waits
		if v, err := s.Reset.Status(ctx, flowID); err != nil || v.State != reset.UnderReview {
			t.Fatalf("reset 31 minutes after submitting: %v %v", v.State, err)
		}
		metrics := scrape(t, s)
		for _, want := range []string{`rebind_applications_under_review{class="nonkyc_no_records"} 1` + "\n", `rebind_applications_under_review{class="kyc"} 0` + "\n", "rebind_application_oldest_wait_seconds 1860\n"} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
		mail := waitFor(t, s, "dora@example.com", "received")
		m := statusLink.FindStringSubmatch(mail)
		if m == nil || !strings.Contains(mail, app.ReferenceCode) || !strings.Contains(mail, "within 72 hours") || !strings.Contains(mail, "/stop?t=") {
			t.Fatalf("submission email: %s", mail)
		}
		if got, err := s.Reset.ApplicationStatus(ctx, m[1]); err != nil || got.ID != app.ID {
			t.Fatalf("status link: %v %v", got.ID, err)
		}
		if _, err := s.Reset.ApplicationStatus(ctx, app.ID+".forged"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("forged status link: %v", err)
		}
		if sms := waitFor(t, s, "+6581230001", "documents"); !strings.Contains(sms, "/stop?t=") {
			t.Fatalf("submission SMS: %s", sms)
		}
	})
}

func scrape(t *testing.T, s *apptest.Server) string {
	t.Helper()
	resp, err := http.Get(s.InternalURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

// waitFor waits for a message to "to" whose subject or body contains word
// and returns its subject and body.
func waitFor(t *testing.T, s *apptest.Server, to, word string) string {
	t.Helper()
	var found string
	apptest.Eventually(t, 10*time.Second, "a message to "+to+" with "+word, func() bool {
		for _, m := range s.Messages(t, to) {
			if strings.Contains(m.Subject+"\n"+m.Body, word) {
				found = m.Subject + "\n" + m.Body
				return true
			}
		}
		return false
	})
	return found
}

// SPEC §3.2.1: the owner who signs in with the phone, or follows "This
// wasn't me", cancels the pending application; so does a new reset.
func TestApplicationCancelled(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		ctx := context.Background()
		a := submitOne(t, opts, "erin@example.com", "+6581230002")
		a.s.SignIn(t, "erin@example.com", pw, "+6581230002")
		expectState(t, a, evidence.Cancelled)
		if n := storetest.Count(t, a.s.DB, "SELECT COUNT(*) FROM audit_events WHERE action = $1 AND flow_id = $2",
			string(audit.ApplicationCancelled), a.flowID); n != 1 {
			t.Fatalf("%d application_cancelled events, want 1", n)
		}
		if _, err := a.s.Reset.Decide(ctx, a.app.ID, reset.Decision{Approve: true, ActorKind: audit.ActorAdmin}); !apperr.Is(err, apperr.WrongState) {
			t.Fatalf("deciding a cancelled application: %v", err)
		}

		b := submitOne(t, opts, "fay@example.com", "+6581230003")
		b.s.ResetToMethod(t, "fay@example.com", pw)
		expectState(t, b, evidence.Cancelled)

		c := submitOne(t, opts, "gus@example.com", "+6581230007")
		sms := waitFor(t, c.s, "+6581230007", "documents")
		stop := regexp.MustCompile(`/stop\?t=([A-Za-z0-9_-]+)`).FindStringSubmatch(sms)
		if stop == nil {
			t.Fatalf("no stop link in %q", sms)
		}
		if r := c.s.Do(t, "POST", "/api/v1/security/stop", "", map[string]string{"token": stop[1]}); r.Status != 200 {
			t.Fatalf("stop: %d %s", r.Status, r.Raw)
		}
		expectState(t, c, evidence.Cancelled)
	})
}

func expectState(t *testing.T, a submitted, want evidence.State) evidence.Application {
	t.Helper()
	got, err := a.s.Reset.ApplicationStatus(context.Background(), a.secret)
	if err != nil || got.Shown(a.clk.Now()) != want {
		t.Fatalf("application %s: %v %v, want %s", a.app.ID, got.State, err, want)
	}
	return got
}

// An application not decided by its deadline expires once, however many
// janitors run, and its owner is told; a decision after the deadline is
// refused.
func TestApplicationExpires(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		ctx := context.Background()
		a := submitOne(t, opts, "gil@example.com", "+6581230004")
		a.clk.Advance(reset.DefaultReview.Deadline - time.Minute)
		if n, err := a.s.Reset.ExpireOverdue(ctx); err != nil || n != 0 {
			t.Fatalf("before the deadline: %d expired, %v", n, err)
		}
		a.clk.Advance(2 * time.Minute)
		if _, err := a.s.Reset.Decide(ctx, a.app.ID, reset.Decision{Approve: true, ActorKind: audit.ActorAdmin}); !apperr.Is(err, apperr.WrongState) {
			t.Fatalf("deciding past the deadline: %v", err)
		}
		if n, err := a.s.Reset.ExpireOverdue(ctx); err != nil || n != 1 {
			t.Fatalf("past the deadline: %d expired, %v", n, err)
		}
		if n, err := a.s.Reset.ExpireOverdue(ctx); err != nil || n != 0 {
			t.Fatalf("again: %d expired, %v", n, err)
		}
		expectState(t, a, evidence.Expired)
		if v, err := a.s.Reset.Status(ctx, a.flowID); err != nil || v.State != "expired" {
			t.Fatalf("the reset: %v %v", v.State, err)
		}
		waitFor(t, a.s, "gil@example.com", "has ended")
	})
}

// Pictures are destroyed Retention after their application ends, and
// unsubmitted ones soon after their reset ends; the application's record,
// hashes and findings stay (SPEC §4).
func TestRetention(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		ctx := context.Background()
		a := submitOne(t, opts, "hal@example.com", "+6581230005")
		blobID := a.app.Files[0].BlobID
		if _, err := a.s.Blobs.Get(ctx, blobID); err != nil {
			t.Fatal(err)
		}
		decided, err := a.s.Reset.Decide(ctx, a.app.ID, reset.Decision{Reason: "other", Note: "blurred", ActorKind: audit.ActorAdmin})
		if err != nil || decided.State != evidence.Rejected {
			t.Fatalf("reject: %v %v", decided.State, err)
		}
		waitFor(t, a.s, "hal@example.com", "blurred")
		a.clk.Advance(reset.DefaultReview.Retention - time.Minute)
		if _, err := a.s.Blobs.Purge(ctx, a.clk.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := a.s.Blobs.Get(ctx, blobID); err != nil {
			t.Fatalf("a minute before the end of retention: %v", err)
		}
		a.clk.Advance(2 * time.Minute)
		if n, err := a.s.Blobs.Purge(ctx, a.clk.Now()); err != nil || n != 1 {
			t.Fatalf("purge: %d %v", n, err)
		}
		if _, err := a.s.Blobs.Get(ctx, blobID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("after retention: %v", err)
		}
		kept, err := a.s.Reset.Application(ctx, a.app.ID)
		if err != nil || kept.State != evidence.Rejected || len(kept.Files) != 1 || kept.Files[0].SHA256 == "" || kept.Reason != "other" {
			t.Fatalf("the record after retention: %+v %v", kept, err)
		}

		// A picture uploaded to a reset that was never submitted.
		s := a.s
		s.CreateAccount(t, "ivy@example.com", pw, "+6581230006", false)
		flowID := s.ResetToMethod(t, "ivy@example.com", pw)
		draft, err := s.Reset.Upload(ctx, flowID, reset.Picture{Kind: evidence.EmailScreenshot, Data: apptest.Picture(t, 3, 480, 480)})
		if err != nil {
			t.Fatal(err)
		}
		a.clk.Advance(30*time.Minute + time.Hour + time.Minute)
		if n, err := s.Blobs.Purge(ctx, a.clk.Now()); err != nil || n != 1 {
			t.Fatalf("purge an abandoned draft: %d %v", n, err)
		}
		if _, err := s.Blobs.Get(ctx, draft.BlobID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("abandoned draft: %v", err)
		}
	})
}

// A refused submission stores nothing: its pictures are checked against
// the class's items before any is sealed, so the bucket holds only the
// objects whose keys were committed.
func TestRefusedSubmissionStoresNothing(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "kim@example.com", pw, "+6581230008", false)
		flowID := s.ResetToMethod(t, "kim@example.com", pw)
		ctx := context.Background()
		pic := func(seed uint64) reset.Picture {
			return reset.Picture{Kind: evidence.EmailScreenshot, Data: apptest.Picture(t, seed, 480, 480)}
		}
		if _, err := s.Reset.Upload(ctx, flowID, pic(1)); err != nil {
			t.Fatal(err)
		}
		wrongKind := reset.Picture{Kind: evidence.TransactionScreenshot, Data: apptest.Picture(t, 2, 480, 480)}
		if _, err := s.Reset.Submit(ctx, flowID, []reset.Picture{pic(3), wrongKind}, nil); !apperr.Is(err, apperr.InvalidRequest) {
			t.Fatalf("a kind the class does not send: %v", err)
		}
		tooMany := []reset.Picture{pic(4), pic(5), pic(6), pic(7), pic(8), pic(9)} // 1 uploaded + 6 > 6
		if _, err := s.Reset.Submit(ctx, flowID, tooMany, nil); !apperr.Is(err, apperr.FileTooLarge) {
			t.Fatalf("more pictures than the item allows: %v", err)
		}
		entries, err := os.ReadDir(filepath.Join(s.Config.DataDir, "documents"))
		if err != nil {
			t.Fatal(err)
		}
		objects := 0
		for _, e := range entries {
			if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				objects++
			}
		}
		keys := storetest.Count(t, s.DB, "SELECT COUNT(*) FROM blob_keys")
		if objects != 1 || keys != 1 {
			t.Fatalf("%d objects and %d keys after two refused submissions, want the 1 upload", objects, keys)
		}
	})
}

// Approval is the outcome of passed questions (SPEC §3.2 step 5), and the
// owner's email says staff approved the documents; the same decision again
// returns the application, a different one is conflict.
func TestApproval(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		ctx := context.Background()
		a := submitOne(t, opts, "lou@example.com", "+6581230009")
		approve := reset.Decision{Approve: true, ActorKind: audit.ActorStaff, Staff: "rev@example.com"}
		if _, err := a.s.Reset.Claim(ctx, a.app.ID, "rev@example.com", false); err != nil {
			t.Fatal(err)
		}
		got, err := a.s.Reset.Decide(ctx, a.app.ID, approve)
		if err != nil || got.State != evidence.Approved || got.DecidedBy != "rev@example.com" {
			t.Fatalf("approve: %+v %v", got, err)
		}
		acct, err := a.s.Accounts.ByEmail(ctx, a.s.DB, "lou@example.com")
		if err != nil || acct.Mobile != "" || acct.MobileVerification {
			t.Fatalf("account after approval: %+v %v", acct, err)
		}
		if v, err := a.s.Reset.Status(ctx, a.flowID); err != nil || v.State != "completed" {
			t.Fatalf("reset after approval: %v %v", v.State, err)
		}
		mail := waitFor(t, a.s, "lou@example.com", "Our staff approved")
		if !strings.Contains(mail, a.app.ReferenceCode) || !strings.Contains(mail, "Withdrawals are held until") {
			t.Fatalf("approval email: %s", mail)
		}
		if again, err := a.s.Reset.Decide(ctx, a.app.ID, approve); err != nil || again.State != evidence.Approved {
			t.Fatalf("the same decision again: %v %v", again.State, err)
		}
		if _, err := a.s.Reset.Decide(ctx, a.app.ID, reset.Decision{Reason: "other", ActorKind: audit.ActorAdmin}); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("a different decision: %v", err)
		}
		if n := storetest.Count(t, a.s.DB, "SELECT COUNT(*) FROM audit_events WHERE action = $1 AND flow_id = $2", string(audit.ResetCompleted), a.flowID); n != 1 {
			t.Fatalf("%d mobile_reset_completed events, want 1", n)
		}
	})
}
