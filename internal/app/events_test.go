package app_test

import (
	"net/http"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

// The on-call counters move by exactly what a flow did: a wrong password
// and an unknown email are one failure each under their reason, a sign-in
// is one login started, one code sent by email and one verify, and the
// series alerts watch exist at zero before any event.
func TestEventCounters(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		for _, series := range []struct {
			name   string
			labels map[string]string
		}{
			{"rebind_flow_events_total", map[string]string{"kind": "mobile_reset", "event": "quiz_failed"}},
			{"rebind_flow_events_total", map[string]string{"kind": "mobile_change", "event": "cancelled"}},
			{"rebind_codes_sent_total", map[string]string{"channel": "sms", "purpose": "change_new_sms"}},
			{"rebind_signin_failures_total", map[string]string{"reason": "busy"}},
			{"rebind_limit_refusals_total", map[string]string{"limit": "signin_email"}},
			{"rebind_code_sends_refused_total", map[string]string{"limit": "sms_budget_day", "requester": "owner"}},
			{"rebind_account_freezes_total", nil},
			{"rebind_password_checks_shed_total", nil},
			{"rebind_outbox_deliveries_total", map[string]string{"channel": "sms", "outcome": "failed"}},
			{"rebind_outbox_deliveries_total", map[string]string{"channel": "email", "outcome": "expired"}},
			{"rebind_outbox_breaker_open", map[string]string{"channel": "sms"}},
			{"rebind_admin_auth_failures_total", map[string]string{"outcome": "limited"}},
			{"rebind_retention_purged_rows_total", map[string]string{"table": "codes"}},
			{"rebind_retention_purged_rows_total", map[string]string{"table": "sessions"}},
			{"rebind_retention_failures_total", nil},
		} {
			if len(s.MetricLines(t, series.name)) == 0 || s.Metric(t, series.name, series.labels) != 0 {
				t.Errorf("%s %v: want a series at zero; have %q", series.name, series.labels, s.MetricLines(t, series.name))
			}
		}
		s.CreateAccount(t, "counted@example.com", pw, "", false)
		wrong := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "counted@example.com", "password": "not-the-password"})
		unknown := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "nobody@example.com", "password": pw})
		if wrong.Status != http.StatusUnauthorized || unknown.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d, unknown email %d", wrong.Status, unknown.Status)
		}
		s.SignIn(t, "counted@example.com", pw, "counted@example.com")
		for _, c := range []struct {
			name   string
			labels map[string]string
			want   float64
		}{
			{"rebind_signin_failures_total", map[string]string{"reason": "wrong_password"}, 1},
			{"rebind_signin_failures_total", map[string]string{"reason": "unknown_email"}, 1},
			{"rebind_signin_failures_total", nil, 2},
			{"rebind_flow_events_total", map[string]string{"kind": "login", "event": "started"}, 1},
			{"rebind_flow_events_total", map[string]string{"kind": "login", "event": "verify"}, 1},
			{"rebind_flow_events_total", nil, 2},
			{"rebind_codes_sent_total", map[string]string{"channel": "email", "purpose": "login"}, 1},
			{"rebind_codes_sent_total", nil, 1},
			{"rebind_limit_refusals_total", nil, 0},
		} {
			if got := s.Metric(t, c.name, c.labels); got != c.want {
				t.Errorf("%s %v = %v, want %v", c.name, c.labels, got, c.want)
			}
		}
	})
}
