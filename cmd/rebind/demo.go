package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/rebindhq/rebind/internal/app"
	"github.com/rebindhq/rebind/internal/config"
	"github.com/rebindhq/rebind/internal/demo"
	"github.com/rebindhq/rebind/internal/store"
)

// demoCmd adds bulk demo accounts with history, for scale tests.
func demoCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var accounts, first int
	var seed uint64
	cfg, err := load("demo", args, getenv, func(fs *flag.FlagSet) {
		fs.IntVar(&accounts, "accounts", 1000, "how many accounts to add")
		fs.IntVar(&first, "first", 0, "index of the first account (user{first}@…), to add to an earlier run")
		fs.Uint64Var(&seed, "seed", 1, "seed of the generator; the same seed makes the same accounts")
	})
	if err != nil {
		return err
	}
	if cfg.Production {
		return errors.New("demo: refusing to add demo accounts in production")
	}
	if accounts <= 0 {
		return errors.New("demo: --accounts must be positive")
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	start := time.Now()
	last := start
	sum, err := demo.Seed(ctx, db, demo.Options{Accounts: accounts, First: first, Seed: seed,
		Progress: func(done int) {
			if time.Since(last) > 5*time.Second || done == accounts {
				fmt.Fprintf(stdout, "  %d/%d accounts\n", done, accounts)
				last = time.Now()
			}
		}})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %d accounts with %d activity rows in %s (password of every bulk account: %s)\n",
		sum.Accounts, sum.Rows()-sum.Accounts, time.Since(start).Round(time.Millisecond), demo.BulkPassword)
	return nil
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
	return nil
}

func mode(cfg *config.Config) string {
	if cfg.Production {
		return "production"
	}
	return "dev"
}
