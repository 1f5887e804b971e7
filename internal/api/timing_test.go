package api_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

// SEC-ENUM-1 (v5.0.0-6.3.8): starting a reset with an unknown email and
// with a wrong password does the same work and takes the same time. The
// work is counted exactly (one argon2id check each); the time is compared
// over 30 interleaved requests of each kind with the production password
// cost, as the relative difference of the medians.
func TestWrongEmailAndWrongPasswordTakeTheSameTime(t *testing.T) {
	if testing.Short() {
		t.Skip("timing comparison skipped in -short mode")
	}
	s := apptest.Start(t, apptest.Options{RealPasswordCost: true})
	const n = 30
	for i := range n {
		s.CreateAccount(t, fmt.Sprintf("known%d@example.com", i), pw, fmt.Sprintf("+658124%04d", i), false)
	}
	var known, unknown []time.Duration
	for i := range n {
		for _, email := range []string{fmt.Sprintf("known%d@example.com", i), fmt.Sprintf("ghost%d@example.com", i)} {
			before := s.Hasher.Checks()
			start := time.Now()
			r := s.Do(t, "POST", "/api/v1/mobile-reset", "", map[string]any{"email": email, "password": "not-" + pw, "agree": true})
			took := time.Since(start)
			if r.Status != 401 || r.ErrorCode() != "invalid_credentials" {
				t.Fatalf("%s: %d %s", email, r.Status, r.Raw)
			}
			if d := s.Hasher.Checks() - before; d != 1 {
				t.Fatalf("%s: %d password checks, want 1", email, d)
			}
			if email[0] == 'k' {
				known = append(known, took)
			} else {
				unknown = append(unknown, took)
			}
		}
	}
	mk, mu := median(known), median(unknown)
	diff := mk - mu
	if diff < 0 {
		diff = -diff
	}
	t.Logf("median: wrong password %v, unknown email %v", mk, mu)
	if float64(diff) > 0.25*float64(max(mk, mu)) {
		t.Fatalf("medians differ by %v (wrong password %v, unknown email %v)", diff, mk, mu)
	}
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
