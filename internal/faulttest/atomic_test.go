package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/mail/mailtest"
	"github.com/rebindhq/rebind/internal/sms/smstest"
	"github.com/rebindhq/rebind/internal/store"
)

// TestKillDuringFinalSteps takes 20 flows to their last step on one
// instance, for each of the quiz pass of a reset, a staff approval of
// documents and the confirm of a change of number; sends the last steps at
// once; SIGKILLs the instance once a quarter have their answer; starts
// another on the same database; and looks at every flow in the database
// and through the API. Its outcome is there whole (the number unbound or
// changed, the hold, the flow's end, the audit events, the notices, the
// "This wasn't me" link) or not at all (SEC-REC-12: the hold is written in
// the transaction that changes the number; SEC-AUD-1, SEC-AUD-3), an
// answer of 200 means it is there, a flow left as it was can be finished
// on the new instance, and the audit chain verifies. The subtests share
// one cluster, one after another, each with its own accounts and
// instances.
func TestKillDuringFinalSteps(t *testing.T) {
	r := newRig(t)
	t.Run("quiz pass", func(t *testing.T) { killDuringQuizPass(t, r.on(t, nil)) })
	t.Run("approval", func(t *testing.T) { killDuringApproval(t, r.on(t, map[string]string{"REBIND_OCR_COMMAND": "off"})) })
	t.Run("change confirm", func(t *testing.T) { killDuringChangeConfirm(t, r.on(t, map[string]string{"REBIND_CAPTCHA": "off"})) })
}

// rig is one test's cluster, sinks and instance.
type rig struct {
	t       *testing.T
	cluster *Cluster
	sinks   Sinks
	secrets Secrets
	env     map[string]string
	inst    *Instance
	db      *store.DB
	hc      *http.Client
	tally   *Tally
}

// newRig starts the test's cluster and sinks; each subtest starts its
// instances on them with on.
func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, cluster: StartCluster(t), sinks: Sinks{Mail: mailtest.NewServer(t), SMS: smstest.NewServer(t)},
		secrets: NewSecrets(), tally: &Tally{}}
	r.env = r.sinks.Env()
	r.env["REBIND_TRUSTED_PROXIES"] = "127.0.0.1/32"
	r.env["REBIND_DATABASE_URL"] = r.cluster.URL()
	// Every instance keeps documents in one folder, as they would in one
	// bucket.
	r.env["REBIND_DATA_DIR"] = t.TempDir()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	r.hc = &http.Client{Transport: tr, Timeout: 60 * time.Second}
	db, err := store.Open(context.Background(), r.cluster.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r.db = db
	return r
}

// on returns the rig for subtest t with an instance of its own, started
// with extra on top of the rig's environment.
func (r *rig) on(t *testing.T, extra map[string]string) *rig {
	t.Helper()
	sub := *r
	sub.t, sub.env = t, maps.Clone(r.env)
	maps.Copy(sub.env, extra)
	sub.inst = StartInstance(t, sub.secrets, sub.env)
	return &sub
}

// user is a client of the public API from its own address (flow i).
func (r *rig) user(i int) *Client {
	return &Client{Base: r.inst.URL, IP: fmt.Sprintf("203.0.%d.%d", 113+i/250, 1+i%250), HTTP: r.hc, Tally: r.tally}
}

func (r *rig) admin() *Client {
	return &Client{Base: r.inst.InternalURL, IP: "127.0.0.1", HTTP: r.hc, Tally: r.tally}
}

// must calls and requires status want; a 503 (the password checks'
// bounded queue, saturated by the seeding itself) is tried again.
func (r *rig) must(ctx context.Context, c *Client, step string, want int, method, path, bearer string, body any) (map[string]any, error) {
	for try := 0; ; try++ {
		status, out := c.Call(ctx, step, method, path, bearer, body)
		if status == http.StatusServiceUnavailable && try < 50 {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if status != want {
			return out, fmt.Errorf("%s: %d %v", step, status, out)
		}
		return out, nil
	}
}

// code waits for the next code to "to" after seen messages.
func (r *rig) code(ctx context.Context, to string, seen int) (string, error) {
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return r.sinks.WaitCode(wait, to, seen)
}

// multipart posts a multipart body as c.
func (r *rig) multipart(ctx context.Context, c *Client, path, contentType string, body []byte) (int, map[string]any) {
	req, err := http.NewRequestWithContext(ctx, "POST", c.Base+path, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Forwarded-For", c.IP)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// parallel runs fn for 0..n-1, six at a time, and fails the test with
// the first error.
func parallel(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	errs := make([]error, n)
	sem := make(chan struct{}, 6)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = fn(i)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("flow %d: %v", i, err)
		}
	}
}

// fireAndKill sends every last step at once and kills the instance with
// SIGKILL once a quarter of them have their answer (the rest are then in
// flight, some about to commit); it returns each step's
// status (0: no answer) and starts the new instance.
func (r *rig) fireAndKill(n int, step func(ctx context.Context, i int) int) []int {
	r.t.Helper()
	r.t.Logf("%d flows at their last step", n)
	statuses := make([]int, n)
	first := make(chan struct{})
	var once sync.Once
	var answered atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			statuses[i] = step(context.Background(), i)
			if statuses[i] != 0 && answered.Add(1) == int32(max(1, n/4)) {
				once.Do(func() { close(first) })
			}
		})
	}
	close(start)
	select {
	case <-first:
	case <-time.After(60 * time.Second):
	}
	r.inst.Kill()
	wg.Wait()
	r.t.Logf("answers before the kill: %v", countStatuses(statuses))
	r.inst = StartInstance(r.t, r.secrets, r.env)
	r.t.Log("new instance ready")
	return statuses
}

func countStatuses(s []int) map[int]int {
	m := map[int]int{}
	for _, v := range s {
		m[v]++
	}
	return m
}

// count runs a count query on the database.
func (r *rig) count(query string, args ...any) int {
	r.t.Helper()
	var n int
	if err := r.db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		r.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// part is one thing an outcome implies, and whether it is there.
type part struct {
	what  string
	there bool
}

// judge says whether a flow's outcome is there whole (true) or not at
// all (false); a mix fails the test.
func (r *rig) judge(name string, parts []part) bool {
	r.t.Helper()
	var there, missing []string
	for _, p := range parts {
		if p.there {
			there = append(there, p.what)
		} else {
			missing = append(missing, p.what)
		}
	}
	if len(there) > 0 && len(missing) > 0 {
		sort.Strings(there)
		sort.Strings(missing)
		r.t.Errorf("%s is half applied: there %v; missing %v", name, there, missing)
	}
	return len(missing) == 0
}

// one is a count that must be 0 or 1: more is a part applied twice.
func (r *rig) one(what, query string, args ...any) part {
	r.t.Helper()
	return r.nth(what, 0, query, args...)
}

// nth is a count of rows that each flow of an account adds one of, for a
// flow after prior applied ones: prior (the flow not applied) or prior+1
// (applied); anything else is a part applied twice or lost.
func (r *rig) nth(what string, prior int, query string, args ...any) part {
	r.t.Helper()
	n := r.count(query, args...)
	if n != prior && n != prior+1 {
		r.t.Errorf("%s: %d rows, %d or %d expected", what, n, prior, prior+1)
	}
	return part{what, n == prior+1}
}

// verifyAudit waits for the new instance to seal what the dead one left
// unsealed, then runs rebind audit verify with only the database.
func (r *rig) verifyAudit() {
	r.t.Helper()
	waitFor(r.t, "every audit event sealed by the new instance", 30*time.Second, func() bool {
		return r.count("SELECT count(*) FROM audit_events WHERE chain_pos IS NULL") == 0
	})
	verify := exec.Command(Binary(r.t), "audit", "verify")
	verify.Env = []string{"REBIND_DATABASE_URL=" + r.cluster.URL(), "REBIND_ENV=dev", "HOME=" + r.t.TempDir(),
		"REBIND_DATA_DIR=" + r.t.TempDir(), "REBIND_SECRET=" + r.secrets.Secret, "REBIND_ADMIN_TOKEN=" + r.secrets.AdminToken}
	out, err := verify.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "audit chain intact") || strings.Contains(string(out), "awaiting") {
		r.t.Errorf("rebind audit verify: %v\n%s", err, out)
	}
	r.t.Logf("rebind audit verify: %s", bytes.TrimSpace(out))
}
