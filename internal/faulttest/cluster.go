// Package faulttest breaks real parts under a running rebind and checks
// what survives: a private PostgreSQL cluster that tests may restart or
// crash (the shared test database must not be restarted under the other
// packages' tests), rebind instances run as separate processes of the real
// binary so they can be killed, and the in-process SMTP and SMS servers
// that count what was delivered.
package faulttest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a PostgreSQL cluster of the test's own, on a free port of
// 127.0.0.1, removed when the test ends.
type Cluster struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	// asUser runs the server binaries as this OS user when the tests run
	// as root (PostgreSQL refuses to run as root).
	asUser string
}

// StartCluster initialises and starts a cluster. When PostgreSQL's server
// binaries are missing the test is skipped, or fails when
// REBIND_TEST_REQUIRE_POSTGRES=1 says PostgreSQL must be tested.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	bin, err := serverBinaries()
	if err != nil {
		if os.Getenv("REBIND_TEST_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("a private PostgreSQL cluster is required: %v", err)
		}
		t.Skipf("no PostgreSQL server binaries: %v", err)
	}
	c := &Cluster{t: t, bin: bin}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			t.Fatalf("running as root and there is no postgres user to run a cluster as: %v", err)
		}
		c.asUser = "postgres"
	}
	base, err := os.MkdirTemp("", "rebind-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	c.dir = filepath.Join(base, "data")
	if c.asUser != "" {
		if out, err := exec.Command("chown", c.asUser, base).CombinedOutput(); err != nil {
			t.Fatalf("chown cluster directory: %v: %s", err, out)
		}
	}
	c.port = freePort(t)
	c.run("initdb", "-D", c.dir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	conf := fmt.Sprintf("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n"+
		"fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n", c.port, base)
	f, err := os.OpenFile(filepath.Join(c.dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(conf)
	f.Close()
	c.Start()
	t.Cleanup(func() { c.stop("immediate") })
	return c
}

// URL is the connection URL of the cluster's postgres database.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Start starts the (stopped) cluster and waits until it accepts
// connections.
func (c *Cluster) Start() {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.dir, "-l", filepath.Join(filepath.Dir(c.dir), "log"), "-w", "-t", "60", "start")
}

// Stop shuts the cluster down the way mode says: "fast" ends every session
// and stops cleanly, "immediate" is a crash (recovery at the next start).
func (c *Cluster) Stop(mode string) {
	c.t.Helper()
	if err := c.stop(mode); err != nil {
		c.t.Fatal(err)
	}
}

// Refuses reports whether the cluster refuses a new connection: it is
// shutting down or stopped.
func (c *Cluster) Refuses() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL())
	if err != nil {
		return true
	}
	conn.Close(ctx)
	return false
}

func (c *Cluster) stop(mode string) error {
	out, err := c.command("pg_ctl", "-D", c.dir, "-m", mode, "-w", "-t", "60", "stop").CombinedOutput()
	if err != nil && !strings.Contains(string(out), "not running") && !strings.Contains(string(out), "No such file") {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

func (c *Cluster) run(name string, args ...string) {
	c.t.Helper()
	if out, err := c.command(name, args...).CombinedOutput(); err != nil {
		c.t.Fatalf("%s: %v: %s", name, err, out)
	}
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

// serverBinaries finds initdb and pg_ctl: REBIND_TEST_PG_BIN, else the
// newest Debian installation, else PATH.
func serverBinaries() (string, error) {
	if dir := os.Getenv("REBIND_TEST_PG_BIN"); dir != "" {
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("initdb not found (set REBIND_TEST_PG_BIN)")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waited %s for %s", timeout, what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
