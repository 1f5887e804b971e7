// Command rebind is the account-security service for the mobile-phone
// factor: reset and change of the bound number, for browsers and apps, with
// an admin API for the exchange's other services.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if rep := (*reportedError)(nil); errors.As(err, &rep) {
		os.Exit(1) // serve logged it, as JSON
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rebind:", err)
		os.Exit(1)
	}
}
