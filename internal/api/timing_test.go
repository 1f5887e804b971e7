package api_test

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// SEC-ENUM-1 (v5.0.0-6.3.8): starting a reset with an unknown email and
// with a wrong password does the same work: exactly one argon2id check, at
// the parameters of a stored hash; the same rows written (an audit event and
// the two sign-in limits' counts, nothing else; rowCounts covers every
// table); and the same answer, byte for byte. The time this takes is
// measured, not asserted, by BenchmarkWrongEmailVsWrongPassword
// (docs/benchmarks.md).
func TestWrongEmailAndWrongPasswordDoTheSameWork(t *testing.T) {
	apptest.EachDatabase(t, wrongEmailAndWrongPasswordDoTheSameWork)
}

func wrongEmailAndWrongPasswordDoTheSameWork(t *testing.T, opts apptest.Options) {
	s := apptest.Start(t, opts)
	oneCheck := map[password.Params]int64{s.Hasher.Params(): 1}
	// attempt starts a reset with a wrong password and returns the answer,
	// the rows it wrote and the password checks it ran.
	attempt := func(email string) (apptest.Response, map[string]int, map[password.Params]int64) {
		before, checks := rowCounts(t, s.DB), s.Hasher.ChecksByParams()
		r := s.Do(t, "POST", "/api/v1/mobile-reset", "", map[string]any{"email": email, "password": "not-" + pw, "agree": true})
		if r.Status != 401 || r.ErrorCode() != "invalid_credentials" {
			t.Fatalf("%s: %d %s", email, r.Status, r.Raw)
		}
		ran := s.Hasher.ChecksByParams()
		for p, n := range checks {
			ran[p] -= n
		}
		maps.DeleteFunc(ran, func(_ password.Params, n int64) bool { return n == 0 })
		return r, minus(rowCounts(t, s.DB), before), ran
	}
	attempt("warm-up@example.com") // the address's counter exists from now on
	for i := range 3 {
		known, ghost := fmt.Sprintf("known%d@example.com", i), fmt.Sprintf("ghost%d@example.com", i)
		s.CreateAccount(t, known, pw, "", false)
		k, kWrote, kChecks := attempt(known)
		g, gWrote, gChecks := attempt(ghost)
		if !bytes.Equal(k.Raw, g.Raw) || k.Header.Get("Set-Cookie") != g.Header.Get("Set-Cookie") {
			t.Fatalf("a wrong password answered %s, an unknown email %s", k.Raw, g.Raw)
		}
		if !maps.Equal(kChecks, oneCheck) || !maps.Equal(gChecks, oneCheck) {
			t.Fatalf("password checks: wrong password %v, unknown email %v; want one each at %+v", kChecks, gChecks, s.Hasher.Params())
		}
		if !maps.Equal(kWrote, gWrote) || gWrote["audit_events"] != 1 || gWrote["rate_counters.count"] != 2 {
			t.Fatalf("a wrong password wrote %v, an unknown email %v; want the same audit event and counts", kWrote, gWrote)
		}
	}
}

// BenchmarkWrongEmailVsWrongPassword times reset starts with a wrong
// password and with an unknown email, interleaved (which goes first
// alternates), at the production password cost, and reports the median of
// each. The fake clock moves 15 minutes after each pair so the sign-in
// limits never refuse. Figures: docs/benchmarks.md.
func BenchmarkWrongEmailVsWrongPassword(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchmarkWrongEmailVsWrongPassword(b, storetest.SQLiteURL(b)) })
	b.Run("postgres", func(b *testing.B) { benchmarkWrongEmailVsWrongPassword(b, storetest.PostgresURL(b)) })
}

func benchmarkWrongEmailVsWrongPassword(b *testing.B, databaseURL string) {
	clk := clock.NewFake(time.Now())
	s := apptest.Start(b, apptest.Options{RealPasswordCost: true, Clock: clk, DatabaseURL: databaseURL})
	s.CreateAccount(b, "known@example.com", pw, "+6581240000", false)
	try := func(email string) time.Duration {
		start := time.Now()
		r := s.Do(b, "POST", "/api/v1/mobile-reset", "", map[string]any{"email": email, "password": "not-" + pw, "agree": true})
		took := time.Since(start)
		if r.Status != 401 || r.ErrorCode() != "invalid_credentials" {
			b.Fatalf("%s: %d %s", email, r.Status, r.Raw)
		}
		return took
	}
	mk, mu := timePairs(b, func(int) time.Duration { return try("known@example.com") },
		func(int) time.Duration { return try("ghost@example.com") }, func() { clk.Advance(15 * time.Minute) })
	b.ReportMetric(float64(mk.Microseconds())/1000, "ms-wrong-password")
	b.ReportMetric(float64(mu.Microseconds())/1000, "ms-unknown-email")
	b.ReportMetric(100*float64(mu-mk)/float64(mk), "%-unknown-vs-wrong")
}

// timePairs times one pair per b.Loop iteration, alternating which of the
// two goes first, calls after once a pair is done, and returns the median
// time of each side.
func timePairs(b *testing.B, first, second func(i int) time.Duration, after func()) (time.Duration, time.Duration) {
	var x, y []time.Duration
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			x = append(x, first(i))
			y = append(y, second(i))
		} else {
			y = append(y, second(i))
			x = append(x, first(i))
		}
		after()
	}
	return median(x), median(y)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
