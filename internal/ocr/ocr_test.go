package ocr

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/screenshot"
)

// requireTesseract skips when tesseract is missing, unless the run says it
// must be there (CI sets REBIND_TEST_REQUIRE_TESSERACT=1).
func requireTesseract(t *testing.T) *Reader {
	t.Helper()
	r := New(Config{})
	if !r.Available() {
		if os.Getenv("REBIND_TEST_REQUIRE_TESSERACT") != "" {
			t.Fatal("tesseract is not installed and REBIND_TEST_REQUIRE_TESSERACT is set")
		}
		t.Skip("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-eng); set REBIND_TEST_REQUIRE_TESSERACT=1 to fail instead")
	}
	return r
}

var sample = screenshot.Transfer{Direction: "withdrawal", Coin: "USDT", Network: "TRC20", Amount: "250",
	Address: "TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW",
	TXID:    "7c1d3e0f5a2b4c6d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f", At: time.Date(2024, 5, 2, 8, 30, 0, 0, time.UTC)}

// A generated page reads back: its words and the TXID, line by line with
// boxes inside the picture.
func TestReadsAScreenshot(t *testing.T) {
	r := requireTesseract(t)
	s := screenshot.Style{Seed: 1, Width: 1080, Height: 2340, Text: 40}
	img := screenshot.Transaction(sample, s)
	text, err := r.Read(context.Background(), img, 1)
	if err != nil {
		t.Fatal(err)
	}
	got := text.String()
	// "1" and "l" look alike in Go Regular; the findings allow for it.
	flat := strings.ReplaceAll(strings.Join(strings.Fields(got), ""), "alb", "a1b")
	for _, want := range []string{"USDT", "TRC20", sample.TXID[:20], sample.TXID[44:]} {
		if !strings.Contains(flat, want) {
			t.Errorf("%q not read in:\n%s", want, got)
		}
	}
	for _, l := range text.Lines {
		for _, w := range l.Words {
			if !w.Box.In(img.Bounds()) || w.Box.Empty() {
				t.Errorf("word %q has box %v outside %v", w.Text, w.Box, img.Bounds())
			}
		}
	}
}

// A dark page is inverted before it is read, and a small one enlarged.
func TestPrepare(t *testing.T) {
	dark := screenshot.Transaction(sample, screenshot.Style{Seed: 1, Width: 600, Height: 900, Text: 14, Theme: 1})
	g := Prepare(dark, 2)
	if g.Bounds().Dx() != 1200 || g.Bounds().Dy() != 1800 {
		t.Errorf("scaled to %v", g.Bounds())
	}
	var sum int
	for _, v := range g.Pix {
		sum += int(v)
	}
	if mean := sum / len(g.Pix); mean < 128 {
		t.Errorf("a dark page stays dark (mean %d)", mean)
	}
	huge := screenshot.Transaction(sample, screenshot.Style{Seed: 1, Width: 3000, Height: 3000, Text: 40})
	if px := Prepare(huge, 2).Bounds().Size(); px.X*px.Y > MaxPixels {
		t.Errorf("%v is more than MaxPixels", px)
	}
}

// A program that is not there makes a reader that says so.
func TestMissingProgram(t *testing.T) {
	r := New(Config{Command: filepath.Join(t.TempDir(), "no-tesseract")})
	if r.Available() {
		t.Fatal("a missing program is available")
	}
	if _, err := r.Read(context.Background(), screenshot.Transaction(sample, screenshot.Vary(1)), 1); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
}

// stand writes a stand-in for tesseract: a shell script with body, in a
// folder whose name a shell would run, so a test also shows the path is
// never parsed by one.
func stand(t *testing.T, body string) (path, dir string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "a;b $(touch pwned) `touch pwned2`")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "tesseract")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

// The picture arrives on stdin as a PGM; the path is not run by a shell.
func TestStdinAndNoShell(t *testing.T) {
	path, dir := stand(t, `head -c 2 >"$(dirname "$0")/magic"`)
	r := New(Config{Command: path})
	if _, err := r.Read(context.Background(), screenshot.Transaction(sample, screenshot.Vary(1)), 1); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "magic")); string(b) != "P5" {
		t.Errorf("stdin began %q, not a PGM", b)
	}
	for _, f := range []string{"pwned", "pwned2"} {
		if _, err := os.Stat(f); err == nil {
			os.Remove(f)
			t.Errorf("the program's path was run by a shell: %s exists", f)
		}
	}
}

// At the deadline the whole process group is killed: the stand-in's own
// child, which would outlive a kill of the stand-in alone, is gone too.
func TestDeadlineKillsTheGroup(t *testing.T) {
	path, dir := stand(t, `sleep 60 & echo $! >"$(dirname "$0")/child"; wait`)
	r := New(Config{Command: path, Timeout: 300 * time.Millisecond})
	_, err := r.Read(context.Background(), screenshot.Transaction(sample, screenshot.Vary(1)), 1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "child"))
	pid, convErr := strconv.Atoi(strings.TrimSpace(string(b)))
	if convErr != nil {
		t.Fatalf("child pid %q", b)
	}
	for i := 0; i < 50 && alive(pid); i++ { // the kernel reaps the orphan shortly after the kill
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatal("the stand-in's child outlived the deadline")
	}
}

func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return !strings.Contains(string(b), ") Z ") // a zombie is dead, only not yet reaped
}

// A run gets the memory limit: the stand-in reports its own address-space
// limit, and real tesseract cannot start within 16 MB.
func TestMemoryLimit(t *testing.T) {
	path, dir := stand(t, `ulimit -v >"$(dirname "$0")/limit"`)
	r := New(Config{Command: path, Memory: 256 << 20})
	if _, err := r.Read(context.Background(), screenshot.Transaction(sample, screenshot.Vary(1)), 1); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "limit")); strings.TrimSpace(string(b)) != strconv.Itoa(256<<10) {
		t.Errorf("limit %q KiB, want %d", b, 256<<10)
	}
	real := requireTesseract(t)
	small := New(Config{Command: real.path, Memory: 16 << 20})
	if _, err := small.Read(context.Background(), screenshot.Transaction(sample, screenshot.Vary(1)), 1); err == nil {
		t.Error("tesseract ran within 16 MB")
	}
}

// No more runs than Runs at once: each stand-in notes how many runs are
// going while it runs.
func TestRunsAtOnce(t *testing.T) {
	path, dir := stand(t, `d="$(dirname "$0")"; touch "$d/run.$$"; ls "$d" | grep -c '^run\.' >>"$d/seen"; sleep 0.1; rm "$d/run.$$"`)
	r := New(Config{Command: path, Runs: 2})
	img := screenshot.Transaction(sample, screenshot.Style{Seed: 2, Width: 400, Height: 400, Text: 12})
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if _, err := r.Read(context.Background(), img, 1); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	b, _ := os.ReadFile(filepath.Join(dir, "seen"))
	seen := strings.Fields(string(b))
	if len(seen) != 6 {
		t.Fatalf("%d runs noted, want 6", len(seen))
	}
	for _, n := range seen {
		if n != "1" && n != "2" {
			t.Errorf("a run saw %s runs at once, want at most 2", n)
		}
	}
}
