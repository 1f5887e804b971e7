package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// BenchmarkSignInHTTP drives the start of a sign-in (POST /api/v1/sessions:
// the limits, one argon2id check at the production cost, the email code
// sent) through the real public listener on PostgreSQL with 32 and with 128
// clients in a closed loop, each request from its own address (a trusted
// proxy's X-Forwarded-For) for one of 300 accounts, so no limit refuses.
// Before it, in the same run, it measures the argon2id ceiling: hashes per
// second with one worker per CPU. A client answered 503 waits its
// Retry-After and tries again, as a well-behaved app does; b.N counts
// admitted sign-ins (at most 3,000: 10 per account). It reports admitted
// sign-ins per second and as a fraction of the ceiling, their p99, how many
// were shed and how fast (shed-p99-ms), and the server's peak heap in use.
//
// Each level runs twice: hashes at the server's priority (nice=0) and on
// lowered threads with half as many Go processors again, as serve runs
// them by default (nice=10).
func BenchmarkSignInHTTP(b *testing.B) {
	for _, clients := range []int{32, 128} {
		for _, nice := range []int{0, 10} {
			b.Run(fmt.Sprintf("c=%d/nice=%d", clients, nice), func(b *testing.B) { benchSignIn(b, clients, nice) })
		}
	}
}

func benchSignIn(b *testing.B, clients, nice int) {
	rules := code.DefaultRules
	rules.PerHour, rules.PerDay = 1<<30, 1<<30
	procs := runtime.GOMAXPROCS(0)
	ceiling := hashCeiling(b, 3*time.Second)
	if nice > 0 { // as serve does (hashProcessors)
		runtime.GOMAXPROCS(procs + (procs+1)/2)
		defer runtime.GOMAXPROCS(procs)
	}
	s := apptest.Start(b, apptest.Options{DatabaseURL: storetest.PostgresURL(b), RealPasswordCost: true, CodeRules: &rules,
		HashWorkers: procs, Env: map[string]string{"REBIND_TRUSTED_PROXIES": "127.0.0.1/32", "REBIND_PASSWORD_NICE": strconv.Itoa(nice)}})
	const accounts = 300
	emails := make([]string, accounts)
	for i := range emails {
		emails[i] = fmt.Sprintf("bench%d@example.com", i)
		s.CreateAccount(b, emails[i], pw, "", false)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: 2 * clients}}
	var next, attempt atomic.Int64
	lat := make([][]time.Duration, clients)
	shedLat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	stopHeap := make(chan struct{})
	peakHeap := make(chan uint64, 1)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stopHeap:
				peakHeap <- peak
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	b.ResetTimer()
	start := time.Now()
	for g := range clients {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				for {
					body, _ := json.Marshal(map[string]string{"email": emails[i%accounts], "password": pw})
					req, _ := http.NewRequest("POST", s.URL+"/api/v1/sessions", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					a := attempt.Add(1)
					req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", a>>16&255, a>>8&255, a&255))
					t0 := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					d := time.Since(t0)
					if resp.StatusCode == http.StatusOK {
						lat[g] = append(lat[g], d)
						break
					}
					if resp.StatusCode != http.StatusServiceUnavailable {
						b.Errorf("sign-in: %d", resp.StatusCode)
						return
					}
					shedLat[g] = append(shedLat[g], d)
					wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
					time.Sleep(time.Duration(wait) * time.Second)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(stopHeap)
	// The machine's speed drifts by 10–20 % over a minute (a shared
	// virtual machine): the ceiling is measured before and after the run,
	// and the run is compared with their mean (after a second for the
	// outbox to send the last codes).
	time.Sleep(time.Second)
	runtime.GOMAXPROCS(procs)
	after := hashCeiling(b, 3*time.Second)
	b.ReportMetric(after, "hashes/s-after")
	ceiling = (ceiling + after) / 2
	all, shed := slices.Concat(lat...), slices.Concat(shedLat...)
	slices.Sort(all)
	slices.Sort(shed)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	}
	if len(shed) > 0 {
		b.ReportMetric(float64(shed[len(shed)*99/100].Microseconds())/1000, "shed-p99-ms")
	}
	rate := float64(len(all)) / elapsed.Seconds()
	b.ReportMetric(rate, "signins/s")
	b.ReportMetric(float64(len(shed)), "shed")
	b.ReportMetric(ceiling, "hashes/s")
	b.ReportMetric(rate/ceiling, "of-ceiling")
	b.ReportMetric(float64(<-peakHeap)/(1<<20), "peak-heap-MiB")
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
