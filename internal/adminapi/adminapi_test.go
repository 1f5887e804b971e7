package adminapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/hold"
)

const pw = "tangerine-orbit-42"

func TestAdminTokenRequired(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		for _, tok := range []string{"", "wrong", apptest.AdminToken + "x", strings.ToUpper(apptest.AdminToken)} {
			r := s.DoInternal(t, "POST", "/admin/v1/accounts", tok, map[string]any{"email": "a@example.com", "password": pw})
			if r.Status != 401 || r.ErrorCode() != "unauthorized" || r.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("token %q: %d %s", tok, r.Status, r.Raw)
			}
		}
		// A user's session token is not an admin token.
		s.CreateAccount(t, "u@example.com", pw, "", false)
		user := s.SignIn(t, "u@example.com", pw, "u@example.com")
		if r := s.DoInternal(t, "GET", "/admin/v1/audit?account=x", user, nil); r.Status != 401 {
			t.Fatalf("user token on the admin API: %d", r.Status)
		}
	})
}

func TestCreateAndReadAccount(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		r := s.Admin(t, "POST", "/admin/v1/accounts", map[string]any{"email": "Kim@Example.com", "password": pw,
			"mobile": "+6591234567", "kyc": true, "registered_at": "2024-05-01T10:00:00Z"})
		if r.Status != 201 || len(r.Body["id"].(string)) != 26 {
			t.Fatalf("create: %d %s", r.Status, r.Raw)
		}
		id := r.Body["id"].(string)
		r = s.Admin(t, "GET", "/admin/v1/accounts/"+id, nil)
		if r.Status != 200 || r.Body["email"] != "Kim@Example.com" || r.Body["mobile"] != "+6591234567" ||
			r.Body["mobile_verification"] != true || r.Body["kyc"] != true || r.Body["registered_at"] != "2024-05-01T10:00:00Z" ||
			r.Body["frozen"] != false || len(r.Body["holds"].([]any)) != 0 {
			t.Fatalf("read: %d %s", r.Status, r.Raw)
		}
		r = s.Admin(t, "POST", "/admin/v1/accounts", map[string]any{"email": "lee@example.com", "password": pw})
		r = s.Admin(t, "GET", "/admin/v1/accounts/"+r.Body["id"].(string), nil)
		if r.Body["mobile"] != nil || r.Body["mobile_verification"] != false {
			t.Fatalf("account without mobile: %s", r.Raw)
		}
		if r := s.Admin(t, "GET", "/admin/v1/accounts/aaaaaaaaaaaaaaaaaaaaaaaaaa", nil); r.Status != 404 || r.ErrorCode() != "not_found" {
			t.Fatalf("unknown id: %d %s", r.Status, r.Raw)
		}
	})
}

func TestCreateAccountRefusals(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "taken@example.com", pw, "+6591234560", false)
		cases := []struct {
			body   map[string]any
			status int
			code   string
		}{
			{map[string]any{"email": "TAKEN@example.com", "password": pw}, 409, "conflict"},
			{map[string]any{"email": "new@example.com", "password": pw, "mobile": "+6591234560"}, 409, "conflict"},
			{map[string]any{"email": "x@example.com", "password": pw, "mobile": "+6561234567"}, 400, "invalid_mobile"}, // fixed line
			{map[string]any{"email": "x@example.com", "password": pw, "mobile": "91234567"}, 400, "invalid_mobile"},    // not E.164
			{map[string]any{"email": "not-an-email", "password": pw}, 400, "invalid_request"},
			{map[string]any{"email": "x@example.com", "password": "short"}, 400, "invalid_request"},
			{map[string]any{"email": "x@example.com", "password": pw, "registered_at": "2999-01-01T00:00:00Z"}, 400, "invalid_request"},
			{map[string]any{"email": "x@example.com", "password": pw, "kyc": "yes"}, 400, "invalid_request"},
			{map[string]any{"password": pw}, 400, "invalid_request"},
		}
		for _, c := range cases {
			r := s.Admin(t, "POST", "/admin/v1/accounts", c.body)
			if r.Status != c.status || r.ErrorCode() != c.code {
				t.Errorf("%v: %d %s, want %d %s", c.body, r.Status, r.Raw, c.status, c.code)
			}
		}
	})
}

func TestActivityPush(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := s.CreateAccount(t, "m@example.com", pw, "", false)
		push := map[string]any{
			"deposits":    []map[string]any{{"external_id": "d-1", "coin": "BTC", "network": "BTC", "amount": "0.25", "address": "bc1qexample", "txid": "a1b2c3", "at": "2026-01-05T08:00:00Z"}},
			"withdrawals": []map[string]any{{"external_id": "w-1", "coin": "USDT", "network": "TRC20", "amount": "100.5", "address": "TXexample", "txid": "d4e5f6", "at": "2026-02-05T08:00:00Z"}},
			"logins":      []map[string]any{{"external_id": "l-1", "at": "2026-02-01T08:00:00Z", "ip": "203.0.113.5", "country": "SG", "city": "Singapore", "device": "iPhone"}},
			"trades":      []map[string]any{{"external_id": "t-1", "market": "BTC/USDT", "side": "sell", "at": "2026-01-06T08:00:00Z"}},
			"balances":    []map[string]any{{"asset": "USDT", "amount": "20"}},
		}
		r := s.Admin(t, "POST", "/admin/v1/accounts/"+id+"/activity", push)
		if r.Status != 200 || r.Body["inserted"] != float64(5) || r.Body["duplicates"] != float64(0) {
			t.Fatalf("first push: %d %s", r.Status, r.Raw)
		}
		r = s.Admin(t, "POST", "/admin/v1/accounts/"+id+"/activity", push)
		if r.Status != 200 || r.Body["inserted"] != float64(1) || r.Body["duplicates"] != float64(4) {
			t.Fatalf("repeated push: %d %s", r.Status, r.Raw)
		}
		push["trades"] = []map[string]any{{"external_id": "t-2", "market": "btc-usdt", "side": "sell", "at": "2026-01-06T08:00:00Z"}}
		r = s.Admin(t, "POST", "/admin/v1/accounts/"+id+"/activity", push)
		if r.Status != 400 || !strings.Contains(r.Body["error"].(map[string]any)["message"].(string), "trades[0].market") {
			t.Fatalf("bad market: %d %s", r.Status, r.Raw)
		}
		if r := s.Admin(t, "POST", "/admin/v1/accounts/aaaaaaaaaaaaaaaaaaaaaaaaaa/activity", map[string]any{}); r.Status != 404 {
			t.Fatalf("unknown account: %d %s", r.Status, r.Raw)
		}
		if r := s.Admin(t, "POST", "/admin/v1/accounts/"+id+"/activity", map[string]any{"orders": []int{}}); r.Status != 400 {
			t.Fatalf("unknown list: %d %s", r.Status, r.Raw)
		}
	})
}

func TestWithdrawalEligibility(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := s.CreateAccount(t, "n@example.com", pw, "", false)
		r := s.Admin(t, "GET", "/admin/v1/accounts/"+id+"/withdrawal-eligibility", nil)
		if r.Status != 200 || r.Body["allowed"] != true || r.Body["until"] != nil || len(r.Body["reasons"].([]any)) != 0 {
			t.Fatalf("no hold: %d %s", r.Status, r.Raw)
		}
		end, err := s.Holds.Extend(context.Background(), s.DB, id, hold.MobileReset, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		r = s.Admin(t, "GET", "/admin/v1/accounts/"+id+"/withdrawal-eligibility", nil)
		if r.Status != 200 || r.Body["allowed"] != false || r.Body["until"] != end.Format(time.RFC3339Nano) ||
			r.Body["reasons"].([]any)[0] != "mobile_reset" {
			t.Fatalf("held: %d %s", r.Status, r.Raw)
		}
		if r := s.Admin(t, "GET", "/admin/v1/accounts/nope/withdrawal-eligibility", nil); r.Status != 404 {
			t.Fatalf("unknown account: %d", r.Status)
		}
	})
}

func TestAuditTrail(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := s.CreateAccount(t, "o@example.com", pw, "", false)
		s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "o@example.com", "password": "wrong-password"})
		s.SignIn(t, "o@example.com", pw, "o@example.com")
		// Events are sealed after they commit; sealed, each has its hash.
		if _, err := s.Audit.SealAll(context.Background(), s.DB); err != nil {
			t.Fatal(err)
		}
		r := s.Admin(t, "GET", "/admin/v1/audit?account="+id, nil)
		if r.Status != 200 {
			t.Fatalf("audit: %d %s", r.Status, r.Raw)
		}
		var actions []string
		for _, e := range r.Body["events"].([]any) {
			ev := e.(map[string]any)
			actions = append(actions, ev["action"].(string)+"/"+ev["result"].(string))
			if ev["ip"] == "" || ev["hash"] == "" {
				t.Errorf("event without ip or hash: %v", ev)
			}
		}
		want := "authn_login_success/ok authn_code_sent/ok authn_password_ok/ok authn_login_fail/failed account_created/ok"
		if got := strings.Join(actions, " "); got != want {
			t.Fatalf("audit trail:\n got %s\nwant %s", got, want)
		}
		if r := s.Admin(t, "GET", "/admin/v1/audit", nil); r.Status != 400 {
			t.Fatalf("audit without account: %d", r.Status)
		}
		if n, err := s.Audit.Verify(context.Background(), s.DB); err != nil || n < 5 {
			t.Fatalf("chain: %d, %v", n, err)
		}
	})
}
