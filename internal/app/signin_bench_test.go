package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// signInClients is how many sign-ins the benchmark keeps in flight.
const signInClients = 32

// BenchmarkSignInHTTP drives the start of a sign-in (POST /api/v1/sessions:
// the limits, one argon2id check at the production cost, the email code
// sent) through the real public listener on PostgreSQL with 32 clients in
// a closed loop, each request from its own address (a trusted proxy's
// X-Forwarded-For) for one of 300 accounts, so no limit refuses. Before it,
// in the same run, it measures the argon2id ceiling: hashes per second
// with one worker per CPU. It reports sign-ins per second, p99, how many
// were shed (503), and the rate as a fraction of the ceiling. b.N is the
// number of sign-ins (at most 3,000: 10 per account).
func BenchmarkSignInHTTP(b *testing.B) {
	rules := code.DefaultRules
	rules.PerHour, rules.PerDay = 1<<30, 1<<30
	s := apptest.Start(b, apptest.Options{DatabaseURL: storetest.PostgresURL(b), RealPasswordCost: true, CodeRules: &rules,
		Env: map[string]string{"REBIND_TRUSTED_PROXIES": "127.0.0.1/32"}})
	const accounts = 300
	emails := make([]string, accounts)
	for i := range emails {
		emails[i] = fmt.Sprintf("bench%d@example.com", i)
		s.CreateAccount(b, emails[i], pw, "", false)
	}
	ceiling := hashCeiling(b, 3*time.Second)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}}
	var next, shed atomic.Int64
	lat := make([][]time.Duration, signInClients)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for g := range signInClients {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				body, _ := json.Marshal(map[string]string{"email": emails[i%accounts], "password": pw})
				req, _ := http.NewRequest("POST", s.URL+"/api/v1/sessions", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					lat[g] = append(lat[g], time.Since(t0))
				case http.StatusServiceUnavailable:
					shed.Add(1)
				default:
					b.Errorf("sign-in: %d", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	}
	rate := float64(len(all)) / elapsed.Seconds()
	b.ReportMetric(rate, "signins/s")
	b.ReportMetric(float64(shed.Load()), "shed")
	b.ReportMetric(ceiling, "hashes/s")
	b.ReportMetric(rate/ceiling, "of-ceiling")
}

// hashCeiling returns argon2id hashes per second at the production
// parameters with one goroutine per CPU, hashing for d.
func hashCeiling(b *testing.B, d time.Duration) float64 {
	h := password.NewHasher(password.Default, 0)
	var n atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for time.Now().Before(stop) {
				if _, err := h.Hash(b.Context(), "tangerine-orbit-42"); err != nil {
					b.Error(err)
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}
