package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/token"
)

// A puzzle is drawn only for the caller's own change or bind at its
// new-number step; any other flow is refused before a picture is drawn
// (drawing costs CPU) and before the address's puzzle budget is spent
// (issue 7; SEC-ENUM-1: someone else's flow is not_found like an unknown
// one).
func TestPuzzleOnlyForTheCallersFlow(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "puzzle-owner@example.com", pw, "+6581239101", false)
		s.CreateAccount(t, "puzzle-other@example.com", pw, "+6581239102", false)
		owner := s.SignIn(t, "puzzle-owner@example.com", pw, "+6581239101")
		other := s.SignIn(t, "puzzle-other@example.com", pw, "+6581239102")
		ready := verified(t, s, owner, "mobile-change", "puzzle-owner@example.com", "+6581239101")
		early := s.Do(t, "POST", "/api/v1/mobile-bind", other, nil) // other has a mobile: no bind
		if early.Status != 409 {
			t.Fatalf("bind with a mobile: %d %s", early.Status, early.Raw)
		}
		r := s.Do(t, "POST", "/api/v1/mobile-change", other, nil)
		if r.Status != 201 {
			t.Fatalf("start change: %d %s", r.Status, r.Raw)
		}
		notYet := r.Body["flow_id"].(string)
		drawn := func() int {
			var n int
			if err := s.DB.QueryRowContext(context.Background(), "SELECT count(*) FROM captcha_challenges").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := drawn()
		for _, c := range []struct {
			name, bearer, flowID string
			status               int
			code                 string
		}{
			{"unknown flow", owner, token.NewID(), 404, "not_found"},
			{"malformed flow id", owner, "../../etc", 404, "not_found"},
			{"NUL in the flow id", owner, "a\x00b", 400, "invalid_request"},
			{"someone else's flow", other, ready, 404, "not_found"},
			{"no session", "", ready, 401, "unauthorized"},
			{"a flow before its new-number step", other, notYet, 409, "wrong_state"},
		} {
			r := s.Do(t, "POST", "/api/v1/captcha", c.bearer, map[string]string{"flow_id": c.flowID, "country": "SG", "number": "91239103"})
			if r.Status != c.status || r.ErrorCode() != c.code {
				t.Errorf("%s: %d %.200s, want %d %s", c.name, r.Status, r.Raw, c.status, c.code)
			}
		}
		if n := drawn(); n != before {
			t.Fatalf("%d puzzles were drawn for refused flows", n-before)
		}
		r = s.Do(t, "POST", "/api/v1/captcha", owner, map[string]string{"flow_id": ready, "country": "SG", "number": "91239103"})
		if r.Status != http.StatusCreated || drawn() != before+1 {
			t.Fatalf("the owner's puzzle: %d %.200s", r.Status, r.Raw)
		}
	})
}
