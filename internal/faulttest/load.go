package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/mail/mailtest"
	"github.com/rebindhq/rebind/internal/sms/smstest"
)

// Sinks are the SMTP and SMS servers the instances deliver to.
type Sinks struct {
	Mail *mailtest.Server
	SMS  *smstest.Server
}

// Env points an instance at the sinks.
func (s Sinks) Env() map[string]string {
	return map[string]string{
		"REBIND_SMTP_URL": s.Mail.URL(), "REBIND_MAIL_FROM": "Rebind <no-reply@rebind.example>",
		"REBIND_SMS_URL": s.SMS.URL(), "REBIND_SMS_FROM": "Rebind",
		// Budgets sized for a load test: the limits under test are others.
		"REBIND_SMS_BUDGET_DAY": "1000000", "REBIND_SMS_PER_CALLING_CODE_DAY": "1000000",
		"REBIND_SMS_PER_PREFIX_DAY": "1000000",
	}
}

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

// WaitCode waits for a message to "to" that was not among the first seen
// messages to it, and returns its code.
func (s Sinks) WaitCode(ctx context.Context, to string, seen int) (string, error) {
	for {
		var bodies []string
		if strings.HasPrefix(to, "+") {
			for _, m := range s.SMS.Messages() {
				if m.To == to {
					bodies = append(bodies, m.Body)
				}
			}
		} else {
			for _, m := range s.Mail.Messages() {
				if len(m.To) == 1 && m.To[0] == to {
					bodies = append(bodies, m.Body)
				}
			}
		}
		for _, b := range bodies[min(seen, len(bodies)):] {
			if c := sixDigits.FindStringSubmatch(b); c != nil {
				return c[1], nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no code for %s: %w", to, ctx.Err())
		case <-time.After(15 * time.Millisecond):
		}
	}
}

// Count returns how many messages "to" has received.
func (s Sinks) Count(to string) int {
	n := 0
	if strings.HasPrefix(to, "+") {
		for _, m := range s.SMS.Messages() {
			if m.To == to {
				n++
			}
		}
		return n
	}
	for _, m := range s.Mail.Messages() {
		if len(m.To) == 1 && m.To[0] == to {
			n++
		}
	}
	return n
}

// Tally counts answers by step and status, safely from many goroutines.
type Tally struct {
	mu     sync.Mutex
	counts map[string]int
	bodies map[string]string // one body per step and status, for failure messages
}

func (t *Tally) add(step string, status int, body string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts, t.bodies = map[string]int{}, map[string]string{}
	}
	k := fmt.Sprintf("%s %d", step, status)
	t.counts[k]++
	if _, ok := t.bodies[k]; !ok {
		t.bodies[k] = body
	}
}

// Status returns how many answers of a step had a status (step "" counts
// every step).
func (t *Tally) Status(step string, status int) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for k, v := range t.counts {
		var s string
		var code int
		fmt.Sscanf(k, "%s %d", &s, &code)
		if code == status && (step == "" || s == step) {
			n += v
		}
	}
	return n
}

func (t *Tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var b strings.Builder
	for k, v := range t.counts {
		fmt.Fprintf(&b, "%s: %d (%.120s)\n", k, v, t.bodies[k])
	}
	return b.String()
}

// Client calls one instance's JSON API as a given client address.
type Client struct {
	Base  string
	IP    string
	HTTP  *http.Client
	Tally *Tally
}

// Call sends a JSON request and decodes a JSON answer. A transport error
// is tallied as status 0.
func (c *Client) Call(ctx context.Context, step, method, path, bearer string, body any) (int, map[string]any) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", c.IP)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.Tally.add(step, 0, err.Error())
		return 0, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(raw, &out)
	c.Tally.add(step, resp.StatusCode, string(raw))
	return resp.StatusCode, out
}

// Account is one seeded account.
type Account struct {
	Email, Password, Mobile string
}

// To is where the account's sign-in codes go.
func (a Account) To() string {
	if a.Mobile != "" {
		return a.Mobile
	}
	return a.Email
}

// SignIn runs one sign-in to the end: password, the code from the sink,
// verify. It reports whether a session came out.
func (c *Client) SignIn(ctx context.Context, s Sinks, a Account) bool {
	seen := s.Count(a.To())
	status, body := c.Call(ctx, "password", "POST", "/api/v1/sessions", "", map[string]string{"email": a.Email, "password": a.Password})
	if status != http.StatusOK {
		return false
	}
	id, _ := body["login_id"].(string)
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	code, err := s.WaitCode(wait, a.To(), seen)
	if err != nil {
		c.Tally.add("code", 0, err.Error())
		return false
	}
	for {
		status, _ = c.Call(ctx, "verify", "POST", "/api/v1/sessions/"+id+"/verify", "", map[string]string{"code": code})
		if status != http.StatusServiceUnavailable || ctx.Err() != nil {
			return status == http.StatusOK
		}
		time.Sleep(200 * time.Millisecond) // the database is away: the user tries again
	}
}

// Gate stands between a server and a provider's HTTP API. After Hold it
// keeps each request that arrives (Held counts them) until Open sends them
// on, so the provider accepts messages at a moment the test chooses; a
// request whose sender gives up while held is not sent on.
type Gate struct {
	// URL is the provider's URL (its user and password kept) with the
	// gate's address.
	URL  string
	mu   sync.Mutex
	gate chan struct{} // nil: open
	held atomic.Int32
}

// NewGate starts a gate in front of target, open.
func NewGate(t testing.TB, target string) *Gate {
	t.Helper()
	to, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	user := to.User
	to.User = nil
	g := &Gate{}
	proxy := httputil.NewSingleHostReverseProxy(to)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		wait := g.gate
		g.mu.Unlock()
		if wait != nil {
			g.held.Add(1)
			select {
			case <-wait:
			case <-r.Context().Done():
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(g.Open)
	u, _ := url.Parse(srv.URL)
	u.User = user
	g.URL = u.String()
	return g
}

// Hold makes the gate keep the requests that arrive from now on.
func (g *Gate) Hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gate == nil {
		g.gate = make(chan struct{})
	}
}

// Open sends the held requests on and lets the next ones through.
func (g *Gate) Open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gate != nil {
		close(g.gate)
		g.gate = nil
	}
}

// Held counts the requests the gate has held.
func (g *Gate) Held() int { return int(g.held.Load()) }
