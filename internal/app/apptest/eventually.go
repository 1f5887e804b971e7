package apptest

import (
	"testing"
	"time"
)

// Eventually polls cond every 10 ms until it holds, and fails the test,
// saying what it waited for, if it still does not after timeout. Tests wait
// for background work (the outbox worker, a second instance) this way, never
// with a fixed sleep that a loaded machine can outlast.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
