package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// holdHasher keeps every argon2id worker busy until the test ends.
func holdHasher(t *testing.T, s *apptest.Server) {
	for range runtime.GOMAXPROCS(0) {
		t.Cleanup(s.Hasher.Occupy())
	}
}

func signInRequest(ctx context.Context, t *testing.T, url, email string) *http.Request {
	body, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	req, err := http.NewRequestWithContext(ctx, "POST", url+"/api/v1/sessions", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

// A client that goes away while its sign-in waits for a password worker is
// logged at info and counted as 499, not as a server error that would page
// someone (SEC-LOG: errors in the log are the ones to act on).
func TestClientGoneIsNotAServerError(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		logs := &syncBuffer{}
		opts.Logs = logs
		s := apptest.Start(t, opts)
		holdHasher(t, s)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			resp, err := http.DefaultClient.Do(signInRequest(ctx, t, s.URL, "gone@example.com"))
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		apptest.Eventually(t, 10*time.Second, "the sign-in blocked on a worker", func() bool { return s.Hasher.Queued() == 1 })
		cancel()
		if err := <-done; err == nil {
			t.Fatal("the cancelled request got an answer")
		}
		route := map[string]string{"route": "POST /api/v1/sessions"}
		apptest.Eventually(t, 10*time.Second, "the request to be counted", func() bool { return s.Metric(t, "rebind_http_requests_total", route) == 1 })
		if n := s.Metric(t, "rebind_http_requests_total", map[string]string{"route": "POST /api/v1/sessions", "status": "499"}); n != 1 {
			t.Errorf("499s counted: %v, want 1: %q", n, s.MetricLines(t, "rebind_http_requests_total"))
		}
		for _, line := range s.MetricLines(t, "rebind_http_requests_total") {
			if strings.Contains(line, `status="5`) {
				t.Errorf("a 5xx was counted: %s", line)
			}
		}
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, `"level":"ERROR"`) {
				t.Errorf("an error was logged: %s", line)
			}
		}
		if !strings.Contains(logs.String(), `"status":499`) {
			t.Errorf("no request logged with 499:\n%s", logs.String())
		}
	})
}

// With every password worker held and a queue of 30, 40 simultaneous
// sign-ins give 30 that wait and 10 refused at admission with 503 and
// Retry-After, none of which ran a hash (API4:2023; the shed is global and
// temporary, so no stranger can lock one account out with it).
func TestSignInBeyondTheQueueIsRefusedAtOnce(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.Hasher.SetQueue(30, time.Hour)
		before := s.Hasher.Checks()
		release := make([]func(), 0, runtime.GOMAXPROCS(0))
		for range runtime.GOMAXPROCS(0) {
			release = append(release, s.Hasher.Occupy())
		}
		type answer struct {
			status     int
			retryAfter string
		}
		answers := make(chan answer, 40)
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				resp, err := http.DefaultClient.Do(signInRequest(context.Background(), t, s.URL, "queue"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@example.com"))
				if err != nil {
					t.Error(err)
					answers <- answer{}
					return
				}
				resp.Body.Close()
				answers <- answer{resp.StatusCode, resp.Header.Get("Retry-After")}
			})
		}
		apptest.Eventually(t, 20*time.Second, "30 sign-ins waiting and 10 refused", func() bool {
			return s.Hasher.Waiting() == 30 && s.Hasher.Refused() == 10
		})
		// The refused ten are answered while the workers are still held.
		for range 10 {
			if a := <-answers; a.status != http.StatusServiceUnavailable || a.retryAfter != "1" {
				t.Errorf("a sign-in beyond the queue: %d Retry-After %q, want 503 and 1", a.status, a.retryAfter)
			}
		}
		if n := s.Hasher.Checks() - before; n != 0 {
			t.Fatalf("%d hashes ran while the workers were held", n)
		}
		for _, r := range release {
			r()
		}
		wg.Wait()
		close(answers)
		for a := range answers {
			if a.status != http.StatusUnauthorized {
				t.Errorf("an admitted sign-in (unknown email): %d, want 401", a.status)
			}
		}
		if n := s.Hasher.Checks() - before; n != 30 {
			t.Fatalf("%d hashes ran, want the 30 admitted", n)
		}
		// The ten refused spent no sign-in limit: a check is admitted or
		// refused on arrival, before the limits.
		for _, limit := range []string{"signin_ip", "signin_email"} {
			if n := storetest.Count(t, s.DB, "SELECT coalesce(sum(count), 0) FROM rate_counters WHERE key LIKE $1", limit+":%"); n != 30 {
				t.Errorf("%s counted %d sign-ins, want the 30 admitted", limit, n)
			}
		}
	})
}

// A sign-in the password queue would refuse is refused before anything
// else: no account lookup, no limit count spent on a password never
// checked (so shedding cannot eat an owner's sign-in allowance), no
// statement for load that is being shed, and no error in the log.
func TestShedSignInSpendsNoLimit(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		logs := &syncBuffer{}
		opts.Logs = logs
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "shed@example.com", pw, "", false)
		holdHasher(t, s)
		s.Hasher.SetQueue(0, time.Hour) // no waiting: every check now is refused
		before := storetest.Count(t, s.DB, "SELECT count(*) FROM rate_counters")
		resp, err := http.DefaultClient.Do(signInRequest(context.Background(), t, s.URL, "shed@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
			t.Fatalf("sign-in with every worker taken and no queue: %d Retry-After %q, want 503 and 1", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if after := storetest.Count(t, s.DB, "SELECT count(*) FROM rate_counters"); after != before {
			t.Errorf("rate counters %d -> %d: a refused sign-in spent a limit", before, after)
		}
		if n := s.Hasher.Refused(); n != 1 {
			t.Errorf("refusals counted: %d, want 1", n)
		}
		// Shedding is designed, and counted by its metric: a warning, not
		// an error line per refused request that would page someone.
		if l := logs.String(); strings.Contains(l, `"level":"ERROR"`) || !strings.Contains(l, `"msg":"request shed"`) {
			t.Errorf("want the shed request logged as a warning and no error:\n%s", l)
		}
	})
}

// A sign-in whose caller leaves while it waits for a password worker is
// not counted against the address or the email: the password was never
// checked (the counts it took are given back).
func TestAbandonedSignInSpendsNoLimit(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "left@example.com", pw, "", false)
		holdHasher(t, s)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if resp, err := http.DefaultClient.Do(signInRequest(ctx, t, s.URL, "left@example.com")); err == nil {
				resp.Body.Close()
			}
		}()
		apptest.Eventually(t, 10*time.Second, "the sign-in blocked on a worker", func() bool { return s.Hasher.Queued() == 1 })
		if n := storetest.Count(t, s.DB, "SELECT coalesce(sum(count), 0) FROM rate_counters"); n != 2 {
			t.Fatalf("counted while waiting: %d, want 2 (address and email)", n)
		}
		cancel()
		<-done
		apptest.Eventually(t, 10*time.Second, "the counts given back", func() bool {
			return storetest.Count(t, s.DB, "SELECT coalesce(sum(count), 0) FROM rate_counters") == 0
		})
	})
}
