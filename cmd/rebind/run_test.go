package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// env returns a getenv for a fresh data folder, with a database in it
// unless extra names one.
func env(t *testing.T, extra map[string]string) func(string) string {
	dir := t.TempDir()
	m := map[string]string{"REBIND_DATA_DIR": dir, "REBIND_DATABASE_URL": "sqlite://" + filepath.Join(dir, "rebind.db"),
		"REBIND_ADDR": "127.0.0.1:0", "REBIND_INTERNAL_ADDR": "127.0.0.1:0"}
	for k, v := range extra {
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

// onEachDatabase runs fn as a subtest with a fresh database of each kind:
// "sqlite" always, "postgres" when configured (storetest.PostgresURL).
func onEachDatabase(t *testing.T, fn func(t *testing.T, kind, url string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, "sqlite", storetest.SQLiteURL(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, "postgres", storetest.PostgresURL(t)) })
}

// TestServeStartsADevServer runs the whole program in-process on port 0,
// as "go run ./cmd/rebind" would, and checks it serves on both listeners
// (the admin API and /metrics on the internal one only), seeds the demo
// accounts, prints how to sign in, and stops on cancel.
func TestServeStartsADevServer(t *testing.T) {
	onEachDatabase(t, serveStartsADevServer)
}

func serveStartsADevServer(t *testing.T, kind, databaseURL string) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, env(t, map[string]string{"REBIND_DATABASE_URL": databaseURL}), pw, io.Discard)
		pw.Close()
	}()
	var out strings.Builder
	var addr, internal, token, accountsURL string
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	internalAt := regexp.MustCompile(`admin API and metrics on the internal address (http://\S+)`)
	tokenIs := regexp.MustCompile(`admin API token: (\S+)`)
	demoPage := regexp.MustCompile(`http://\S+/dev/accounts\b`)
	// The banner ends with the link to the demo accounts' page.
	deadline := time.After(30 * time.Second)
	for accountsURL == "" {
		var line string
		var ok bool
		select {
		case line, ok = <-lines:
		case <-deadline:
			t.Fatalf("the start-up output has no link to the demo accounts' page:\n%s", out.String())
		}
		if !ok {
			t.Fatalf("output ended early:\n%s", out.String())
		}
		out.WriteString(line + "\n")
		if m := listening.FindStringSubmatch(line); m != nil {
			addr = m[1]
		}
		if m := internalAt.FindStringSubmatch(line); m != nil {
			internal = m[1]
		}
		if m := tokenIs.FindStringSubmatch(line); m != nil {
			token = m[1]
		}
		accountsURL = demoPage.FindString(line)
	}
	go func() {
		for range lines {
		}
	}()
	text := out.String()
	for _, want := range []string{"dev mode, " + kind + " database", "/dev/outbox", "admin API token:", "alice@", "harbor-lantern-17", "email code"} {
		if !strings.Contains(text, want) {
			t.Errorf("start-up output lacks %q:\n%s", want, text)
		}
	}
	if addr == "" || internal == "" || addr == internal || token == "" {
		t.Fatalf("the start-up output does not name both addresses and the token:\n%s", text)
	}
	for _, base := range []string{addr, internal} {
		for _, path := range []string{"/healthz", "/readyz"} {
			if status := statusOf(t, "GET", base+path, "", ""); status != 200 {
				t.Errorf("%s%s: %d", base, path, status)
			}
		}
	}
	if status := statusOf(t, "GET", addr+"/metrics", "", ""); status != 404 {
		t.Errorf("public /metrics: %d, want 404", status)
	}
	if status := statusOf(t, "GET", internal+"/metrics", "", ""); status != 200 {
		t.Errorf("internal /metrics: %d", status)
	}
	create := `{"email":"service@example.com","password":"tangerine-orbit-42"}`
	if status := statusOf(t, "POST", addr+"/admin/v1/accounts", token, create); status != 404 {
		t.Errorf("the admin API on the public address: %d, want 404", status)
	}
	if status := statusOf(t, "POST", internal+"/admin/v1/accounts", token, create); status != 201 {
		t.Errorf("the admin API on the internal address: %d, want 201", status)
	}
	// The printed link opens the page that shows the demo accounts.
	resp, err := http.Get(accountsURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "alice@demo.rebind.invalid") || !strings.Contains(string(page), "Which of these markets") {
		t.Fatalf("%s: %d\n%s", accountsURL, resp.StatusCode, page)
	}
	resp, err = http.Post(addr+"/api/v1/sessions", "application/json",
		strings.NewReader(`{"email":"alice@demo.rebind.invalid","password":"harbor-lantern-17"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("demo sign-in: %v %v", resp.StatusCode, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v after cancel", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server did not stop")
	}
	// Both listeners are closed.
	for _, base := range []string{addr, internal} {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			t.Errorf("%s still answers after the stop: %d", base, resp.StatusCode)
		}
	}
}

// statusOf sends a request, with bearer and a JSON body when given, and
// returns the status.
func statusOf(t *testing.T, method, url, bearer, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// An internal address that cannot be bound stops the start with an error
// naming it, and the public address is let go.
func TestServeFailsWhenTheInternalAddressIsTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	public, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := public.Addr().String()
	public.Close()
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), nil, env(t, map[string]string{"REBIND_ADDR": free, "REBIND_INTERNAL_ADDR": taken.Addr().String()}), io.Discard, io.Discard)
	}()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not fail with its internal address taken")
	}
	if err == nil || !strings.Contains(err.Error(), "REBIND_INTERNAL_ADDR") || !strings.Contains(err.Error(), taken.Addr().String()) {
		t.Fatalf("serve with its internal address taken: %v", err)
	}
	ln, err := net.Listen("tcp", free)
	if err != nil {
		t.Fatalf("the public address was not released: %v", err)
	}
	ln.Close()
}

func TestProductionRefusesToStartWithDevDefaults(t *testing.T) {
	err := run(context.Background(), nil, env(t, map[string]string{"REBIND_ENV": "production"}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "REBIND_SECRET") {
		t.Fatalf("production start: %v", err)
	}
}

func TestMigrateDemoAuditCommands(t *testing.T) {
	onEachDatabase(t, migrateDemoAuditCommands)
}

func migrateDemoAuditCommands(t *testing.T, _, databaseURL string) {
	getenv := env(t, map[string]string{"REBIND_DATABASE_URL": databaseURL})
	ctx := context.Background()
	var out strings.Builder
	if err := run(ctx, []string{"migrate"}, getenv, &out, io.Discard); err != nil || !strings.Contains(out.String(), "applied 0001_init") {
		t.Fatalf("migrate: %v %q", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"migrate"}, getenv, &out, io.Discard); err != nil || !strings.Contains(out.String(), "up to date") {
		t.Fatalf("second migrate: %v %q", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"demo", "--accounts", "25", "--seed", "7"}, getenv, &out, io.Discard); err != nil || !strings.Contains(out.String(), "added 25 accounts") {
		t.Fatalf("demo: %v %q", err, out.String())
	}
	full := activityRows(t, out.String())
	out.Reset()
	if err := run(ctx, []string{"demo", "--accounts", "25", "--first", "25", "--seed", "7", "--history", "0.2"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("demo --history 0.2: %v %q", err, out.String())
	}
	if thin := activityRows(t, out.String()); 2*thin >= full {
		t.Errorf("--history 0.2 added %d activity rows, the full history %d", thin, full)
	}
	// Two events recorded with no server to seal them: verify passes on the
	// chain sealed so far and says what waits; seal links them in.
	db, err := store.Open(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for range 2 {
		audit.New(clock.Real{}).Write(ctx, db, audit.Event{Actor: audit.ActorOperator, Action: audit.StaffAdded, Result: audit.OK})
	}
	out.Reset()
	if err := run(ctx, []string{"audit", "verify"}, getenv, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "audit chain intact: 0 events") || !strings.Contains(out.String(), "awaiting sealing: 2 events") {
		t.Fatalf("audit verify: %v %q", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"audit", "seal"}, getenv, &out, io.Discard); err != nil || !strings.Contains(out.String(), "sealed 2 events") {
		t.Fatalf("audit seal: %v %q", err, out.String())
	}
	// Issue 13, item 10: an auditor verifies with the database alone, in
	// production, without the server's secrets.
	auditor := map[string]string{"REBIND_ENV": "production", "REBIND_DATABASE_URL": databaseURL}
	out.Reset()
	if err := run(ctx, []string{"audit", "verify"}, func(k string) string { return auditor[k] }, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "audit chain intact: 2 events") || strings.Contains(out.String(), "awaiting") {
		t.Fatalf("audit verify after sealing: %v %q", err, out.String())
	}
}

var addedRows = regexp.MustCompile(`added 25 accounts with (\d+) activity rows`)

// activityRows reads how many activity rows rebind demo says it added.
func activityRows(t *testing.T, out string) int {
	t.Helper()
	m := addedRows.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("rebind demo said %q", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestCommandShapes(t *testing.T) {
	getenv := env(t, nil)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"staff"}, "usage: rebind staff add"},
		{[]string{"staff", "add", "--email", "s@example.com"}, "--role must be"},
		{[]string{"staff", "add", "--role", "reviewer"}, "--email is required"},
		{[]string{"staff", "add", "--email", "s@example.com", "--role", "root"}, "--role must be"},
		{[]string{"staff", "disable"}, "--email is required"},
		{[]string{"staff", "remove"}, "usage: rebind staff add"},
		{[]string{"demo", "--accounts", "0"}, "--accounts must be positive"},
		{[]string{"demo", "--history", "0"}, "--history must be greater than 0"},
		{[]string{"demo", "--history", "1.5"}, "--history must be greater than 0"},
		{[]string{"demo", "--history", "NaN"}, "--history must be greater than 0"},
		{[]string{"serve", "extra"}, "unexpected argument"},
		{[]string{"check", "extra"}, "unexpected argument"},
		{[]string{"audit"}, "usage: rebind audit verify"},
		{[]string{"secret"}, "usage: rebind secret rekey"},
		{[]string{"secret", "rotate"}, "usage: rebind secret rekey"},
		{[]string{"secret", "rekey", "extra"}, "unexpected argument"},
		{[]string{"health", "extra"}, "unexpected argument"},
		{[]string{"health", "-url", "http://127.0.0.1:1/readyz"}, "health:"},
	} {
		err := run(context.Background(), c.args, getenv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("rebind %v: %v, want %q", c.args, err, c.want)
		}
	}
}

// Issue 13, item 10: every command's -h (and --help) prints its usage on
// standard output and succeeds, without opening a database or starting a
// server; version names the build.
func TestHelpAndVersion(t *testing.T) {
	// No database URL a command could open: help must not need one.
	getenv := func(string) string { return "" }
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"help"}, "audit verify"},
		{[]string{"-h"}, "audit verify"},
		{[]string{"--help"}, "audit verify"},
		{[]string{"serve", "-h"}, "-database-url"},
		{[]string{"migrate", "--help"}, "usage: rebind migrate"},
		{[]string{"check", "-h"}, "usage: rebind check"},
		{[]string{"demo", "-h"}, "-applications"},
		{[]string{"staff", "-h"}, "rebind staff disable"},
		{[]string{"staff", "add", "-h"}, "-role"},
		{[]string{"staff", "list", "-h"}, "usage: rebind staff list"},
		{[]string{"staff", "disable", "--help"}, "-email"},
		{[]string{"audit", "-h"}, "verify"},
		{[]string{"audit", "verify", "-h"}, "usage: rebind audit verify"},
		{[]string{"audit", "seal", "-h"}, "usage: rebind audit seal"},
		{[]string{"secret", "-h"}, "usage: rebind secret rekey"},
		{[]string{"secret", "rekey", "-h"}, "usage: rebind secret rekey"},
		{[]string{"loadtest", "-h"}, "-scenarios"},
		{[]string{"version", "-h"}, "rebind "},
		{[]string{"health", "-h"}, "-url"},
		{[]string{"version"}, "(commit "},
	} {
		var out, errOut strings.Builder
		if err := run(context.Background(), c.args, getenv, &out, &errOut); err != nil || !strings.Contains(out.String(), c.want) {
			t.Errorf("rebind %v: %v, printed %q, want %q in it", c.args, err, out.String(), c.want)
		}
		if errOut.Len() > 0 {
			t.Errorf("rebind %v wrote to standard error: %q", c.args, errOut.String())
		}
	}
	if err := run(context.Background(), []string{"version", "extra"}, getenv, io.Discard, io.Discard); err == nil {
		t.Error("rebind version extra succeeded")
	}
}

// Issue 13, item 8: on SIGTERM (here: the context ends) /readyz answers
// 503 while the server keeps serving for REBIND_SHUTDOWN_DELAY; then the
// listeners close and a request already in flight still gets its answer.
func TestShutdownDrains(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, env(t, map[string]string{"REBIND_DEMO": "false", "REBIND_SHUTDOWN_DELAY": "10s"}), pw, io.Discard)
		pw.Close()
	}()
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	internalAt := regexp.MustCompile(`admin API and metrics on the internal address (http://\S+)`)
	var addr, internal string
	sc := bufio.NewScanner(pr)
	for (addr == "" || internal == "") && sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
		}
		if m := internalAt.FindStringSubmatch(sc.Text()); m != nil {
			internal = m[1]
		}
	}
	go io.Copy(io.Discard, pr)
	if addr == "" || internal == "" {
		t.Fatal("the server did not say where it listens")
	}
	if status := statusOf(t, "GET", internal+"/readyz", "", ""); status != 200 {
		t.Fatalf("/readyz before the stop: %d", status)
	}
	// The container's HEALTHCHECK, rebind health, agrees with /readyz.
	if err := run(context.Background(), []string{"health", "-url", internal + "/readyz"}, env(t, nil), io.Discard, io.Discard); err != nil {
		t.Fatalf("rebind health before the stop: %v", err)
	}
	// A request in flight: its headers sent, its body not yet.
	conn, err := net.Dial("tcp", strings.TrimPrefix(addr, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"email":"nobody@example.com","password":"not-the-password-1"}`
	fmt.Fprintf(conn, "POST /api/v1/sessions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		strings.TrimPrefix(addr, "http://"), len(body), body[:10])
	cancel()
	waitUntil(t, "/readyz to answer 503", func() bool {
		resp, err := http.Get(internal + "/readyz")
		if err != nil {
			t.Fatalf("the server stopped answering before its delay: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode == 503
	})
	if err := run(context.Background(), []string{"health", "-url", internal + "/readyz"}, env(t, nil), io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "503") {
		t.Fatalf("rebind health while draining: %v, want the 503", err)
	}
	// Still serving during the delay.
	if status := statusOf(t, "GET", addr+"/healthz", "", ""); status != 200 {
		t.Fatalf("/healthz during the delay: %d", status)
	}
	waitUntil(t, "the listeners to close", func() bool {
		resp, err := http.Get(addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err != nil
	})
	// The request in flight finishes.
	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatalf("the request in flight was cut: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("the request in flight: %d, want 401", resp.StatusCode)
	}
	if err := <-done; err != nil {
		t.Fatalf("run returned %v", err)
	}
}

// waitUntil polls cond every 20 ms for up to a minute.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
