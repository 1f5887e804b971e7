package adminapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image/jpeg"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/token"
)

func appPath(id string) string { return "/admin/v1/applications/" + id }

func want(t *testing.T, what string, r apptest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.ErrorCode() != code {
		t.Errorf("%s: %d %s, want %d %s", what, r.Status, r.Raw, status, code)
	}
}

// fetch gets a path of the internal listener without decoding it.
func fetch(t *testing.T, s *apptest.Server, path string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.InternalURL+path, nil)
	req.Header.Set("Authorization", "Bearer "+apptest.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// Every refusal of the applications endpoints: the public listener does
// not have them, the token is required, a guessed id is not_found, and a
// bad query or decision is invalid_request.
func TestApplicationEndpointRefusals(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		app := s.KYCApplication(t, "ref@example.com", pw, "+6581235001", 1)
		other := s.KYCApplication(t, "ref2@example.com", pw, "+6581235002", 2)
		otherFile := s.Admin(t, "GET", appPath(other.ID), nil).Body["files"].([]any)[0].(map[string]any)["id"].(string)
		paths := []string{"/admin/v1/applications", appPath(app.ID), appPath(app.ID) + "/files/" + otherFile, appPath(app.ID) + "/decision"}
		for i, p := range paths {
			method := map[bool]string{true: "POST", false: "GET"}[i == 3]
			if r := s.Do(t, method, p, apptest.AdminToken, nil); r.Status != 404 {
				t.Errorf("public listener %s %s: %d", method, p, r.Status)
			}
			want(t, "no token "+p, s.DoInternal(t, method, p, "", nil), 401, "unauthorized")
		}
		guess := token.NewID()
		want(t, "guessed application", s.Admin(t, "GET", appPath(guess), nil), 404, "not_found")
		want(t, "malformed application id", s.Admin(t, "GET", appPath("x"), nil), 404, "not_found")
		want(t, "guessed application's decision", s.Admin(t, "POST", appPath(guess)+"/decision", map[string]any{"decision": "approve"}), 404, "not_found")
		want(t, "guessed application's file", s.Admin(t, "GET", appPath(guess)+"/files/"+otherFile, nil), 404, "not_found")
		want(t, "another application's file", s.Admin(t, "GET", paths[2], nil), 404, "not_found")
		want(t, "guessed file", s.Admin(t, "GET", appPath(app.ID)+"/files/"+guess, nil), 404, "not_found")
		for _, q := range []string{"state=open", "limit=0", "limit=201", "limit=x", "after=x", "after=" + token.NewID()} {
			want(t, "list "+q, s.Admin(t, "GET", "/admin/v1/applications?"+q, nil), 400, "invalid_request")
		}
		for name, body := range map[string]any{
			"no decision":            map[string]any{},
			"unknown decision":       map[string]any{"decision": "maybe"},
			"rejection, no reason":   map[string]any{"decision": "reject"},
			"rejection, bad reason":  map[string]any{"decision": "reject", "reason": "ugly"},
			"approval with a reason": map[string]any{"decision": "approve", "reason": "other"},
			"unknown field":          map[string]any{"decision": "approve", "staff": "x"},
			"wrong type":             map[string]any{"decision": true},
			"note too long":          map[string]any{"decision": "reject", "reason": "other", "note": strings.Repeat("n", 1001)},
		} {
			want(t, name, s.Admin(t, "POST", paths[3], body), 400, "invalid_request")
		}
		if r := s.Admin(t, "GET", appPath(app.ID), nil); r.Body["state"] != "under_review" {
			t.Fatalf("refused decisions changed the application: %s", r.Raw)
		}
		if r := s.Admin(t, "POST", paths[3], map[string]any{"decision": "approve"}); r.Status != 200 || r.Body["state"] != "approved" {
			t.Fatalf("approve: %d %s", r.Status, r.Raw)
		}
		if r := s.Admin(t, "POST", paths[3], map[string]any{"decision": "approve", "note": "again"}); r.Status != 200 || r.Body["state"] != "approved" {
			t.Fatalf("the same decision again: %d %s", r.Status, r.Raw)
		}
		want(t, "a different decision", s.Admin(t, "POST", paths[3], map[string]any{"decision": "reject", "reason": "other"}), 409, "conflict")
	})
}

// An application that ended without a decision, cancelled by a sign-in
// with the phone or past its deadline, cannot be decided: wrong_state.
func TestEndedApplicationsCannotBeDecided(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		clk := clock.NewFake(time.Now())
		s := apptest.Start(t, apptest.Options{DatabaseURL: opts.DatabaseURL, Clock: clk})
		cancelled := s.KYCApplication(t, "gone@example.com", pw, "+6581235011", 11)
		s.SignIn(t, "gone@example.com", pw, "+6581235011") // the owner still holds the phone
		want(t, "cancelled", s.Admin(t, "POST", appPath(cancelled.ID)+"/decision", map[string]any{"decision": "approve"}), 409, "wrong_state")
		if r := s.Admin(t, "GET", appPath(cancelled.ID), nil); r.Body["state"] != "cancelled" {
			t.Fatalf("cancelled application: %s", r.Raw)
		}
		late := s.KYCApplication(t, "late@example.com", pw, "+6581235012", 12)
		clk.Advance(7*24*time.Hour + time.Minute)
		want(t, "expired", s.Admin(t, "POST", appPath(late.ID)+"/decision", map[string]any{"decision": "reject", "reason": "other"}), 409, "wrong_state")
		if r := s.Admin(t, "GET", appPath(late.ID), nil); r.Body["state"] != "expired" {
			t.Fatalf("past its deadline: %s", r.Raw)
		}
		if r := s.Do(t, "GET", "/api/v1/application-status/"+late.Secret, "", nil); r.Body["state"] != "expired" {
			t.Fatalf("the user's status: %s", r.Raw)
		}
	})
}

// The list pages oldest first with an opaque cursor, and filters by state.
func TestApplicationList(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		clk := clock.NewFake(time.Now())
		s := apptest.Start(t, apptest.Options{DatabaseURL: opts.DatabaseURL, Clock: clk})
		var apps []apptest.Application
		for i := range 3 {
			apps = append(apps, s.KYCApplication(t, fmt.Sprintf("list%d@example.com", i), pw, fmt.Sprintf("+658123502%d", i), uint64(20+i)))
			clk.Advance(time.Minute)
		}
		r := s.Admin(t, "GET", "/admin/v1/applications?limit=2", nil)
		list := r.Body["applications"].([]any)
		if r.Status != 200 || len(list) != 2 || r.Body["next"] == nil {
			t.Fatalf("first page: %d %s", r.Status, r.Raw)
		}
		first := list[0].(map[string]any)
		if first["id"] != apps[0].ID || first["account_id"] != apps[0].AccountID || first["class"] != "kyc" ||
			first["state"] != "under_review" || first["age_seconds"] != float64(180) || first["flags"] == nil ||
			first["submitted_at"] == nil || first["deadline"] == nil || list[1].(map[string]any)["id"] != apps[1].ID {
			t.Fatalf("first page: %s", r.Raw)
		}
		r = s.Admin(t, "GET", "/admin/v1/applications?limit=2&after="+r.Body["next"].(string), nil)
		if list := r.Body["applications"].([]any); len(list) != 1 || list[0].(map[string]any)["id"] != apps[2].ID || r.Body["next"] != nil {
			t.Fatalf("second page: %s", r.Raw)
		}
		s.Admin(t, "POST", appPath(apps[1].ID)+"/decision", map[string]any{"decision": "reject", "reason": "other"})
		if r := s.Admin(t, "GET", "/admin/v1/applications", nil); len(r.Body["applications"].([]any)) != 2 {
			t.Fatalf("under review after a rejection: %s", r.Raw)
		}
		r = s.Admin(t, "GET", "/admin/v1/applications?state=rejected", nil)
		if list := r.Body["applications"].([]any); len(list) != 1 || list[0].(map[string]any)["id"] != apps[1].ID {
			t.Fatalf("rejected: %s", r.Raw)
		}
	})
}

// The detail view carries what a reviewer decides on, and opening a
// picture serves the stored copy safely and is audited (SEC-FILE-8,
// SEC-AUD-6).
func TestApplicationDetailAndPicture(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		app := s.KYCApplication(t, "detail@example.com", pw, "+6581235031", 31)
		pushHistory(t, s, app.AccountID)
		r := s.Admin(t, "GET", appPath(app.ID), nil)
		stmt := r.Body["expected_statement"].(map[string]any)
		acc := r.Body["account"].(map[string]any)
		if r.Status != 200 || r.Body["class"] != "kyc" || stmt["phrase"] != "Apply to reset Mobile on Rebind" ||
			stmt["date"] != time.Now().UTC().Format(time.DateOnly) || len(stmt["reference_code"].(string)) != 9 ||
			acc["email"] != "detail@example.com" || acc["kyc"] != true || acc["mobile"] != "+65 ****5031" || acc["frozen"] != false ||
			acc["registered_at"] == nil || r.Body["findings"] == nil || len(r.Body["transactions"].([]any)) != 0 {
			t.Fatalf("detail: %d %s", r.Status, r.Raw)
		}
		logins, deposits := acc["recent_logins"].([]any), acc["recent_deposits"].([]any)
		if len(logins) != 20 || logins[0].(map[string]any)["external_id"] != "l24" || len(deposits) != 50 ||
			deposits[0].(map[string]any)["external_id"] != "d54" || len(acc["recent_withdrawals"].([]any)) != 0 {
			t.Fatalf("account facts: %d logins, %d deposits: %s", len(logins), len(deposits), r.Raw)
		}
		files := r.Body["files"].([]any)
		f := files[0].(map[string]any)
		if len(files) != 1 || f["kind"] != "selfie_with_statement" || f["width"] != float64(480) || f["height"] != float64(480) ||
			f["url"] != appPath(app.ID)+"/files/"+f["id"].(string) || len(f["sha256"].(string)) != 64 || f["destroyed_at"] != nil ||
			f["metadata"].(map[string]any)["has_camera_metadata"] != false {
			t.Fatalf("file: %s", r.Raw)
		}
		resp, body := fetch(t, s, f["url"].(string))
		sum := sha256.Sum256(body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || resp.Header.Get("Cache-Control") != "no-store" ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(resp.Header.Get("Content-Security-Policy"), "sandbox") ||
			hex.EncodeToString(sum[:]) != f["sha256"] {
			t.Fatalf("picture: %d %v", resp.StatusCode, resp.Header)
		}
		if img, err := jpeg.Decode(bytes.NewReader(body)); err != nil || img.Bounds().Dx() != 480 {
			t.Fatalf("the picture does not decode: %v", err)
		}
		events := s.Admin(t, "GET", "/admin/v1/audit?account="+app.AccountID, nil).Body["events"].([]any)
		ev := events[0].(map[string]any)
		detail := ev["detail"].(map[string]any)
		if ev["action"] != "document_viewed" || ev["actor"] != "admin" || detail["application"] != app.ID || detail["file"] != f["id"] {
			t.Fatalf("the view was not audited: %v", ev)
		}
		// The statement expected is the one the user was asked for, whatever
		// the brand is called when the reviewer reads it.
		renamed := apptest.Start(t, apptest.Options{DatabaseURL: opts.DatabaseURL,
			Env: map[string]string{"REBIND_SECRET": s.Secret, "REBIND_BRAND": "Renamed"}})
		r = renamed.Admin(t, "GET", appPath(app.ID), nil)
		if p := r.Body["expected_statement"].(map[string]any)["phrase"]; p != "Apply to reset Mobile on Rebind" {
			t.Fatalf("after a change of brand the expected phrase is %q", p)
		}
	})
}

// pushHistory gives the account 25 logins and 55 deposits, a day apart,
// the last of each the newest.
func pushHistory(t *testing.T, s *apptest.Server, id string) {
	t.Helper()
	var logins, deposits []map[string]any
	at := func(i int) string {
		return time.Now().Add(-time.Duration(100-i) * 24 * time.Hour).UTC().Format(time.RFC3339)
	}
	for i := range 25 {
		logins = append(logins, map[string]any{"external_id": fmt.Sprintf("l%d", i), "at": at(i), "ip": "203.0.113.7",
			"country": "SG", "city": "Singapore", "device": "Pixel"})
	}
	for i := range 55 {
		deposits = append(deposits, map[string]any{"external_id": fmt.Sprintf("d%d", i), "coin": "BTC", "network": "BTC",
			"amount": "0.01", "address": "bc1qaddr", "txid": fmt.Sprintf("tx%08d", i), "at": at(i)})
	}
	if r := s.Admin(t, "POST", "/admin/v1/accounts/"+id+"/activity", map[string]any{"logins": logins, "deposits": deposits}); r.Status != 200 {
		t.Fatalf("push: %d %s", r.Status, r.Raw)
	}
}
