package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/buildinfo"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/config"
	"github.com/rebindhq/rebind/internal/store"
)

const usage = `usage: rebind [command] [flags]

commands:
  serve            run the server (the default)
  migrate          apply database migrations and exit
  check            check the configuration, the database and its schema, the SMTP relay and the
                   SMS API (sending nothing); one line per check, non-zero exit if any fails
  demo             add demo accounts with history: demo --accounts N [--seed S] [--history H];
                   or open document applications for the review queue: demo --applications N
  staff add        add a staff console member and print their one-time enrolment link:
                   staff add --email E --role reviewer|supervisor|admin
  staff list       list the staff console's members
  staff disable    disable a member and end their sessions: staff disable --email E
  audit verify     check the audit trail's hash chain (read-only; says what awaits sealing)
  audit seal       seal the audit events awaiting sealing (a running server does this itself)
  secret rekey     after a rotation of the server secret, seal staff TOTP secrets and document
                   keys again under REBIND_SECRET and count what still needs REBIND_SECRET_PREVIOUS
  version          print the version, the commit it was built from and the Go version
  health           ask a running server's /readyz; exits 0 only when it answers 200
                   (the container's HEALTHCHECK): health [-url U] [-timeout D]
  loadtest         drive a running server with whole flows and print a report:
                   loadtest [-url U] [-admin-url U] [-scenarios signin,...] [-c 1,8,32,128] [-d 10s] [-json]

Every command's -h prints its flags. Configuration comes from REBIND_*
environment variables (see README.md).
`

// helpError carries the usage a -h or --help asked for: run prints it on
// standard output and succeeds.
type helpError struct{ text string }

func (e *helpError) Error() string { return "help requested" }

// isHelp says whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// flagHelp is the usage of a command with flags fs.
func flagHelp(name string, fs *flag.FlagSet) *helpError {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: rebind %s [flags]\n\nflags:\n", name)
	fs.SetOutput(&b)
	fs.PrintDefaults()
	b.WriteString("\nConfiguration comes from REBIND_* environment variables (see README.md).\n")
	return &helpError{b.String()}
}

// run is the whole program; main only supplies the process's arguments,
// environment and streams, so tests can run it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, getenv, stdout, stderr)
	if h := (*helpError)(nil); errors.As(err, &h) {
		fmt.Fprint(stdout, h.text)
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		return &helpError{usage}
	}
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args, getenv, stdout)
	case "check":
		return check(ctx, args, getenv, stdout)
	case "demo":
		return demoCmd(ctx, args, getenv, stdout)
	case "staff":
		return staffCmd(ctx, args, getenv, stdout)
	case "audit":
		return auditCmd(ctx, args, getenv, stdout)
	case "secret":
		return secretCmd(ctx, args, getenv, stdout)
	case "loadtest":
		return loadtestCmd(ctx, args, getenv, stdout, stderr)
	case "health":
		return healthCmd(ctx, args, getenv, stdout)
	case "version":
		if len(args) > 0 && !isHelp(args[0]) {
			return fmt.Errorf("version: unexpected argument %q", args[0])
		}
		fmt.Fprintln(stdout, buildinfo.Read())
		return nil
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}

// parseFlags parses a command's flags: -database-url, and those extra
// adds. It returns the database URL given, if any.
func parseFlags(name string, args []string, extra func(*flag.FlagSet)) (dbURL string, err error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&dbURL, "database-url", "", "database URL (overrides REBIND_DATABASE_URL)")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return "", flagHelp(name, fs)
	} else if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))
	}
	return dbURL, nil
}

// load parses the common flags and the environment.
func load(name string, args []string, getenv func(string) string, extra func(*flag.FlagSet)) (*config.Config, error) {
	var addr string
	dbURL, err := parseFlags(name, args, func(fs *flag.FlagSet) {
		fs.StringVar(&addr, "addr", "", "listen address (overrides REBIND_ADDR)")
		if extra != nil {
			extra(fs)
		}
	})
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(getenv, map[string]string{"REBIND_ADDR": addr, "REBIND_DATABASE_URL": dbURL})
	if err != nil {
		return nil, err
	}
	return cfg, cfg.EnsureDevSecrets()
}

func openDB(ctx context.Context, cfg *config.Config) (*store.DB, error) {
	return store.Open(ctx, cfg.DatabaseURL)
}

// openReady opens the database for a command that needs its schema
// current (migrated first in dev; in production, refused if behind).
func openReady(ctx context.Context, cfg *config.Config) (*store.DB, error) {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := prepareSchema(ctx, cfg, db, io.Discard); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := load("migrate", args, getenv, nil)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	for _, m := range applied {
		fmt.Fprintf(stdout, "applied %04d_%s\n", m.Version, m.Name)
	}
	if err == nil && len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
	}
	return err
}

const auditUsage = `usage: rebind audit verify | rebind audit seal

  verify  check the audit trail's hash chain (read-only; says what awaits sealing)
  seal    seal the audit events awaiting sealing (a running server does this itself)
`

func auditCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		return &helpError{auditUsage}
	}
	if len(args) == 0 || (args[0] != "verify" && args[0] != "seal") {
		return errors.New("usage: rebind audit verify | rebind audit seal")
	}
	// The audit commands need only the database (the chain is not keyed),
	// so an auditor can run them without the server's secrets.
	dbURL, err := parseFlags("audit "+args[0], args[1:], nil)
	if err != nil {
		return err
	}
	url := cmp.Or(dbURL, getenv("REBIND_DATABASE_URL"), config.DefaultDatabaseURL)
	db, err := store.Open(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	log := audit.New(clock.Real{})
	if args[0] == "seal" {
		n, err := log.SealAll(ctx, db)
		if err != nil {
			return fmt.Errorf("audit seal: %w", err)
		}
		fmt.Fprintf(stdout, "sealed %d events\n", n)
		return nil
	}
	// Verify only reads: it checks the chain as sealed so far and says
	// what waits to be sealed (the server seals within a second; a backlog
	// that stays means no server is running its sealer).
	n, err := log.Verify(ctx, db)
	if err != nil {
		return fmt.Errorf("audit verify: %d events checked before the fault: %w", n, err)
	}
	fmt.Fprintf(stdout, "audit chain intact: %d events\n", n)
	b, err := log.Pending(ctx, db)
	if err != nil {
		return err
	}
	if b.Events > 0 {
		fmt.Fprintf(stdout, "awaiting sealing: %d events, the oldest recorded %s ago (not checked yet; a running server seals them, or rebind audit seal)\n",
			b.Events, time.Since(b.Oldest).Truncate(time.Second))
	}
	return nil
}

// newLogger returns the JSON logger of cfg's level; every line names the
// instance, so the lines of several instances in one place stay apart.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: cfg.LogLevel})).With("instance", instanceID())
}

// instanceID names this process: its host and process id, as an operator
// finds it with ps.
func instanceID() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}
