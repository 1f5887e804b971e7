// Package password hashes and checks account passwords with argon2id, bounds
// how many hashes run at once so a burst of sign-ins cannot exhaust memory,
// and checks the strength of new passwords.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id parameters. Memory is in KiB.
type Params struct {
	Memory  uint32
	Time    uint32
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// Default is OWASP's first argon2id configuration (Password Storage Cheat
// Sheet): 19 MiB, two passes, one lane; about 25 ms per hash on one core of a
// 2020s server. Stored hashes carry their parameters, so raising these later
// keeps old hashes verifiable.
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Limits on parameters read back from a stored hash, so a corrupted or
// hostile row cannot make one check allocate gigabytes.
const (
	maxMemory = 256 * 1024
	maxTime   = 10
)

// MaxLength is the longest password accepted. argon2 cost does not depend on
// length, but a bound keeps request bodies and hashing input small.
const MaxLength = 128

// ErrBusy is returned when too many hashes are waiting: the caller should
// answer 503 rather than queue without end.
var ErrBusy = errors.New("password: too many password checks in progress")

// Hasher hashes and verifies passwords with bounded concurrency. A check
// that finds every worker busy joins a bounded queue; it is refused at once
// (ErrBusy) when the queue is full or when the wait it would face, at the
// recent hash time, exceeds the queue's wait bound. Excess load is thus
// answered in microseconds, not after seconds in a queue, and memory stays
// bounded by workers × Memory plus the waiting requests.
type Hasher struct {
	params  Params
	slots   chan struct{}
	dummy   string
	checks  atomic.Int64
	workers int64
	nice    int

	waiting    atomic.Int64 // admitted checks without a worker yet
	queued     atomic.Int64 // of those, the ones blocked on a worker now
	refused    atomic.Int64
	maxWaiting atomic.Int64
	maxWait    atomic.Int64 // time.Duration
	avg        atomic.Int64 // recent hash time, time.Duration

	mu       sync.Mutex
	byParams map[Params]int64
}

// Workers returns how many hashes run at once.
func (h *Hasher) Workers() int { return int(h.workers) }

// Lower makes every later hash run on an OS thread of its own at the given
// nice value (1–19), a thread that ends with the hash. The rest of the
// server keeps its priority, so the kernel gives it the CPU first: under a
// burst of sign-ins a refusal, a code or a withdrawal check waits for no
// hash. This helps only if the Go runtime has processors beyond the hash
// workers (GOMAXPROCS above Workers): a hash's thread holds its processor
// while the kernel runs others. Lower fails, and changes nothing, where a
// thread's priority cannot be lowered.
func (h *Hasher) Lower(nice int) error {
	if nice < 1 || nice > 19 {
		return fmt.Errorf("password: nice %d is not from 1 to 19", nice)
	}
	var err error
	onThread(nice, func(e error) { err = e })
	if err != nil {
		return fmt.Errorf("password: lowering a hash thread's priority: %w", err)
	}
	h.nice = nice
	return nil
}

// run runs a hash: in the caller's goroutine, or after Lower on a thread
// of its own at the lowered priority.
func (h *Hasher) run(f func()) {
	if h.nice == 0 {
		f()
		return
	}
	onThread(h.nice, func(error) { f() })
}

// onThread runs f on a new OS thread whose priority has been set to nice
// (f gets the error of setting it) and ends the thread afterwards, so no
// other goroutine ever runs at that priority.
func onThread(nice int, f func(error)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Never unlocked: the thread exits with this goroutine. Threads
		// the runtime starts meanwhile are cloned from its template
		// thread, not from this locked one, so they keep their priority.
		runtime.LockOSThread()
		f(lowerThread(nice))
	}()
	<-done
}

// Checks returns how many password checks (Verify calls that hashed) have
// run, for metrics and for tests that show two paths do the same work.
func (h *Hasher) Checks() int64 { return h.checks.Load() }

// ChecksByParams returns how many password checks ran with each set of
// argon2id parameters (SaltLen and KeyLen as found in the checked hash), so
// a test can show that two paths do not only hash once each but hash at the
// same cost.
func (h *Hasher) ChecksByParams() map[Params]int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[Params]int64, len(h.byParams))
	for p, n := range h.byParams {
		out[p] = n
	}
	return out
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// NewHasher returns a hasher that runs at most concurrency hashes at once
// (0 means one per CPU). Memory use is bounded by concurrency × Memory.
func NewHasher(p Params, concurrency int) *Hasher {
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{params: p, slots: make(chan struct{}, concurrency), byParams: map[Params]int64{}, workers: int64(concurrency)}
	h.SetQueue(QueuePerWorker*concurrency, QueueWait)
	// The dummy hash is checked for unknown accounts so they cost the same
	// time as known ones; its password is random and never stored. Its
	// time is the first estimate of a hash's.
	var pw [24]byte
	rand.Read(pw[:])
	start := time.Now()
	h.dummy = h.hash(base64.RawStdEncoding.EncodeToString(pw[:]))
	h.avg.Store(int64(time.Since(start)))
	return h
}

// The queue's defaults: at most QueuePerWorker checks wait per worker, and
// a check is admitted only if its expected wait is at most QueueWait. At
// 32 sign-ins at once on 2 cores a check expects about 16 hashes ahead of
// it, 0.35–1 s depending on what else runs; 0.5 s refused a third of them.
const (
	QueuePerWorker = 64
	QueueWait      = time.Second
)

// RetryAfter is what a refused caller is told to wait.
const RetryAfter = time.Second

// SetQueue bounds the checks waiting for a worker: at most maxWaiting of
// them, each admitted only if its expected wait is at most maxWait. An
// admitted check waits at most twice maxWait, in case hashes slow down
// after it was admitted; past that the caller answers "busy".
func (h *Hasher) SetQueue(maxWaiting int, maxWait time.Duration) {
	h.maxWaiting.Store(int64(maxWaiting))
	h.maxWait.Store(int64(maxWait))
}

// refuses reports whether the n-th waiter is beyond the queue's bounds:
// it starts after ceil(n/workers) rounds of hashes. The first waiter of
// each worker is always admitted, so the estimate keeps being measured.
func (h *Hasher) refuses(n int64) bool {
	if n > h.maxWaiting.Load() {
		return true
	}
	expected := time.Duration((n+h.workers-1)/h.workers) * time.Duration(h.avg.Load())
	return n > h.workers && expected > time.Duration(h.maxWait.Load())
}

// A Ticket is a password check admitted to the queue before its caller's
// own work (the account lookup, the limits): the check is refused then or
// never, so a refusal costs no statement and waits for none. An admitted
// check counts as waiting from its admission, so the next arrival sees the
// queue it will really face.
type Ticket struct {
	h    *Hasher
	done atomic.Bool
}

// Admit admits one check, or returns ErrBusy and counts a refusal when
// every worker is taken and one more waiter would pass the queue's bounds.
// The caller passes the ticket to VerifyAdmitted, or drops it.
func (h *Hasher) Admit() (*Ticket, error) {
	n := h.waiting.Add(1)
	if pos := n - (h.workers - int64(len(h.slots))); pos > 0 && h.refuses(pos) {
		h.waiting.Add(-1)
		h.refused.Add(1)
		return nil, ErrBusy
	}
	return &Ticket{h: h}, nil
}

// Drop gives the ticket's place back; a used ticket is dropped already.
// It is safe to call more than once and on nil.
func (t *Ticket) Drop() {
	if t != nil && t.done.CompareAndSwap(false, true) {
		t.h.waiting.Add(-1)
	}
}

// Queued returns how many checks are blocked on a worker now: admitted,
// past their caller's own statements, waiting only for a hash to end.
func (h *Hasher) Queued() int64 { return h.queued.Load() }

// Waiting returns how many admitted checks have no worker yet, those still
// at their caller's statements included.
func (h *Hasher) Waiting() int64 { return h.waiting.Load() }

// Refused returns how many checks were refused at admission.
func (h *Hasher) Refused() int64 { return h.refused.Load() }

// Occupy takes one worker as a hash would and returns its release; it
// lets tests and benchmarks hold the workers busy.
func (h *Hasher) Occupy() (release func()) {
	h.slots <- struct{}{}
	return h.release
}

// acquire takes a worker, waiting for one if the queue admits it (an
// admitted ticket's check always waits). waited says whether it waited:
// then the wait, per round of hashes ahead of it, has been folded into the
// estimate, and the hash's own time must not be.
func (h *Hasher) acquire(ctx context.Context, t *Ticket) (waited bool, err error) {
	defer t.Drop()
	select {
	case h.slots <- struct{}{}:
		return false, nil
	default:
	}
	if t == nil {
		n := h.waiting.Add(1)
		defer h.waiting.Add(-1)
		if h.refuses(n) {
			h.refused.Add(1)
			return false, ErrBusy
		}
	}
	// Its place among the checks blocked on a worker, not among all the
	// admitted: a ticket still at its caller's statements is not ahead of
	// it, and counting it would make a round look shorter than it is.
	n := h.queued.Add(1)
	defer h.queued.Add(-1)
	start := time.Now()
	timer := time.NewTimer(2 * time.Duration(h.maxWait.Load()))
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		// What a waiter sees is what the next one should expect: the
		// hashes ahead of it and the time each waiter takes to be
		// scheduled once a worker frees, on a machine where the hashes,
		// the rest of the server and the database share the CPUs.
		h.fold(int64(time.Since(start)) / ((n + h.workers - 1) / h.workers))
		return true, nil
	case <-ctx.Done():
		return false, fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	case <-timer.C:
		return false, ErrBusy
	}
}

func (h *Hasher) release() { <-h.slots }

// timed runs one hash and, unless it waited for its worker, folds its
// time into the estimate.
func (h *Hasher) timed(waited bool, f func()) {
	start := time.Now()
	h.run(f)
	if !waited {
		h.fold(int64(time.Since(start)))
	}
}

// fold adds one observed round to the estimate (an average that weighs the
// last eight most).
func (h *Hasher) fold(d int64) {
	for {
		old := h.avg.Load()
		if h.avg.CompareAndSwap(old, old+(d-old)/8) {
			return
		}
	}
}

// Hash returns the PHC-format argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	waited, err := h.acquire(ctx, nil)
	if err != nil {
		return "", err
	}
	defer h.release()
	var out string
	h.timed(waited, func() { out = h.hash(password) })
	return out, nil
}

func (h *Hasher) hash(password string) string {
	salt := make([]byte, h.params.SaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, h.params.Time, h.params.Memory, h.params.Threads, h.params.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.Memory, h.params.Time, h.params.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// Verify reports whether password matches encoded. An empty encoded hash
// (unknown account) is checked against the dummy hash, so the answer takes
// the same time and is always false.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	return h.VerifyAdmitted(ctx, nil, password, encoded)
}

// VerifyAdmitted is Verify for a check admitted with t: it waits for a
// worker without being refused again (but no longer than twice the
// queue's wait bound), and uses up t. A nil t is Verify.
func (h *Hasher) VerifyAdmitted(ctx context.Context, t *Ticket, password, encoded string) (bool, error) {
	known := encoded != ""
	if !known {
		encoded = h.dummy
	}
	p, salt, want, err := decode(encoded)
	if err != nil {
		t.Drop()
		return false, err
	}
	waited, err := h.acquire(ctx, t)
	if err != nil {
		return false, err
	}
	defer h.release()
	h.checks.Add(1)
	p.SaltLen, p.KeyLen = len(salt), uint32(len(want))
	h.mu.Lock()
	h.byParams[p]++
	h.mu.Unlock()
	var got []byte
	h.timed(waited, func() { got = argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want))) })
	return subtle.ConstantTimeCompare(got, want) == 1 && known, nil
}

func decode(encoded string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("password: stored hash is not argon2id")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errors.New("password: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errors.New("password: bad argon2 parameters")
	}
	if p.Memory == 0 || p.Memory > maxMemory || p.Time == 0 || p.Time > maxTime || p.Threads == 0 {
		return p, nil, nil, errors.New("password: argon2 parameters out of bounds")
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 {
		return p, nil, nil, errors.New("password: bad argon2 salt or key")
	}
	return p, salt, key, nil
}
