// Package apptest starts a whole rebind server for tests: real database
// (SQLite and PostgreSQL, see EachDatabase), real HTTP on 127.0.0.1 (the public
// and the internal listener, each on its own port), the outbox
// worker running, messages readable from the dev outbox or from in-process
// SMTP and SMS servers.
package apptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/config"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/store"
)

// AdminToken is the admin token of test servers.
const AdminToken = "test-admin-token-0123456789abcdef0123456789"

// Options choose the parts of a test server.
type Options struct {
	// DatabaseURL is a database to share (two servers on one PostgreSQL);
	// empty means a fresh one of the kind EachDatabase runs the test on.
	DatabaseURL string
	// OnlySQLite says why the test cannot run on PostgreSQL; it then runs
	// on a fresh SQLite file (and its EachDatabase subtest on PostgreSQL is
	// skipped with this reason).
	OnlySQLite string
	Clock      clock.Clock
	// Env adds or overrides REBIND_* variables.
	Env map[string]string
	// RealPasswordCost uses the production argon2id parameters.
	RealPasswordCost bool
	// HashWorkers is app.Options.HashWorkers.
	HashWorkers int
	// Logs receives the server's JSON log; nil discards it.
	Logs io.Writer
	// Production builds the server in production mode (without the
	// configuration checks that would need real providers).
	Production bool
	// CodeRules replaces the code rules (the SMS budgets still come from
	// the configuration).
	CodeRules *code.Rules
	// Prepare, when set, adjusts the app before its background work starts
	// (a fault test shortens the outbox's lease).
	Prepare func(a *app.App)
	// Counts, when set, counts the statements and commits of the requests
	// to the public listener (store.Counted): the database runs behind the
	// counting wrapper and each request's context carries Counts. The
	// background work is not counted.
	Counts *store.Counts
}

// Server is a running test server.
type Server struct {
	*app.App
	// URL is the public listener (pages, user API); InternalURL the
	// internal one (admin API, /metrics).
	URL         string
	InternalURL string
	Secret      string
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	secret := make([]byte, 32)
	rand.Read(secret)
	env := map[string]string{
		"REBIND_ENV": "dev", "REBIND_DATA_DIR": t.TempDir(), "REBIND_ADMIN_TOKEN": AdminToken,
		"REBIND_SECRET": base64.StdEncoding.EncodeToString(secret), "REBIND_BASE_URL": "http://127.0.0.1",
		"REBIND_BRAND": "Rebind",
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	cfg, err := config.Load(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Production = opts.Production
	url := opts.DatabaseURL
	if url == "" {
		url = databaseURL(t, opts)
	}
	ctx := context.Background()
	var dbOpts []store.Option
	if opts.Counts != nil {
		dbOpts = append(dbOpts, store.Counted())
	}
	db, err := store.Open(ctx, url, dbOpts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	logs := opts.Logs
	if logs == nil {
		logs = io.Discard
	}
	aopts := app.Options{Clock: opts.Clock, CodeRules: opts.CodeRules, HashWorkers: opts.HashWorkers}
	if !opts.RealPasswordCost {
		aopts.PasswordParams = &password.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	}
	a, err := app.New(cfg, db, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), aopts)
	if err != nil {
		t.Fatal(err)
	}
	a.Worker.Poll = 20 * time.Millisecond
	a.Worker.BaseBackoff, a.Worker.MaxBackoff = 20*time.Millisecond, 200*time.Millisecond
	a.ReadEvery = 0   // tests read screenshots when they say, with Reset.ReadPending
	a.GaugesEvery = 0 // /metrics reads the database at each scrape, so a test sees what it just did
	if opts.Prepare != nil {
		opts.Prepare(a)
	}
	handler := a.PublicHandler()
	if c := opts.Counts; c != nil {
		next := handler
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(store.WithCounts(r.Context(), c)))
		})
	}
	public := httptest.NewServer(handler)
	internal := httptest.NewServer(a.InternalHandler())
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { a.Run(runCtx) })
	t.Cleanup(func() {
		public.Close()
		internal.Close()
		cancel()
		wg.Wait()
	})
	return &Server{App: a, URL: public.URL, InternalURL: internal.URL, Secret: env["REBIND_SECRET"]}
}

// Client is an HTTP client with its own cookie jar, like one browser.
func (s *Server) Client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

// Response is a decoded JSON response.
type Response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// ErrorCode returns the error code of an error response.
func (r Response) ErrorCode() string {
	e, _ := r.Body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// Do sends a JSON request to the public listener. body may be nil, a
// string (sent as is) or any value (encoded as JSON). bearer, when set, is
// sent as the bearer token.
func (s *Server) Do(t testing.TB, method, path, bearer string, body any) Response {
	t.Helper()
	return do(t, s.URL, method, path, bearer, body)
}

// DoInternal sends a JSON request to the internal listener, as Do.
func (s *Server) DoInternal(t testing.TB, method, path, bearer string, body any) Response {
	t.Helper()
	return do(t, s.InternalURL, method, path, bearer, body)
}

func do(t testing.TB, base, method, path, bearer string, body any) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			t.Fatalf("%s %s: response is not JSON: %s", method, path, raw)
		}
	}
	return out
}

// Admin sends an admin API request (with the admin token, to the internal
// listener).
func (s *Server) Admin(t testing.TB, method, path string, body any) Response {
	t.Helper()
	return s.DoInternal(t, method, path, AdminToken, body)
}

// CreateAccount creates an account through the admin API and returns its id.
// mobile may be empty.
func (s *Server) CreateAccount(t testing.TB, email, pw, mobile string, kyc bool) string {
	t.Helper()
	body := map[string]any{"email": email, "password": pw, "kyc": kyc}
	if mobile != "" {
		body["mobile"] = mobile
	}
	r := s.Admin(t, "POST", "/admin/v1/accounts", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create account: %d %s", r.Status, r.Raw)
	}
	return r.Body["id"].(string)
}

var codeInMessage = regexp.MustCompile(`#(\d{6})\b|\b(\d{6})\b`)

// Messages returns what the dev outbox delivered to "to", newest first.
func (s *Server) Messages(t testing.TB, to string) []outbox.DevMessage {
	t.Helper()
	msgs, err := outbox.DevMessages(context.Background(), s.DB, to, 100)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// WaitMessages waits until the dev outbox delivered at least n messages to
// "to" and returns them, newest first.
func (s *Server) WaitMessages(t testing.TB, to string, n int) []outbox.DevMessage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs := s.Messages(t, to)
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d messages to %s, have %d", n, to, len(msgs))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Code waits for the n-th message to "to" (counting from 1) and returns the
// code in it.
func (s *Server) Code(t testing.TB, to string, n int) string {
	t.Helper()
	msgs := s.WaitMessages(t, to, n)
	m := codeInMessage.FindStringSubmatch(msgs[len(msgs)-n].Body)
	if m == nil {
		t.Fatalf("no code in message to %s: %q", to, msgs[len(msgs)-n].Body)
	}
	return m[1] + m[2]
}

// SignIn signs in through the API and returns the bearer token; the code
// is read from the dev outbox, where it goes to "to".
func (s *Server) SignIn(t testing.TB, email, pw, to string) string {
	t.Helper()
	mark := s.Mark(t, to)
	r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": email, "password": pw})
	if r.Status != http.StatusOK {
		t.Fatalf("sign in: %d %s", r.Status, r.Raw)
	}
	id := r.Body["login_id"].(string)
	c := s.CodeSince(t, to, mark)
	r = s.Do(t, "POST", "/api/v1/sessions/"+id+"/verify", "", map[string]string{"code": c})
	if r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Raw)
	}
	return r.Body["token"].(string)
}

// Mark notes the messages "to" has received so far, for CodeSince.
func (s *Server) Mark(t testing.TB, to string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range s.Messages(t, to) {
		seen[m.ID] = true
	}
	return seen
}

// CodeSince waits for a message to "to" that was not in mark and carries a
// code, and returns the code. Notices sent meanwhile (they carry no code)
// are passed over, whatever order the worker delivered them in.
func (s *Server) CodeSince(t testing.TB, to string, mark map[string]bool) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, m := range s.Messages(t, to) {
			if mark[m.ID] {
				continue
			}
			if c := codeInMessage.FindStringSubmatch(m.Body); c != nil && (strings.Contains(m.Subject, "code") || m.Subject == "") {
				return c[1] + c[2]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new code to %s", to)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
