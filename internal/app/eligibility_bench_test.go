package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// eligibilityClients is how many wallet connections the benchmark keeps
// busy at once.
const eligibilityClients = 32

// BenchmarkEligibilityHTTP drives the wallet's hot path through the real
// internal listener (every middleware, the admin token check, the query,
// the JSON) over keep-alive connections on 127.0.0.1, with 32 clients in
// a closed loop, then a bare net/http handler that writes the same JSON
// through the same client, and a bare handler that runs the same query
// through the same pool (the ceiling of one round trip per request), in the
// same run. It reports each side's requests per second and p99, and the
// ratios of the rates. b.N is the number of requests of each side.
func BenchmarkEligibilityHTTP(b *testing.B) {
	for _, kind := range []string{"postgres", "sqlite"} {
		b.Run(kind, func(b *testing.B) {
			url := storetest.SQLiteURL(b)
			if kind == "postgres" {
				url = storetest.PostgresURL(b)
			}
			s := apptest.Start(b, apptest.Options{DatabaseURL: url})
			ids := make([]string, 1000)
			for i := range ids {
				ids[i] = storetest.Account(b, s.DB)
			}
			for i := 0; i < len(ids); i += 10 {
				if _, err := s.Holds.Extend(context.Background(), s.DB, ids[i], hold.MobileReset, 24*time.Hour); err != nil {
					b.Fatal(err)
				}
			}
			paths := make([]string, len(ids))
			for i, id := range ids {
				paths[i] = s.InternalURL + "/admin/v1/accounts/" + id + "/withdrawal-eligibility"
			}
			body := []byte(`{"allowed":true,"until":null,"reasons":[]}` + "\n")
			bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.Write(body)
			}))
			b.Cleanup(bare.Close)
			bareURLs := make([]string, len(ids))
			for i, id := range ids {
				bareURLs[i] = bare.URL + "/admin/v1/accounts/" + id + "/withdrawal-eligibility"
			}
			// The ceiling of any design that asks the database once per
			// request: a bare handler running the same query through the
			// same pool and writing its answer.
			query := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				e, err := s.Holds.WithdrawalEligibility(r.Context(), s.DB, path.Base(path.Dir(r.URL.Path)))
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				json.NewEncoder(w).Encode(e)
			}))
			b.Cleanup(query.Close)
			queryURLs := make([]string, len(ids))
			for i, id := range ids {
				queryURLs[i] = query.URL + "/admin/v1/accounts/" + id + "/withdrawal-eligibility"
			}
			client := &http.Client{Transport: &http.Transport{
				DialContext:         (&net.Dialer{}).DialContext,
				MaxIdleConns:        eligibilityClients * 2,
				MaxIdleConnsPerHost: eligibilityClients * 2,
			}}
			b.Cleanup(client.CloseIdleConnections)
			drive(b, client, paths, 200) // warm: connections, statement cache
			b.ResetTimer()
			appRate, appP99 := drive(b, client, paths, b.N)
			bareRate, bareP99 := drive(b, client, bareURLs, b.N)
			queryRate, queryP99 := drive(b, client, queryURLs, b.N)
			b.StopTimer()
			b.ReportMetric(queryRate, "query-req/s")
			b.ReportMetric(queryP99, "query-p99-ms")
			b.ReportMetric(appRate/queryRate, "app/query")
			b.ReportMetric(appRate, "app-req/s")
			b.ReportMetric(appP99, "app-p99-ms")
			b.ReportMetric(bareRate, "bare-req/s")
			b.ReportMetric(bareP99, "bare-p99-ms")
			b.ReportMetric(appRate/bareRate, "app/bare")
		})
	}
}

// drive sends n GETs over eligibilityClients goroutines in a closed loop
// and returns the rate and the p99 in milliseconds.
func drive(b *testing.B, client *http.Client, urls []string, n int) (float64, float64) {
	var next atomic.Int64
	lat := make([][]time.Duration, eligibilityClients)
	var wg sync.WaitGroup
	start := time.Now()
	for g := range eligibilityClients {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				req, _ := http.NewRequest("GET", urls[int(i)%len(urls)], nil)
				req.Header.Set("Authorization", "Bearer "+apptest.AdminToken)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[g] = append(lat[g], time.Since(t0))
				if resp.StatusCode != http.StatusOK {
					b.Error(fmt.Sprintf("status %d", resp.StatusCode))
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return 0, 0
	}
	p99 := all[min(len(all)-1, len(all)*99/100)]
	return float64(len(all)) / elapsed.Seconds(), float64(p99.Microseconds()) / 1000
}
