package password

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fast keeps the tests quick; the production parameters are checked below.
var fast = Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashAndVerify(t *testing.T) {
	h := NewHasher(fast, 2)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id", enc)
	}
	if ok, err := h.Verify(ctx, "correct horse battery", enc); !ok || err != nil {
		t.Fatalf("Verify(right) = %v, %v", ok, err)
	}
	if ok, _ := h.Verify(ctx, "correct horse batterz", enc); ok {
		t.Fatal("Verify(wrong) = true")
	}
	enc2, _ := h.Hash(ctx, "correct horse battery")
	if enc == enc2 {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
}

func TestDefaultMeetsOWASP(t *testing.T) {
	// OWASP Password Storage Cheat Sheet: argon2id with m >= 19 MiB, t >= 2, p = 1.
	if Default.Memory < 19*1024 || Default.Time < 2 || Default.Threads != 1 || Default.SaltLen < 16 {
		t.Fatalf("Default %+v is weaker than OWASP's minimum", Default)
	}
}

func TestUnknownAccountNeverVerifies(t *testing.T) {
	h := NewHasher(fast, 1)
	if ok, err := h.Verify(context.Background(), "anything", ""); ok || err != nil {
		t.Fatalf("Verify with no stored hash = %v, %v", ok, err)
	}
}

// SEC-ENUM-1: an unknown account's check (the dummy hash) runs argon2id at
// the same parameters as a stored hash's, and each check is counted once.
func TestDummyCheckCostsTheSame(t *testing.T) {
	for _, p := range []Params{fast, Default} {
		h := NewHasher(p, 1)
		ctx := context.Background()
		enc, err := h.Hash(ctx, "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		h.Verify(ctx, "wrong", enc)
		h.Verify(ctx, "wrong", "")
		if got := h.ChecksByParams(); len(got) != 1 || got[p] != 2 || h.Checks() != 2 {
			t.Fatalf("checks %v (%d in all), want 2 at %+v", got, h.Checks(), p)
		}
	}
}

func TestVerifyRefusesHostileHashes(t *testing.T) {
	h := NewHasher(fast, 1)
	for _, enc := range []string{
		"plain",
		"$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", // 4 GiB
		"$argon2id$v=19$m=1024,t=1000,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=16$m=1024,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
	} {
		if ok, err := h.Verify(context.Background(), "x", enc); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want an error", enc, ok, err)
		}
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	h := NewHasher(fast, 2)
	enc, _ := h.Hash(context.Background(), "pw")
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	// Watch the slots directly: the number of taken slots is the number of
	// hashes running.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				n := int32(len(h.slots))
				running.Store(n)
				if n > peak.Load() {
					peak.Store(n)
				}
			}
		}
	}()
	for range 40 {
		wg.Go(func() { h.Verify(context.Background(), "pw", enc) })
	}
	wg.Wait()
	close(stop)
	if peak.Load() > 2 {
		t.Fatalf("%d hashes ran at once, limit is 2", peak.Load())
	}
}

func TestBusyWhenContextEnds(t *testing.T) {
	h := NewHasher(fast, 1)
	h.slots <- struct{}{} // the only slot is taken
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	// The context's end, not MaxWait, must be what stops the wait.
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, ErrBusy) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hash = %v, want busy because its context ended", err)
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		pw, email string
		ok        bool
	}{
		{"short", "a@b.c", false},
		{"Password1", "a@b.c", false},                     // common, case-insensitive
		{"aaaaaaaaaaaa", "a@b.c", false},                  // one repeated character
		{"xx-alice.w-2024", "alice.w@example.com", false}, // contains the email
		{strings.Repeat("ab", 65), "a@b.c", false},
		{"\xff\xfeinvalid-utf8", "a@b.c", false},
		{"tangerine-orbit-42", "alice@example.com", true},
		{"ünïcödé pässwörd", "a@b.c", true},
	}
	for _, c := range cases {
		if err := Check(c.pw, c.email); (err == nil) != c.ok {
			t.Errorf("Check(%q, %q) = %v, want ok=%v", c.pw, c.email, err, c.ok)
		}
	}
}

func BenchmarkHashDefault(b *testing.B) {
	h := NewHasher(Default, 1)
	ctx := context.Background()
	for b.Loop() {
		h.Hash(ctx, "correct horse battery staple")
	}
}

// waitFor polls cond: a state the test waits for, not a time it asserts.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// With every worker held, the queue admits its bound and refuses the next
// check at admission: it never waits and never hashes (API4:2023, bounded
// resource use; SEC-RATE checks are per source, this is the global shed).
func TestQueueRefusesBeyondItsBound(t *testing.T) {
	h := NewHasher(fast, 2)
	enc, _ := h.Hash(context.Background(), "pw")
	h.SetQueue(5, time.Hour)
	release := []func(){h.Occupy(), h.Occupy()}
	before := h.Checks()
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if ok, err := h.Verify(context.Background(), "pw", enc); !ok || err != nil {
				t.Errorf("an admitted check: %v, %v", ok, err)
			}
		})
	}
	waitFor(t, "five checks in the queue", func() bool { return h.Waiting() == 5 })
	if _, err := h.Verify(context.Background(), "pw", enc); !errors.Is(err, ErrBusy) {
		t.Fatalf("the sixth check: %v, want ErrBusy", err)
	}
	if h.Refused() != 1 || h.Checks() != before {
		t.Fatalf("refused %d, hashed %d while the workers were held; want 1 and 0", h.Refused(), h.Checks()-before)
	}
	for _, r := range release {
		r()
	}
	wg.Wait()
	if n := h.Checks() - before; n != 5 {
		t.Fatalf("%d checks hashed, want the 5 admitted", n)
	}
}

// The queue also refuses a check whose expected wait, at the recent hash
// time, exceeds the wait bound, even with room in the queue.
func TestQueueRefusesALongExpectedWait(t *testing.T) {
	h := NewHasher(fast, 1)
	h.avg.Store(int64(100 * time.Millisecond))
	h.SetQueue(100, 250*time.Millisecond)
	release := h.Occupy()
	defer release()
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	for range 2 { // expected waits 100 ms and 200 ms: admitted
		wg.Go(func() { h.Hash(ctx, "pw") })
	}
	waitFor(t, "two checks in the queue", func() bool { return h.Waiting() == 2 })
	if _, err := h.Hash(context.Background(), "pw"); !errors.Is(err, ErrBusy) || errors.Is(err, context.Canceled) {
		t.Fatalf("the third check (300 ms expected): %v, want ErrBusy at admission", err)
	}
	cancel()
	wg.Wait()
}

// Each worker's first waiter is admitted whatever the estimate says, and
// the wait it saw, per round of hashes ahead of it, becomes part of the
// estimate: an estimate left high by a past burst cannot refuse every
// waiter for good, and the time a waiter takes to be scheduled on a busy
// machine counts, not only the hash's own time.
func TestQueueLearnsFromWhatWaitersSee(t *testing.T) {
	h := NewHasher(fast, 1)
	const stale = 10 * time.Second
	h.avg.Store(int64(stale))
	h.SetQueue(100, 250*time.Millisecond)
	release := h.Occupy()
	done := make(chan error, 1)
	go func() { _, err := h.Hash(context.Background(), "pw"); done <- err }()
	waitFor(t, "the first waiter admitted", func() bool { return h.Waiting() == 1 })
	if _, err := h.Hash(context.Background(), "pw"); !errors.Is(err, ErrBusy) {
		t.Fatalf("the second waiter (two rounds of %v expected): %v, want ErrBusy", stale, err)
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("the first waiter: %v", err)
	}
	if got := time.Duration(h.avg.Load()); got >= stale {
		t.Fatalf("estimate %v after a waiter waited far less than %v: the wait was not folded in", got, stale)
	}
}

// A check is admitted or refused once, before its caller's own work: an
// admitted ticket counts as waiting from its admission (so the next
// arrival is refused against the real queue), is never refused afterwards
// even if the bound shrinks meanwhile, and a dropped ticket gives its
// place back (API4:2023).
func TestAdmittedChecksAreNotRefusedLater(t *testing.T) {
	h := NewHasher(fast, 1)
	enc, _ := h.Hash(context.Background(), "pw")
	h.SetQueue(2, time.Hour)
	release := h.Occupy()
	first, err1 := h.Admit()
	second, err2 := h.Admit()
	if err1 != nil || err2 != nil {
		t.Fatalf("two checks in a queue of two: %v, %v", err1, err2)
	}
	if _, err := h.Admit(); !errors.Is(err, ErrBusy) {
		t.Fatalf("a third check with two admitted and none yet waiting: %v, want ErrBusy", err)
	}
	second.Drop()
	second.Drop() // a second drop gives back nothing more
	if n := h.Waiting(); n != 1 {
		t.Fatalf("waiting after a ticket was dropped twice: %d, want 1", n)
	}
	h.SetQueue(0, time.Hour) // no room now: only new checks are refused
	done := make(chan error, 1)
	go func() {
		ok, err := h.VerifyAdmitted(context.Background(), first, "pw", enc)
		if err == nil && !ok {
			err = errors.New("the right password did not match")
		}
		done <- err
	}()
	if _, err := h.Admit(); !errors.Is(err, ErrBusy) {
		t.Fatalf("a new check with no room: %v, want ErrBusy", err)
	}
	// Blocked on the worker, it is first in line: its wait is one round.
	waitFor(t, "the admitted check blocked on the worker", func() bool { return h.queued.Load() == 1 })
	release()
	if err := <-done; err != nil {
		t.Fatalf("the check admitted before the bound shrank: %v", err)
	}
	if n, r := h.Waiting(), h.Refused(); n != 0 || r != 2 {
		t.Fatalf("after the admitted check ran: %d waiting, %d refused; want 0 and 2", n, r)
	}
}
