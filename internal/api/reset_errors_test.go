package api_test

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// Every error code the reset endpoints can return, and that a refused step
// changes nothing (SEC-REC-1, v5.0.0-2.3.1).
func TestResetErrors(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		clk := clock.NewFake(time.Now())
		s := apptest.Start(t, apptest.Options{Clock: clk})
		id := resetAccount(t, s, "err@example.com", "+6581238888", 0)
		s.CreateAccount(t, "nomobile@example.com", pw, "", false)
		start := func(body any) apptest.Response { return s.Do(t, "POST", "/api/v1/mobile-reset", "", body) }
		for name, c := range map[string]struct {
			body   any
			status int
			code   string
		}{
			"no agreement":   {map[string]any{"email": "err@example.com", "password": pw}, 400, "invalid_request"},
			"agree false":    {map[string]any{"email": "err@example.com", "password": pw, "agree": false}, 400, "invalid_request"},
			"no password":    {map[string]any{"email": "err@example.com", "agree": true}, 400, "invalid_request"},
			"unknown field":  {map[string]any{"email": "err@example.com", "password": pw, "agree": true, "x": 1}, 400, "invalid_request"},
			"wrong password": {map[string]any{"email": "err@example.com", "password": "wrong-password", "agree": true}, 401, "invalid_credentials"},
			"unknown email":  {map[string]any{"email": "ghost@example.com", "password": pw, "agree": true}, 401, "invalid_credentials"},
			"no mobile":      {map[string]any{"email": "nomobile@example.com", "password": pw, "agree": true}, 409, "wrong_state"},
		} {
			if r := start(c.body); r.Status != c.status || r.ErrorCode() != c.code {
				t.Errorf("%s: %d %s, want %d %s", name, r.Status, r.Raw, c.status, c.code)
			}
		}
		r := start(map[string]any{"email": "err@example.com", "password": pw, "agree": true})
		flowID := r.Body["flow_id"].(string)
		base := "/api/v1/mobile-reset/" + flowID
		// Steps out of order are wrong_state and change nothing.
		for _, path := range []string{base + "/quiz", base + "/quiz/aaaaaaaaaaaaaaaaaaaaaaaaaa/answers"} {
			body := any(nil)
			if path != base+"/quiz" {
				body = map[string]any{"answers": map[string][]string{}}
			}
			if r := s.Do(t, "POST", path, "", body); r.Status != 409 || r.ErrorCode() != "wrong_state" {
				t.Errorf("%s before the email code: %d %s", path, r.Status, r.Raw)
			}
		}
		if r := s.Do(t, "GET", base, "", nil); r.Body["state"] != "email_code_required" {
			t.Fatalf("refused steps moved the flow: %s", r.Raw)
		}
		if r := s.Do(t, "POST", base+"/email-code", "", nil); r.Status != 429 || r.Header.Get("Retry-After") == "" {
			t.Errorf("resend in the cooldown: %d %s", r.Status, r.Raw)
		}
		code := s.Code(t, "err@example.com", 1)
		if r := s.Do(t, "POST", base+"/email-code/verify", "", map[string]string{"code": "12345a"}); r.Status != 422 || r.ErrorCode() != "invalid_code" {
			t.Errorf("wrong code: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", base+"/email-code/verify", "", map[string]string{}); r.Status != 400 {
			t.Errorf("missing code: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", base+"/email-code/verify", "", map[string]string{"code": code}); r.Status != 200 {
			t.Fatalf("verify: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", base+"/email-code/verify", "", map[string]string{"code": code}); r.Status != 409 || r.ErrorCode() != "wrong_state" {
			t.Errorf("verify twice: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", base+"/quiz/aaaaaaaaaaaaaaaaaaaaaaaaaa/answers", "", map[string]any{"answers": map[string][]string{}}); r.Status != 409 {
			t.Errorf("answers before a quiz: %d %s", r.Status, r.Raw)
		}
		qz := s.Do(t, "POST", base+"/quiz", "", nil)
		if qz.Status != 201 {
			t.Fatalf("quiz: %d %s", qz.Status, qz.Raw)
		}
		if r := s.Do(t, "POST", base+"/quiz", "", nil); r.Status != 409 || r.ErrorCode() != "wrong_state" {
			t.Errorf("second quiz while one is live: %d %s", r.Status, r.Raw)
		}
		quizID := qz.Body["quiz_id"].(string)
		if r := s.Do(t, "POST", base+"/quiz/aaaaaaaaaaaaaaaaaaaaaaaaaa/answers", "", map[string]any{"answers": map[string][]string{}}); r.Status != 404 || r.ErrorCode() != "not_found" {
			t.Errorf("unknown quiz: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", base+"/quiz/"+quizID+"/answers", "", map[string]any{"answers": map[string][]string{"x": {}}}); r.Status != 400 {
			t.Errorf("answers missing questions: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", base+"/quiz/"+quizID+"/answers", "", map[string]any{}); r.Status != 400 {
			t.Errorf("no answers field: %d %s", r.Status, r.Raw)
		}
		right := answer(t, s, id, qz.Body)
		if r := s.Do(t, "POST", base+"/quiz/"+quizID+"/answers", "", map[string]any{"answers": wrongAnswers(qz.Body, right)}); r.Body["result"] != "failed" ||
			r.Body["quiz_chances_left"] != float64(2) || r.Body["state"] != "method_required" {
			t.Fatalf("failed quiz: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "POST", base+"/quiz/"+quizID+"/answers", "", map[string]any{"answers": right}); r.Status != 409 {
			t.Errorf("second submission: %d %s", r.Status, r.Raw)
		}
		// The lifetime: 30 minutes, then flow_expired everywhere.
		clk.Advance(31 * time.Minute)
		for _, path := range []string{base + "/quiz", base + "/email-code"} {
			if r := s.Do(t, "POST", path, "", nil); r.Status != 410 || r.ErrorCode() != "flow_expired" {
				t.Errorf("%s after 30 minutes: %d %s", path, r.Status, r.Raw)
			}
		}
		if r := s.Do(t, "GET", base, "", nil); r.Body["state"] != "expired" {
			t.Errorf("status after 30 minutes: %s", r.Raw)
		}
		if r := s.Do(t, "GET", "/api/v1/mobile-reset/aaaaaaaaaaaaaaaaaaaaaaaaaa", "", nil); r.Status != 404 {
			t.Errorf("unknown flow: %d", r.Status)
		}
	})
}

// A new reset cancels the old one; chances are counted per account across
// flows (SEC-KBA-2); with none left only documents remain.
func TestChancesAcrossFlowsAndDocumentsOnly(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := resetAccount(t, s, "chances@example.com", "+6581239999", 1)
		var last string
		for chance := 1; chance <= 3; chance++ {
			flowID := startReset(t, s, "chances@example.com")
			if last != "" {
				if r := s.Do(t, "GET", "/api/v1/mobile-reset/"+last, "", nil); r.Body["state"] != "cancelled" {
					t.Fatalf("the older flow is %s", r.Body["state"])
				}
				if r := s.Do(t, "POST", "/api/v1/mobile-reset/"+last+"/quiz", "", nil); r.Status != 410 {
					t.Fatalf("step on a cancelled flow: %d", r.Status)
				}
			}
			last = flowID
			qz := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz", "", nil)
			right := answer(t, s, id, qz.Body)
			r := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz/"+qz.Body["quiz_id"].(string)+"/answers", "",
				map[string]any{"answers": wrongAnswers(qz.Body, right)})
			if r.Body["quiz_chances_left"] != float64(3-chance) {
				t.Fatalf("after failure %d: %s", chance, r.Raw)
			}
		}
		flowID := startReset(t, s, "chances@example.com")
		r := s.Do(t, "GET", "/api/v1/mobile-reset/"+flowID, "", nil)
		if fmt.Sprint(r.Body["methods"]) != "[documents]" || r.Body["quiz_chances_left"] != float64(0) {
			t.Fatalf("after 3 chances: %s", r.Raw)
		}
		if r := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz", "", nil); r.Status != 409 || r.ErrorCode() != "quiz_unavailable" {
			t.Fatalf("4th quiz: %d %s", r.Status, r.Raw)
		}
	})
}

func TestThinAccountGetsDocumentsOnly(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "thin@example.com", pw, "+6581230001", false)
		flowID := startReset(t, s, "thin@example.com")
		r := s.Do(t, "GET", "/api/v1/mobile-reset/"+flowID, "", nil)
		if fmt.Sprint(r.Body["methods"]) != "[documents]" || r.Body["document_class"] != "nonkyc_no_records" {
			t.Fatalf("thin account: %s", r.Raw)
		}
		if r := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz", "", nil); r.ErrorCode() != "quiz_unavailable" {
			t.Fatalf("quiz for a thin account: %d %s", r.Status, r.Raw)
		}
		if r := s.Do(t, "GET", "/api/v1/mobile-reset/"+flowID, "", nil); r.Body["state"] != "method_required" || r.Body["quiz_chances_left"] != float64(3) {
			t.Fatalf("a refused quiz changed the flow or used a chance: %s", r.Raw)
		}
	})
}

// SEC-RACE-3: 30 quiz requests at once on the last chance issue one quiz.
func TestConcurrentQuizRequests(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := resetAccount(t, s, "race@example.com", "+6581230002", 0)
		for range 2 {
			flowID := startReset(t, s, "race@example.com")
			qz := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz", "", nil)
			s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz/"+qz.Body["quiz_id"].(string)+"/answers", "",
				map[string]any{"answers": wrongAnswers(qz.Body, answer(t, s, id, qz.Body))})
		}
		flowID := startReset(t, s, "race@example.com")
		var issued, refused atomic.Int32
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for range 30 {
			wg.Go(func() {
				<-gate
				r := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz", "", nil)
				switch {
				case r.Status == 201:
					issued.Add(1)
				case r.Status == 409:
					refused.Add(1)
				default:
					t.Errorf("unexpected %d %s", r.Status, r.Raw)
				}
			})
		}
		close(gate)
		wg.Wait()
		quizzes := storetest.Count(t, s.DB, "SELECT count(*) FROM quizzes WHERE account_id = $1", id)
		if issued.Load() != 1 || quizzes != 3 {
			t.Fatalf("%d issued (%d refused), %d quizzes stored; want 1 more quiz, 3 in all", issued.Load(), refused.Load(), quizzes)
		}
	})
}

// A failed attempt looks the same however many answers were right
// (SEC-KBA-6).
func TestFailuresLookAlike(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := resetAccount(t, s, "alike@example.com", "+6581230003", 0)
		flowID := startReset(t, s, "alike@example.com")
		qz := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz", "", nil)
		right := answer(t, s, id, qz.Body)
		// Three right and one wrong.
		threeRight := map[string][]string{}
		for k, v := range right {
			threeRight[k] = v
		}
		qids := make([]string, 0, len(right))
		for k := range right {
			qids = append(qids, k)
		}
		sort.Strings(qids)
		threeRight[qids[0]] = []string{}
		a := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz/"+qz.Body["quiz_id"].(string)+"/answers", "", map[string]any{"answers": threeRight})
		flowID = startReset(t, s, "alike@example.com")
		qz = s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz", "", nil)
		none := map[string][]string{}
		for _, q := range qz.Body["questions"].([]any) {
			none[q.(map[string]any)["id"].(string)] = []string{}
		}
		b := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz/"+qz.Body["quiz_id"].(string)+"/answers", "", map[string]any{"answers": none})
		if a.Status != b.Status || a.Body["result"] != "failed" || b.Body["result"] != "failed" || len(a.Body) != len(b.Body) ||
			a.Body["state"] != b.Body["state"] {
			t.Fatalf("3 right: %d %s; none right: %d %s", a.Status, a.Raw, b.Status, b.Raw)
		}
		_ = http.StatusOK
	})
}
