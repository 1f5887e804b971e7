package app_test

import (
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

// Each listener sends Strict-Transport-Security exactly when its users
// reach it over https: the public one by REBIND_BASE_URL, the internal one
// (staff console, admin API) by REBIND_STAFF_URL (ASVS 5.0 3.4.1: HSTS on
// every https response; the console's session cookie never travels in the
// clear).
func TestHSTSFollowsEachListenersURL(t *testing.T) {
	const hsts = "max-age=63072000; includeSubDomains"
	for _, c := range []struct {
		name                 string
		env                  map[string]string
		public, internalHSTS bool
	}{
		{"http", nil, false, false},
		{"public https", map[string]string{"REBIND_BASE_URL": "https://rebind.example"}, true, false},
		{"both https", map[string]string{"REBIND_BASE_URL": "https://rebind.example", "REBIND_STAFF_URL": "https://staff.rebind.example"}, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := apptest.Start(t, apptest.Options{Env: c.env, OnlySQLite: "response headers do not depend on the database"})
			for _, l := range []struct {
				name string
				want bool
				r    apptest.Response
			}{
				{"public", c.public, s.Do(t, "GET", "/healthz", "", nil)},
				{"internal", c.internalHSTS, s.DoInternal(t, "GET", "/healthz", "", nil)},
			} {
				if l.r.Status != 200 {
					t.Fatalf("%s /healthz: %d", l.name, l.r.Status)
				}
				if got := l.r.Header.Get("Strict-Transport-Security"); (got == hsts) != l.want || (!l.want && got != "") {
					t.Errorf("%s listener: Strict-Transport-Security %q, want it %v", l.name, got, l.want)
				}
			}
		})
	}
}
