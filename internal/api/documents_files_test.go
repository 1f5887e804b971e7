package api_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/reset"
)

func filesPath(flowID string) string { return docsPath(flowID) + "/files" }

func uploadOne(t *testing.T, s *apptest.Server, flowID string, parts ...apptest.Part) apptest.Response {
	t.Helper()
	body, ct := apptest.Multipart(t, parts...)
	return s.Send(t, "POST", filesPath(flowID), ct, body)
}

// The per-file endpoints: one picture per request, removed only from its
// own flow (another flow's file id is not_found, SEC-FILE-7), within the
// class's maximum, the flow's budget of uploads, and the flow's lifetime.
func TestDocumentFileEndpoints(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		clk := clock.NewFake(time.Now())
		s := apptest.Start(t, apptest.Options{DatabaseURL: opts.DatabaseURL, Clock: clk})
		s.CreateAccount(t, "files@example.com", pw, "+6581236031", true)
		s.CreateAccount(t, "other@example.com", pw, "+6581236032", true)
		flowID := s.ResetToMethod(t, "files@example.com", pw)
		otherFlow := s.ResetToMethod(t, "other@example.com", pw)
		selfie := apptest.Selfie(t, 31)
		want(t, "no part", uploadOne(t, s, flowID), 400, "invalid_request")
		want(t, "two parts", uploadOne(t, s, flowID, selfie, apptest.Selfie(t, 32)), 400, "invalid_request")
		want(t, "a transactions part", uploadOne(t, s, flowID, apptest.Part{Name: "transactions", Data: []byte("[]")}), 400, "invalid_request")
		want(t, "unknown part", uploadOne(t, s, flowID, apptest.Part{Name: "file", FileName: "a.jpg", Data: selfie.Data}), 400, "invalid_request")
		want(t, "not multipart", s.Do(t, "POST", filesPath(flowID), "", map[string]string{"kind": "selfie_with_statement"}), 400, "invalid_request")
		want(t, "a PNG that is HTML", uploadOne(t, s, flowID, apptest.Part{Name: "selfie_with_statement", FileName: "a.png",
			Data: []byte("<!DOCTYPE html><svg onload=alert(1)>")}), 415, "unsupported_media")
		want(t, "unknown flow", uploadOne(t, s, "aaaaaaaaaaaaaaaaaaaaaaaaaa", selfie), 404, "not_found")

		var ids []string
		for i := range 3 {
			r := uploadOne(t, s, flowID, apptest.Selfie(t, uint64(40+i)))
			if r.Status != 201 || len(r.Body["id"].(string)) != 26 {
				t.Fatalf("upload %d: %d %s", i, r.Status, r.Raw)
			}
			ids = append(ids, r.Body["id"].(string))
		}
		want(t, "a fourth selfie", uploadOne(t, s, flowID, apptest.Selfie(t, 43)), 413, "file_too_large")
		theirs := uploadOne(t, s, otherFlow, apptest.Selfie(t, 44))
		if theirs.Status != 201 {
			t.Fatalf("other upload: %d %s", theirs.Status, theirs.Raw)
		}
		remove := func(flow, file string) apptest.Response {
			return s.Do(t, "DELETE", filesPath(flow)+"/"+file, "", nil)
		}
		want(t, "another flow's file", remove(flowID, theirs.Body["id"].(string)), 404, "not_found")
		want(t, "a guessed file id", remove(flowID, "aaaaaaaaaaaaaaaaaaaaaaaaaa"), 404, "not_found")
		want(t, "a malformed file id", remove(flowID, "x"), 404, "not_found")
		if d := s.Do(t, "GET", docsPath(otherFlow), "", nil); len(d.Body["files"].([]any)) != 1 {
			t.Fatalf("the other flow's file was touched: %s", d.Raw)
		}
		if r := remove(flowID, ids[0]); r.Status != http.StatusNoContent {
			t.Fatalf("remove: %d %s", r.Status, r.Raw)
		}
		want(t, "removed twice", remove(flowID, ids[0]), 404, "not_found")
		if d := s.Do(t, "GET", docsPath(flowID), "", nil); len(d.Body["files"].([]any)) != 2 {
			t.Fatalf("after removing one of three: %s", d.Raw)
		}
		// The flow is past the window its documents step opened: every
		// document step is gone.
		clk.Advance(reset.DefaultReview.Prepare + time.Minute)
		want(t, "documents of an expired flow", s.Do(t, "GET", docsPath(flowID), "", nil), 410, "flow_expired")
		want(t, "upload to an expired flow", uploadOne(t, s, flowID, selfie), 410, "flow_expired")
		want(t, "remove from an expired flow", remove(flowID, ids[1]), 410, "flow_expired")
		want(t, "submit to an expired flow", s.SubmitDocuments(t, flowID, selfie), 410, "flow_expired")
	})
}

// Uploading and removing cannot keep the decoders busy: a reset may upload
// three times its maximum of pictures, then it is rate_limited, naming the
// limit, until the flow ends (by the server's clock).
func TestUploadBudgetPerFlow(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		clk := clock.NewFake(time.Now())
		s := apptest.Start(t, apptest.Options{DatabaseURL: opts.DatabaseURL, Clock: clk})
		s.CreateAccount(t, "churn@example.com", pw, "+6581236041", true)
		flowID := s.ResetToMethod(t, "churn@example.com", pw)
		selfie := apptest.Selfie(t, 50)
		for i := range 30 {
			r := uploadOne(t, s, flowID, selfie)
			if r.Status != 201 {
				t.Fatalf("upload %d: %d %s", i, r.Status, r.Raw)
			}
			if d := s.Do(t, "DELETE", filesPath(flowID)+"/"+r.Body["id"].(string), "", nil); d.Status != 204 {
				t.Fatalf("remove %d: %d %s", i, d.Status, d.Raw)
			}
		}
		clk.Advance(20 * time.Minute)
		r := uploadOne(t, s, flowID, selfie)
		want(t, "the 31st upload", r, 429, "rate_limited")
		e := r.Body["error"].(map[string]any)
		if secs := e["retry_after_seconds"].(float64); secs < 1 || secs > 600 || r.Header.Get("Retry-After") == "" || e["limit"] != "document_uploads" {
			t.Fatalf("the refusal does not say when the flow ends (10 minutes) or which limit: %s %v", r.Raw, r.Header)
		}
	})
}

// SEC-RACE (limit overrun): 30 uploads at once to one flow store at most
// the class's maximum; every other one is refused with 413.
func TestConcurrentUploadsKeepTheMaximum(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "race@example.com", pw, "+6581236051", true)
		flowID := s.ResetToMethod(t, "race@example.com", pw)
		bodies, types := make([][]byte, 30), make([]string, 30)
		for i := range bodies {
			bodies[i], types[i] = apptest.Multipart(t, apptest.Selfie(t, uint64(100+i)))
		}
		statuses := make([]int, len(bodies))
		gate := make(chan struct{})
		var wg sync.WaitGroup
		for i := range bodies {
			wg.Go(func() {
				<-gate
				statuses[i] = s.Send(t, "POST", filesPath(flowID), types[i], bodies[i]).Status
			})
		}
		close(gate)
		wg.Wait()
		n := map[int]int{}
		for _, st := range statuses {
			n[st]++
		}
		if n[201] != 3 || n[413] != 27 {
			t.Fatalf("statuses %v, want 3 × 201 and 27 × 413", n)
		}
		if rows := count(t, s, "SELECT count(*) FROM application_files WHERE flow_id = $1", flowID); rows != 3 {
			t.Fatalf("%d pictures stored, the maximum is 3", rows)
		}
	})
}
