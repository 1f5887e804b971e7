// Package ocr reads the text of a picture with Tesseract, Debian's
// tesseract-ocr run as a separate program: a picture from a user is the
// most hostile input the server has, so the reading happens in a process
// of its own, within a time limit (the whole process group is killed at
// the deadline), a memory limit, and at most one run per CPU at once. The
// picture goes in on stdin as an 8-bit greyscale PNM made here, so no file
// is left behind and no byte of the upload reaches the reader; nothing is
// passed through a shell's parsing. When the program is not installed,
// Available is false and callers say so instead of reading.
package ocr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// Config is how the reader runs.
type Config struct {
	// Command is the tesseract program: a name looked up in PATH, or a
	// path. Empty is "tesseract"; "off" makes a reader that is not
	// Available.
	Command string
	// Timeout bounds one run; 0 is DefaultTimeout.
	Timeout time.Duration
	// Memory bounds the address space of one run, in bytes; 0 is
	// DefaultMemory.
	Memory int64
	// Runs is how many runs may go at once; 0 is one per CPU.
	Runs int
}

// Defaults. A screenshot reads in about half a second on one core; the
// time limit leaves room for a large, noisy one on a busy machine. The
// reader maps about 150 MB for a phone screenshot (its language model,
// libraries and the picture at most MaxPixels); 1 GiB stops a runaway
// without stopping a large picture.
const (
	DefaultTimeout = 30 * time.Second
	DefaultMemory  = 1 << 30
	// MaxPixels bounds the picture handed to the reader: a larger one is
	// scaled down first (its text stays readable: screenshots of that
	// size carry large text).
	MaxPixels = 12_000_000
	// maxOutput bounds what a run may write: the TSV of a screen of text
	// is tens of kilobytes.
	maxOutput = 4 << 20
)

// ErrUnavailable is Read's error when the program is not installed.
var ErrUnavailable = errors.New("ocr: tesseract is not installed")

// Reader runs tesseract. It is safe for concurrent use.
type Reader struct {
	path    string // resolved program, "" when not found
	timeout time.Duration
	memory  int64
	slots   chan struct{}
}

// New returns a reader with c; a program that cannot be found makes one
// whose Available is false.
func New(c Config) *Reader {
	r := &Reader{timeout: c.Timeout, memory: c.Memory}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if r.memory <= 0 {
		r.memory = DefaultMemory
	}
	runs := c.Runs
	if runs <= 0 {
		runs = runtime.NumCPU()
	}
	r.slots = make(chan struct{}, runs)
	cmd := c.Command
	if cmd == "" {
		cmd = "tesseract"
	}
	if p, err := exec.LookPath(cmd); err == nil && cmd != "off" {
		r.path = p
	}
	return r
}

// Available reports whether the program was found.
func (r *Reader) Available() bool { return r != nil && r.path != "" }

// Read returns the text of img, read at scale times its size (1 when
// scale is 0 or less; see Prepare).
func (r *Reader) Read(ctx context.Context, img image.Image, scale float64) (Text, error) {
	if !r.Available() {
		return Text{}, ErrUnavailable
	}
	pnm := encodePNM(Prepare(img, scale))
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-ctx.Done():
		return Text{}, fmt.Errorf("ocr: waiting for a free run: %w", ctx.Err())
	}
	out, err := r.run(ctx, pnm)
	if err != nil {
		return Text{}, err
	}
	return parseTSV(out)
}

// shellLimit is the wrapper that sets the memory limit and then becomes
// the reader: its script is a constant, and the limit, the program and
// its arguments reach it as positional parameters, never as text to parse.
// (Go cannot set a child's rlimit before it starts; setting it after the
// start, with prlimit(2), would race the reader's first allocations.)
const shellLimit = `ulimit -v "$1" || exit 125; shift; exec "$@"`

func (r *Reader) run(ctx context.Context, pnm []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	// Automatic page layout (psm 3), and Sauvola's local thresholding
	// (method 2): with the default global one, a noisy picture read as
	// no text at all. "tsv" writes words with their boxes.
	args := []string{"-c", shellLimit, "ocr", fmt.Sprint(r.memory / 1024), r.path, "stdin", "stdout", "-l", "eng", "--psm", "3",
		"-c", "thresholding_method=2", "tsv"}
	cmd := exec.CommandContext(ctx, "/bin/sh", args...)
	cmd.Env = environment()
	cmd.Stdin = bytes.NewReader(pnm)
	var stdout, stderr limitedBuffer
	stdout.max, stderr.max = maxOutput, 4096
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A group of its own, so the deadline kills whatever it started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("ocr: no answer within %s: %w", r.timeout, ctx.Err())
	case stdout.over:
		return nil, errors.New("ocr: the reader wrote more than the output bound")
	case err != nil:
		return nil, fmt.Errorf("ocr: tesseract: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

// environment is the reader's: one thread per run (the semaphore shares
// the CPUs between runs, and each thread's stack would count against the
// memory limit), and where its language data is if the operator said.
func environment() []string {
	env := []string{"OMP_THREAD_LIMIT=1", "LC_ALL=C"}
	if v, ok := os.LookupEnv("TESSDATA_PREFIX"); ok {
		env = append(env, "TESSDATA_PREFIX="+v)
	}
	return env
}

// limitedBuffer keeps at most max bytes and notes that more came.
type limitedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); len(p) > room {
		b.over = true
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
