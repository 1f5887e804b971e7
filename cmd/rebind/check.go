package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/rebindhq/rebind/internal/app"
	"github.com/rebindhq/rebind/internal/config"
	"github.com/rebindhq/rebind/internal/outbox"
)

// checkTimeout bounds the whole of rebind check's connections.
const checkTimeout = 30 * time.Second

// check loads the configuration, tries the database and its schema, the
// SMTP relay and the SMS API (sending nothing), prints a line per check
// and fails if any check failed: for a deploy pipeline or an operator
// before and after changing the settings.
func check(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := load("check", args, getenv, nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "configuration: ok")
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	failed := 0
	report := func(name string, err error, ok string) {
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "%s: FAILED: %v\n", name, err)
			return
		}
		fmt.Fprintf(stdout, "%s: %s\n", name, ok)
	}
	ok, err := checkDatabase(ctx, cfg)
	report("database", err, ok)
	for _, p := range app.CheckOutside(ctx, cfg) {
		if p.Skipped != "" {
			fmt.Fprintf(stdout, "%s: skipped: %s\n", p.Name, p.Skipped)
			continue
		}
		report(p.Name, p.Err, "ok")
	}
	if failed > 0 {
		return fmt.Errorf("check: %d checks failed", failed)
	}
	return nil
}

// checkDatabase connects and compares the schema with this build's
// migrations. In dev, serve applies pending migrations itself, so they are
// no fault there.
func checkDatabase(ctx context.Context, cfg *config.Config) (string, error) {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer db.Close()
	pending, err := db.Pending(ctx)
	switch {
	case err != nil:
		return "", err
	case pending > 0 && cfg.Production:
		return "", fmt.Errorf("%d migrations are pending: run \"rebind migrate\"", pending)
	case pending > 0:
		return fmt.Sprintf("ok, %d migrations pending (serve applies them in dev)", pending), nil
	}
	return "ok, schema current", nil
}

// checkAtStart runs the SMTP and SMS checks as serve starts and logs a
// warning per failure: the server still starts (the relay may come up
// later) and messages wait in the outbox meanwhile.
func checkAtStart(ctx context.Context, cfg *config.Config, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	for _, p := range app.CheckOutside(ctx, cfg) {
		var fault *outbox.ConfigFault
		switch {
		case p.Skipped != "" || p.Err == nil:
		case errors.As(p.Err, &fault):
			log.Warn("start check: "+fault.Problem+": "+fault.Fix, "check", p.Name, "err", p.Err)
		case ctx.Err() == nil:
			log.Warn("start check: cannot reach the "+p.Name+" provider; messages wait in the outbox until it answers",
				"check", p.Name, "err", p.Err)
		}
	}
}
