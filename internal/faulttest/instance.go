package faulttest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds the rebind command once per test run and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rebind-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "rebind")
		_, here, _, _ := runtime.Caller(0)
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/rebind")
		cmd.Dir = filepath.Join(filepath.Dir(here), "..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Secrets are what every instance of one deployment shares.
type Secrets struct {
	Secret, AdminToken string
}

// NewSecrets draws a deployment's secrets.
func NewSecrets() Secrets {
	b := make([]byte, 32)
	rand.Read(b)
	return Secrets{Secret: base64.StdEncoding.EncodeToString(b), AdminToken: "fault-admin-token-" + rand.Text()}
}

// Instance is a rebind server running as a process of its own.
type Instance struct {
	t           testing.TB
	cmd         *exec.Cmd
	URL         string
	InternalURL string
	done        chan struct{}

	mu  sync.Mutex
	out bytes.Buffer
}

// StartInstance starts "rebind serve" on free ports of 127.0.0.1 with env
// (on top of a minimal environment) and waits until it is ready.
func StartInstance(t testing.TB, s Secrets, env map[string]string) *Instance {
	t.Helper()
	pub, internal := freePort(t), freePort(t)
	vars := map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": t.TempDir(),
		"REBIND_ENV": "dev", "REBIND_DEMO": "false", "REBIND_DATA_DIR": t.TempDir(),
		"REBIND_SECRET": s.Secret, "REBIND_ADMIN_TOKEN": s.AdminToken,
		"REBIND_ADDR": fmt.Sprintf("127.0.0.1:%d", pub), "REBIND_INTERNAL_ADDR": fmt.Sprintf("127.0.0.1:%d", internal),
		"REBIND_BASE_URL": fmt.Sprintf("http://127.0.0.1:%d", pub), "REBIND_LOG_LEVEL": "info",
	}
	for k, v := range env {
		vars[k] = v
	}
	in := &Instance{t: t, URL: fmt.Sprintf("http://127.0.0.1:%d", pub),
		InternalURL: fmt.Sprintf("http://127.0.0.1:%d", internal), done: make(chan struct{})}
	in.cmd = exec.Command(Binary(t), "serve")
	for k, v := range vars {
		in.cmd.Env = append(in.cmd.Env, k+"="+v)
	}
	in.cmd.Stdout, in.cmd.Stderr = in, in
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { in.cmd.Wait(); close(in.done) }()
	t.Cleanup(func() {
		in.cmd.Process.Kill()
		<-in.done
		if t.Failed() {
			t.Logf("instance %s output:\n%s", in.URL, in.Output())
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(in.InternalURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return in
			}
		}
		select {
		case <-in.done:
			t.Fatalf("instance exited before it was ready:\n%s", in.Output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance not ready in 90 s:\n%s", in.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Write collects the instance's output.
func (in *Instance) Write(p []byte) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.out.Write(p)
}

// Output is what the instance printed so far.
func (in *Instance) Output() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.out.String()
}

// Kill ends the instance with SIGKILL: no shutdown work runs.
func (in *Instance) Kill() {
	in.cmd.Process.Kill()
	<-in.done
}

// Terminate sends SIGTERM and waits for the instance to exit.
func (in *Instance) Terminate(timeout time.Duration) error {
	in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.done:
		if code := in.cmd.ProcessState.ExitCode(); code != 0 {
			return fmt.Errorf("exited with %d", code)
		}
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("still running %s after SIGTERM", timeout)
	}
}
