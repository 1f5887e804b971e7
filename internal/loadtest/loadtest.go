// Package loadtest drives a running rebind server with whole flows over
// its JSON API (sign-in, a bind's email code, a reset by questions, a
// change of number, the wallet's eligibility question, a weighted mix) and
// reports throughput, step and flow latencies, code delivery and errors
// by status and code. It carries the server's outside world: an SMTP sink
// and a Twilio-compatible SMS sink whose codes go straight to the worker
// waiting for them, and seeds its own accounts through the admin API.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one run.
type Config struct {
	// BaseURL is the public listener, AdminURL the internal one.
	BaseURL, AdminURL, AdminToken string
	Scenarios                     []string
	Levels                        []int
	// Duration is each level's measured time, after Warmup; Flows, when
	// set, runs exactly that many flows a level instead (tests).
	Duration, Warmup time.Duration
	Flows            int
	CodeTimeout      time.Duration
	// Progress receives a line per phase; nil discards them.
	Progress io.Writer
	// OnFlow, when set, is told of every flow the tool runs (warm-ups
	// included) once it has ended, from the workers, concurrently. A flow
	// cut short by the run's context ending is not told.
	OnFlow func(Flow)
	// Stop, when closed, ends the run early: the level running starts no
	// more flows (those in progress finish, and the level's result covers
	// what ran) and no later level or scenario runs.
	Stop <-chan struct{}
}

// Flow is one flow the tool ran, as it ended (Config.OnFlow).
type Flow struct {
	// Scenario is the flow's own scenario (for mixed, the one drawn).
	Scenario string
	// Account, Email and Token are the account's id, address and session
	// (of the signed-in scenarios); Mobile is the number bound when the
	// flow started, NewMobile the number a change was binding.
	Account, Email, Token, Mobile, NewMobile string
	// ID is the server's flow id, once the flow had opened one.
	ID         string
	Start, End time.Time
	// Err is nil when the flow reached its outcome (the tool checks it).
	// Otherwise Step is the step that failed, Status its HTTP status (0:
	// no answer, a code that did not arrive or a wrong outcome) and Code
	// the error's code (SPEC §5), "code_timeout", "transport" or
	// "wrong_outcome: …". A seeding that failed is a Flow with an Err and
	// no Account.
	Err        error
	Step, Code string
	Status     int
}

// flowOf fills a Flow's error fields from err.
func flowOf(f Flow, err error) Flow {
	f.Err = err
	var se *stepError
	if errors.As(err, &se) {
		f.Step, f.Status, f.Code = se.Step, se.Status, se.Code
	}
	return f
}

// stopped reports whether Config.Stop is closed.
func (t *Tool) stopped() bool {
	select {
	case <-t.cfg.Stop:
		return true
	default:
		return false
	}
}

// Tool runs a Config against one server.
type Tool struct {
	cfg     Config
	hc      *http.Client
	inbox   *Inbox
	ids     *ids
	rng     *rand.Rand
	pw      string
	bareURL string

	mu    sync.Mutex
	pools map[string][]*account
}

// New returns a tool that reads codes from in.
func New(cfg Config, in *Inbox) *Tool {
	if cfg.CodeTimeout == 0 {
		cfg.CodeTimeout = 30 * time.Second
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	return &Tool{cfg: cfg, hc: newHTTPClient(slicesMax(cfg.Levels)), inbox: in, ids: newIDs(rng), rng: rng,
		pw: fmt.Sprintf("lt-%016x", rng.Uint64()), pools: map[string][]*account{}}
}

func slicesMax(s []int) int {
	m := 1
	for _, v := range s {
		m = max(m, v)
	}
	return m
}

// Run runs every scenario at every level, in order.
func (t *Tool) Run(ctx context.Context) (Report, error) {
	rep := Report{Target: t.cfg.BaseURL}
	for _, name := range t.cfg.Scenarios {
		sc, ok := scenarioOf(name)
		if !ok {
			return rep, fmt.Errorf("loadtest: unknown scenario %q", name)
		}
		if sc.seed.bare && t.bareURL == "" {
			stop, err := t.startBare()
			if err != nil {
				return rep, err
			}
			defer stop()
		}
		for _, c := range t.cfg.Levels {
			if t.stopped() {
				return rep, nil
			}
			res, err := t.level(ctx, sc, c)
			if err != nil {
				return rep, err
			}
			rep.Results = append(rep.Results, res)
		}
	}
	return rep, nil
}

// level runs sc with c workers: a warm-up whose rate says how many
// accounts to seed, the seeding, then the measured run.
func (t *Tool) level(ctx context.Context, sc *scenario, c int) (Result, error) {
	want := t.cfg.Flows
	// Two warm-ups: the first seeds its accounts as it goes, so its rate
	// is the seeding's (password hashes) more than the scenario's; the
	// second runs on seeded accounts and sizes the seeding of the
	// measured run, which should then seed nothing itself.
	for i := 0; i < 2 && t.cfg.Warmup > 0 && t.cfg.Flows == 0; i++ {
		fmt.Fprintf(t.cfg.Progress, "%s c=%d: warm-up %v\n", sc.name, c, t.cfg.Warmup)
		warm := newRecorder()
		took := t.drive(ctx, sc, c, t.cfg.Warmup, 0, warm)
		want = int(float64(len(warm.flows)) / took.Seconds() * t.cfg.Duration.Seconds() * 1.5)
		if err := t.fill(ctx, sc, c, max(want, 4*c)); err != nil {
			return Result{}, err
		}
	}
	if want == 0 {
		want = 4 * c
	}
	if err := t.fill(ctx, sc, c, want); err != nil {
		return Result{}, err
	}
	fmt.Fprintf(t.cfg.Progress, "%s c=%d: measuring\n", sc.name, c)
	rec := newRecorder()
	took := t.drive(ctx, sc, c, t.cfg.Duration, t.cfg.Flows, rec)
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	return rec.result(sc.name, c, took), nil
}

// drive runs c workers, each running flows back to back, until d has
// passed or Config.Stop is closed (flows in progress finish) or n flows
// have started.
func (t *Tool) drive(ctx context.Context, sc *scenario, c int, d time.Duration, n int, rec *recorder) time.Duration {
	var left atomic.Int64
	left.Store(int64(n))
	stop := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range c {
		rng := rand.New(rand.NewPCG(uint64(w), t.rng.Uint64()))
		wg.Go(func() {
			for ctx.Err() == nil {
				if n > 0 && left.Add(-1) < 0 || n == 0 && time.Now().After(stop) || t.stopped() {
					return
				}
				// After a shed flow the worker waits its Retry-After, as
				// an app does, but not past the end of the run.
				if wait := t.one(ctx, sc, rng, rec); wait > 0 {
					if n == 0 {
						wait = min(wait, time.Until(stop))
					}
					select {
					case <-time.After(wait):
					case <-ctx.Done():
					}
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// one runs one flow of sc (of a scenario drawn by weight for mixed) on an
// account from its pool, and records it. It returns the Retry-After of a
// flow that was shed (503), which the worker waits before its next flow.
func (t *Tool) one(ctx context.Context, sc *scenario, rng *rand.Rand, rec *recorder) (retryAfter time.Duration) {
	prefix := ""
	if sc.name == "mixed" {
		sc = t.pick(rng)
		prefix = sc.name + "/"
	}
	a, inline, err := t.take(ctx, sc, rng)
	rec.mu.Lock()
	rec.inline += inline
	rec.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("seed: %w", err)
		rec.add(nil, 0, err)
		if t.cfg.OnFlow != nil && ctx.Err() == nil {
			t.cfg.OnFlow(flowOf(Flow{Scenario: sc.name}, err))
		}
		return
	}
	r := &run{ctx: ctx, hc: t.hc, xff: clientAddr(rng)}
	f := Flow{Scenario: sc.name, Account: a.id, Email: a.email, Token: a.token, Mobile: a.mobile, Start: time.Now()}
	err = sc.flow(t, r, a)
	took := time.Since(f.Start)
	if ctx.Err() != nil {
		return
	}
	if t.cfg.OnFlow != nil {
		f.ID, f.NewMobile, f.End = r.flowID, r.newMobile, f.Start.Add(took)
		t.cfg.OnFlow(flowOf(f, err))
	}
	if prefix != "" {
		for i := range r.steps {
			r.steps[i].step = prefix + r.steps[i].step
		}
		var se *stepError
		if errors.As(err, &se) {
			se.Step = prefix + se.Step
		}
	}
	rec.add(r, took, err)
	switch {
	case err == nil:
		t.put(sc, a)
	case shedAtFirst(r, err):
		t.putBack(sc, a)
	}
	// A shed request says when to come back, and an app waits that long.
	var se *stepError
	if errors.As(err, &se) && se.Status == http.StatusServiceUnavailable {
		return se.retryAfter
	}
	return 0
}

// shedAtFirst reports whether the flow's first request was shed (503):
// the server did nothing and counted nothing, so the account goes back to
// the pool, its uses unspent, rather than making the tool seed another one.
// An account refused by a limit (429) is not put back: it would be refused
// again.
func shedAtFirst(r *run, err error) bool {
	var se *stepError
	return len(r.steps) == 1 && errors.As(err, &se) && se.Status == http.StatusServiceUnavailable
}

func (t *Tool) pick(rng *rand.Rand) *scenario {
	total := 0
	for _, m := range mixWeights {
		total += m.weight
	}
	x := rng.IntN(total)
	for _, m := range mixWeights {
		if x < m.weight {
			sc, _ := scenarioOf(m.name)
			return sc
		}
		x -= m.weight
	}
	panic("unreachable")
}

// take gives an account of sc's pool (any of them for a scenario without
// a limit of uses), seeding one when the pool is empty.
func (t *Tool) take(ctx context.Context, sc *scenario, rng *rand.Rand) (*account, int, error) {
	t.mu.Lock()
	pool := t.pools[sc.name]
	if len(pool) > 0 {
		if sc.uses == 0 {
			a := pool[rng.IntN(len(pool))]
			t.mu.Unlock()
			return a, 0, nil
		}
		a := pool[len(pool)-1]
		t.pools[sc.name] = pool[:len(pool)-1]
		t.mu.Unlock()
		return a, 0, nil
	}
	t.mu.Unlock()
	a, err := t.seed(ctx, sc.seed, rng)
	if err == nil && sc.uses == 0 {
		t.put(sc, a)
	}
	return a, 1, err
}

// put returns an account to its pool while it has uses left.
func (t *Tool) put(sc *scenario, a *account) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if sc.uses == 0 {
		for _, b := range t.pools[sc.name] {
			if b == a {
				return
			}
		}
		t.pools[sc.name] = append(t.pools[sc.name], a)
		return
	}
	if a.uses++; a.uses < sc.uses {
		t.pools[sc.name] = append(t.pools[sc.name], a)
	}
}

// putBack returns an account a refusal left as it was, without spending
// one of its uses: the server counted nothing against it.
func (t *Tool) putBack(sc *scenario, a *account) {
	if sc.uses == 0 {
		t.put(sc, a)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pools[sc.name] = append(t.pools[sc.name], a)
}

// fill seeds sc's pool (each scenario's of mixed, by weight) for flows
// flows with c workers.
func (t *Tool) fill(ctx context.Context, sc *scenario, c, flows int) error {
	if sc.name != "mixed" {
		return t.fillOne(ctx, sc, c, flows)
	}
	for _, m := range mixWeights {
		sub, _ := scenarioOf(m.name)
		if err := t.fillOne(ctx, sub, c, flows*m.weight/100+1); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tool) fillOne(ctx context.Context, sc *scenario, c, flows int) error {
	need := min(c, 64)
	if sc.uses > 0 {
		need = (flows+sc.uses-1)/sc.uses + c
	}
	t.mu.Lock()
	have := 0
	for _, a := range t.pools[sc.name] {
		if sc.uses == 0 {
			have++
		} else {
			have += sc.uses - a.uses
		}
	}
	t.mu.Unlock()
	if sc.uses > 0 {
		need -= have / sc.uses
	} else {
		need -= have
	}
	if need <= 0 {
		return nil
	}
	fmt.Fprintf(t.cfg.Progress, "%s: seeding %d accounts\n", sc.name, need)
	var left atomic.Int64
	left.Store(int64(need))
	var wg sync.WaitGroup
	var first error
	var once sync.Once
	for w := range min(need, 4) {
		rng := rand.New(rand.NewPCG(uint64(w)+1000, t.rng.Uint64()))
		wg.Go(func() {
			for left.Add(-1) >= 0 && ctx.Err() == nil {
				a, err := t.seed(ctx, sc.seed, rng)
				if err != nil {
					once.Do(func() { first = err })
					return
				}
				t.mu.Lock()
				t.pools[sc.name] = append(t.pools[sc.name], a)
				t.mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != nil {
		return fmt.Errorf("loadtest: seeding %s: %w", sc.name, first)
	}
	return ctx.Err()
}

// startBare serves the eligibility answer from a bare net/http server on
// 127.0.0.1, to compare the server's hot path with HTTP alone.
func (t *Tool) startBare() (func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("loadtest: bare server: %w", err)
	}
	mux := http.NewServeMux()
	token := "Bearer " + t.cfg.AdminToken
	mux.HandleFunc("GET /admin/v1/accounts/{id}/withdrawal-eligibility", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, `{"allowed":true,"until":null,"reasons":[]}`+"\n")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	t.bareURL = "http://" + l.Addr().String()
	return func() { srv.Close() }, nil
}
