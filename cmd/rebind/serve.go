package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/rebindhq/rebind/internal/app"
	"github.com/rebindhq/rebind/internal/buildinfo"
	"github.com/rebindhq/rebind/internal/config"
	"github.com/rebindhq/rebind/internal/store"
)

// serve runs the server. Everything it writes to stderr is JSON, its
// fatal error included (logged, then returned as already reported).
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := load("serve", args, getenv, nil)
	if h := (*helpError)(nil); errors.As(err, &h) {
		return err
	}
	var log *slog.Logger
	if err != nil {
		log = slog.New(slog.NewJSONHandler(stderr, nil)).With("instance", instanceID())
	} else {
		log = newLogger(cfg, stderr)
		err = serveWith(ctx, cfg, log, stdout)
	}
	if err != nil {
		log.Error("rebind stopped", "err", err.Error())
		return &reportedError{err}
	}
	return nil
}

// reportedError is an error serve has logged already: main exits 1
// without printing it again as plain text.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// logStart writes the start line: the version, the settings in effect
// (secrets redacted, the server secret by its ids) and the warnings.
func logStart(cfg *config.Config, log *slog.Logger, hashWorkers int) {
	proxies := make([]string, len(cfg.TrustedProxies))
	for i, p := range cfg.TrustedProxies {
		proxies[i] = p.String()
	}
	var secrets []string
	if cfg.Secret != nil {
		secrets = cfg.Secret.IDs()
	}
	log.Info("starting", "version", buildinfo.Read().String(), "config", cfg.Effective(), "secret_ids", secrets,
		"trusted_proxies", proxies, "gomaxprocs", runtime.GOMAXPROCS(0), "hash_workers", hashWorkers)
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
}

// hashProcessors returns how many argon2id hashes run at once: one per
// CPU the runtime was given. With REBIND_PASSWORD_NICE it then gives the
// runtime half as many processors again (at least one), so that the
// hashes' threads, which hold their processors while the kernel prefers
// other threads, leave some to the rest of the server. Doubling them was
// measured too: on 2 CPUs it cost 17 % of the sign-ins at saturation
// (docs/benchmarks.md). The CPUs are read once per process, so a second
// serve in one process (the tests) does not add to them again.
func hashProcessors(cfg *config.Config) int {
	cpus := startProcs()
	if cfg.PasswordNice > 0 {
		runtime.GOMAXPROCS(cpus + (cpus+1)/2)
	}
	return cpus
}

var startProcs = sync.OnceValue(func() int { return runtime.GOMAXPROCS(0) })

func serveWith(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer) error {
	workers := hashProcessors(cfg)
	logStart(cfg, log, workers)
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := prepareSchema(ctx, cfg, db, stdout); err != nil {
		return err
	}
	a, err := app.New(cfg, db, log, app.Options{HashWorkers: workers})
	if err != nil {
		return err
	}
	pub, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on REBIND_ADDR: %w", err)
	}
	internal, err := net.Listen("tcp", cfg.InternalAddr)
	if err != nil {
		pub.Close()
		return fmt.Errorf("listen on REBIND_INTERNAL_ADDR (admin API and metrics): %w", err)
	}
	if err := announce(ctx, cfg, a, db, pub.Addr().String(), internal.Addr().String(), stdout); err != nil {
		pub.Close()
		internal.Close()
		return err
	}
	servers := []*http.Server{newServer(a.PublicHandler()), newServer(a.InternalHandler())}
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { a.Run(bgCtx) })
	wg.Go(func() { checkAtStart(bgCtx, cfg, log) })
	if cfg.Demo {
		wg.Go(func() { fillQueue(bgCtx, a, internal.Addr().String(), stdout) })
	}
	served := make(chan error, len(servers))
	go func() { served <- servers[0].Serve(pub) }()
	go func() { served <- servers[1].Serve(internal) }()
	// Either listener failing stops both: half a server is not one to run.
	select {
	case err = <-served:
	case <-ctx.Done():
		// Drain: /readyz turns 503 and the server keeps answering for
		// REBIND_SHUTDOWN_DELAY, so the load balancer stops sending before
		// the listeners close; then the requests in flight finish.
		a.Drain()
		log.Info("shutting down: /readyz answers 503", "delay", cfg.ShutdownDelay.String())
		select {
		case err = <-served:
		case <-time.After(cfg.ShutdownDelay):
		}
	}
	if serr := shutdown(servers); err == nil {
		err = serr
	}
	stopBackground()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("stopped")
	return err
}

// shutdown stops the servers together: they stop accepting at once and
// share one 10 s deadline for the requests in flight.
func shutdown(servers []*http.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, srv := range servers {
		wg.Go(func() { errs[i] = srv.Shutdown(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
}

// prepareSchema migrates in dev; production must run "rebind migrate"
// first, so a deploy never changes the schema by surprise.
func prepareSchema(ctx context.Context, cfg *config.Config, db *store.DB, stdout io.Writer) error {
	if !cfg.Production {
		applied, err := db.Migrate(ctx)
		if len(applied) > 0 {
			fmt.Fprintf(stdout, "applied %d database migrations\n", len(applied))
		}
		return err
	}
	pending, err := db.Pending(ctx)
	if err != nil {
		return err
	}
	if pending > 0 {
		return fmt.Errorf("%d database migrations are pending: run \"rebind migrate\" first", pending)
	}
	return nil
}
