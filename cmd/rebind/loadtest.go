package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/loadtest"
)

// loadtestCmd drives a running server (rebind loadtest): it starts the SMTP
// and SMS sinks, says how to point the server at them, waits for the
// server, and prints the report.
func loadtestCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	base := fs.String("url", "http://127.0.0.1:8080", "the server's public address")
	admin := fs.String("admin-url", "http://127.0.0.1:8081", "the server's internal address (admin API)")
	scenarios := fs.String("scenarios", strings.Join(loadtest.Scenarios, ","), "comma-separated scenarios")
	levels := fs.String("c", "1,8,32,128", "comma-separated concurrency levels")
	dur := fs.Duration("d", 10*time.Second, "measured time per scenario and level")
	warm := fs.Duration("warmup", 3*time.Second, "warm-up per scenario and level (its rate sizes the seeding)")
	smtpAddr := fs.String("smtp", "127.0.0.1:2525", "address of the SMTP sink")
	smsAddr := fs.String("sms", "127.0.0.1:2526", "address of the SMS sink")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return flagHelp("loadtest", fs)
	} else if err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	cfg := loadtest.Config{BaseURL: strings.TrimRight(*base, "/"), AdminURL: strings.TrimRight(*admin, "/"),
		AdminToken: getenv("REBIND_ADMIN_TOKEN"), Scenarios: strings.Split(*scenarios, ","), Duration: *dur, Warmup: *warm,
		Progress: stderr}
	if cfg.AdminToken == "" {
		return errors.New("loadtest: REBIND_ADMIN_TOKEN must hold the server's admin token (seeding uses the admin API)")
	}
	for _, s := range strings.Split(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 10000 {
			return fmt.Errorf("loadtest: -c: %q is not a concurrency from 1 to 10000", s)
		}
		cfg.Levels = append(cfg.Levels, n)
	}
	in := loadtest.NewInbox()
	sinks, err := loadtest.StartSinks(*smtpAddr, *smsAddr, in)
	if err != nil {
		return err
	}
	defer sinks.Close()
	fmt.Fprintf(stderr, "sinks ready; start the server (not in production) with\n"+
		"  REBIND_SMTP_URL=%s REBIND_SMS_URL=%s REBIND_TRUSTED_PROXIES=127.0.0.1/32 REBIND_CAPTCHA=off\n",
		sinks.SMTP.URL(), sinks.SMS.URL())
	if err := waitReady(ctx, cfg.BaseURL, stderr); err != nil {
		return err
	}
	rep, err := loadtest.New(cfg, in).Run(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.WriteTable(stdout)
	return nil
}

// waitReady waits for the server's /readyz, saying once that it waits.
func waitReady(ctx context.Context, base string, stderr io.Writer) error {
	said := false
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if !said {
			fmt.Fprintf(stderr, "waiting for %s/readyz …\n", base)
			said = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
