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

// Hasher hashes and verifies passwords with bounded concurrency.
type Hasher struct {
	params Params
	slots  chan struct{}
	dummy  string
	checks atomic.Int64

	mu       sync.Mutex
	byParams map[Params]int64
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
	h := &Hasher{params: p, slots: make(chan struct{}, concurrency), byParams: map[Params]int64{}}
	// The dummy hash is checked for unknown accounts so they cost the same
	// time as known ones; its password is random and never stored.
	var pw [24]byte
	rand.Read(pw[:])
	h.dummy = h.hash(base64.RawStdEncoding.EncodeToString(pw[:]))
	return h
}

// MaxWait bounds how long a check waits for a free slot: past it the
// caller answers "busy" instead of piling up requests.
const MaxWait = 5 * time.Second

func (h *Hasher) acquire(ctx context.Context) error {
	timer := time.NewTimer(MaxWait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	case <-timer.C:
		return ErrBusy
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC-format argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return h.hash(password), nil
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
	known := encoded != ""
	if !known {
		encoded = h.dummy
	}
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	h.checks.Add(1)
	p.SaltLen, p.KeyLen = len(salt), uint32(len(want))
	h.mu.Lock()
	h.byParams[p]++
	h.mu.Unlock()
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
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
