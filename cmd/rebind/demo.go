package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/rebindhq/rebind/internal/app"
	"github.com/rebindhq/rebind/internal/config"
	"github.com/rebindhq/rebind/internal/demo"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/store"
)

// demoCmd adds bulk demo accounts with history, for scale tests, or demo
// document applications for the review queue (--applications).
func demoCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var accounts, first, applications int
	var seed uint64
	var history float64
	var flags *flag.FlagSet
	cfg, err := load("demo", args, getenv, func(fs *flag.FlagSet) {
		flags = fs
		fs.IntVar(&accounts, "accounts", 1000, "how many accounts to add")
		fs.IntVar(&first, "first", 0, "index of the first account (user{first}@…), to add to an earlier run")
		fs.Uint64Var(&seed, "seed", 1, "seed of the generator; the same seed makes the same accounts")
		fs.Float64Var(&history, "history", 1, "share of the activity each account gets, in (0, 1]: 0.2 writes about 22 activity rows per account instead of 84, with the same distinct markets, addresses and assets")
		fs.IntVar(&applications, "applications", 0, "how many open document applications to add to the review queue, from new applicant accounts")
	})
	if err != nil {
		return err
	}
	if cfg.Production {
		return errors.New("demo: refusing to add demo data in production")
	}
	if accounts <= 0 || applications < 0 {
		return errors.New("demo: --accounts must be positive and --applications not negative")
	}
	if !(history > 0 && history <= 1) { // NaN too
		return errors.New("demo: --history must be greater than 0 and at most 1")
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	if applications > 0 {
		if err := addApplications(ctx, cfg, db, applications, stdout); err != nil {
			return err
		}
		if !isSet(flags, "accounts") { // --applications alone adds only those
			return nil
		}
	}
	return addAccounts(ctx, db, demo.Options{Accounts: accounts, First: first, Seed: seed, History: history}, stdout)
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func addAccounts(ctx context.Context, db *store.DB, o demo.Options, stdout io.Writer) error {
	start := time.Now()
	last := start
	o.Progress = func(done int) {
		if time.Since(last) > 5*time.Second || done == o.Accounts {
			fmt.Fprintf(stdout, "  %d/%d accounts\n", done, o.Accounts)
			last = time.Now()
		}
	}
	sum, err := demo.Seed(ctx, db, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %d accounts with %d activity rows in %s (password of every bulk account: %s)\n",
		sum.Accounts, sum.Rows()-sum.Accounts, time.Since(start).Round(time.Millisecond), demo.BulkPassword)
	return nil
}

// addApplications submits n demo applications from the applicants after
// the last one there is, through the server's own services (the same
// configuration, so the same keys and document store).
func addApplications(ctx context.Context, cfg *config.Config, db *store.DB, n int, stdout io.Writer) error {
	a, err := app.New(cfg, db, slog.New(slog.DiscardHandler), app.Options{})
	if err != nil {
		return err
	}
	q := demo.Queue{Reset: a.Reset, Hasher: a.Hasher, Dev: !cfg.Production}
	first, err := q.Next(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	made, err := q.Seed(ctx, first, n, a.Clock.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %s in %s, from %s to %s (password: %s); a running server reads their screenshots within seconds\n",
		describeQueue(made), time.Since(start).Round(time.Millisecond), demo.ApplicantEmail(first), demo.ApplicantEmail(first+n-1), demo.BulkPassword)
	return nil
}

// describeQueue says what filling the queue did.
func describeQueue(m demo.Made) string {
	s := fmt.Sprintf("%d demo applications (%d kyc, %d nonkyc_with_records, %d nonkyc_no_records)",
		m.Applications, m.ByClass[evidence.KYC], m.ByClass[evidence.NonKYCWithRecords], m.ByClass[evidence.NonKYCNoRecords])
	if m.Skipped > 0 {
		s += fmt.Sprintf("; %d applicants had one already", m.Skipped)
	}
	return s
}

// fillQueue submits the demo applications of the dev server's start that
// are missing, after the listeners are up: drawing and storing their
// pictures takes a few seconds, which the banner should not wait for. The
// server's reader then reads their screenshots, as for any submission.
func fillQueue(ctx context.Context, a *app.App, internal string, stdout io.Writer) {
	q := demo.Queue{Reset: a.Reset, Hasher: a.Hasher, Dev: !a.Config.Production}
	made, err := q.Seed(ctx, 0, demo.StartApplicants, a.Clock.Now())
	if err != nil {
		if ctx.Err() == nil {
			a.Log.Warn("demo review queue", "err", err)
		}
		return
	}
	if made.Applications == 0 {
		fmt.Fprintf(stdout, "demo review queue: the %d start applicants have applied before, none again (rebind demo --applications N adds more); the console: http://%s/staff\n",
			made.Skipped, internal)
		return
	}
	fmt.Fprintf(stdout, "demo review queue: submitted %s; review them at http://%s/staff\n", describeQueue(made), internal)
}

// announce prints how to use a server that just started: where its two
// listeners are and, in dev mode, where messages go, the admin token, and
// the demo accounts.
func announce(ctx context.Context, cfg *config.Config, a *app.App, db *store.DB, addr, internal string, stdout io.Writer) error {
	fmt.Fprintf(stdout, "rebind listening on http://%s (%s mode, %s database)\n", addr, mode(cfg), db.Dialect)
	fmt.Fprintf(stdout, "admin API and metrics on the internal address http://%s (keep it off the internet)\n", internal)
	fmt.Fprintf(stdout, "staff console at http://%s/staff (add a member: rebind staff add --email E --role admin)\n", internal)
	if cfg.Production {
		return nil
	}
	for _, g := range cfg.Generated {
		fmt.Fprintln(stdout, g)
	}
	fmt.Fprintf(stdout, "admin API token: %s\n", cfg.AdminToken)
	if cfg.DevOutbox() {
		fmt.Fprintf(stdout, "messages that are not sent for real appear at http://%s/dev/outbox\n", addr)
	}
	if !cfg.Demo {
		return nil
	}
	seeded, err := demo.SeedNamed(ctx, db, a.Hasher, a.Clock.Now())
	if err != nil {
		return err
	}
	if err := demo.PrintSignIn(stdout, seeded); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "their history (the answers to their security questions) and a button to renew them: http://%s/dev/accounts\n", addr)
	base := staffBase(cfg, internal)
	members, err := demo.EnsureStaff(ctx, a.Staff, base, !cfg.Production)
	if err != nil {
		return err
	}
	if err := demo.PrintStaff(stdout, base, members); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "filling the demo review queue in the background (each applicant only once)...")
	return nil
}

// staffBase is where the banner's enrolment links point: REBIND_STAFF_URL,
// or, when that is left at its default, the internal listener as bound
// (which differs from REBIND_INTERNAL_ADDR when that names port 0).
func staffBase(cfg *config.Config, internal string) *url.URL {
	if cfg.StaffURL.String() != "http://"+cfg.InternalAddr {
		return cfg.StaffURL
	}
	return &url.URL{Scheme: "http", Host: internal}
}

func mode(cfg *config.Config) string {
	if cfg.Production {
		return "production"
	}
	return "dev"
}
