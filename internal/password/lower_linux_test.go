package password

import (
	"context"
	"runtime"
	"syscall"
	"testing"
)

// niceOf returns the nice value of the calling thread.
func niceOf(t *testing.T) int {
	t.Helper()
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	return 20 - raw
}

// After Lower, a hash runs on a thread of its own at the lowered priority,
// and the caller's thread keeps its own: only hashing yields the CPU to
// the rest of the server.
func TestLoweredHashesRunOnAThreadOfTheirOwn(t *testing.T) {
	h := NewHasher(fast, 1)
	if err := h.Lower(0); err == nil {
		t.Fatal("Lower(0) accepted")
	}
	if err := h.Lower(10); err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread() // the caller's thread, to compare its nice before and after
	defer runtime.UnlockOSThread()
	callerNice := niceOf(t)
	var hashTID, hashNice int
	h.run(func() { hashTID, hashNice = syscall.Gettid(), niceOf(t) })
	if want := max(10, callerNice); hashNice != want {
		t.Fatalf("a hash ran at nice %d, want %d", hashNice, want)
	}
	// The hash's thread ends with it (a moment after the hash returns):
	// no other goroutine can run there.
	waitFor(t, "the hash's thread gone", func() bool {
		_, err := syscall.Getpriority(syscall.PRIO_PROCESS, hashTID)
		return err == syscall.ESRCH
	})
	if n := niceOf(t); n != callerNice {
		t.Fatalf("the caller's thread went from nice %d to %d", callerNice, n)
	}
	enc, err := h.Hash(context.Background(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Verify(context.Background(), "pw", enc); !ok || err != nil {
		t.Fatalf("a lowered hash does not verify: %v, %v", ok, err)
	}
}
