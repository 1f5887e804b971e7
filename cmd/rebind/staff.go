package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/config"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/staff"
	"github.com/rebindhq/rebind/internal/store"
)

const staffUsage = `usage: rebind staff add --email E --role reviewer|supervisor|admin
       rebind staff list
       rebind staff disable --email E`

// staffCmd manages the staff console's members from the server's command
// line, as the operator (audit actor "operator"): add prints the one-time
// enrolment link, list shows every member, disable ends a member's access.
func staffCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		return &helpError{staffUsage + "\n"}
	}
	if len(args) == 0 {
		return errors.New(staffUsage)
	}
	var email, role string
	emailFlag := func(fs *flag.FlagSet) { fs.StringVar(&email, "email", "", "staff member's email") }
	switch args[0] {
	case "add":
		return withStaff(ctx, "staff add", args[1:], getenv, func(fs *flag.FlagSet) {
			emailFlag(fs)
			fs.StringVar(&role, "role", "", "reviewer, supervisor or admin")
		}, func() error {
			if email == "" {
				return errors.New("staff add: --email is required")
			}
			if !staff.Role(role).Valid() {
				return errors.New("staff add: --role must be reviewer, supervisor or admin")
			}
			return nil
		}, func(cfg *config.Config, s *staff.Service) error {
			return staffAdd(ctx, cfg, s, email, staff.Role(role), stdout)
		})
	case "list":
		return withStaff(ctx, "staff list", args[1:], getenv, nil, nil,
			func(_ *config.Config, s *staff.Service) error { return staffList(ctx, s, stdout) })
	case "disable":
		return withStaff(ctx, "staff disable", args[1:], getenv, emailFlag, func() error {
			if email == "" {
				return errors.New("staff disable: --email is required")
			}
			return nil
		}, func(_ *config.Config, s *staff.Service) error { return staffDisable(ctx, s, email, stdout) })
	}
	return errors.New(staffUsage)
}

// withStaff parses a staff command's flags, checks them, and runs fn with
// the staff service on a database whose schema is ready.
func withStaff(ctx context.Context, name string, args []string, getenv func(string) string, flags func(*flag.FlagSet),
	check func() error, fn func(*config.Config, *staff.Service) error) error {
	cfg, err := load(name, args, getenv, flags)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(); err != nil {
			return err
		}
	}
	db, err := openReady(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := staffService(cfg, db)
	if err != nil {
		return err
	}
	return fn(cfg, s)
}

// staffService builds the staff service as the server does, with the same
// key for TOTP secrets.
func staffService(cfg *config.Config, db *store.DB) (*staff.Service, error) {
	clk := clock.Real{}
	return staff.New(db, clk, password.NewHasher(password.Default, 1), ratelimit.New(clk), audit.New(clk),
		cfg.Secret.Set(keys.StaffTOTP), cfg.Brand)
}

func staffAdd(ctx context.Context, cfg *config.Config, s *staff.Service, email string, role staff.Role, stdout io.Writer) error {
	m, tok, err := s.Add(ctx, staff.Operator, email, role)
	if err != nil {
		return fmt.Errorf("staff add: %w", err)
	}
	fmt.Fprintf(stdout, "staff member %s (%s) can enrol once, within 24 hours, at:\n%s\n", m.Email, m.Role, staff.EnrolLink(cfg.StaffURL, tok))
	return nil
}

func staffList(ctx context.Context, s *staff.Service, stdout io.Writer) error {
	list, err := s.List(ctx)
	if err != nil {
		return fmt.Errorf("staff list: %w", err)
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "EMAIL\tROLE\tSTATE\tSINCE")
	for _, m := range list {
		since := m.CreatedAt
		switch m.State() {
		case "active":
			since = m.EnrolledAt
		case "disabled":
			since = m.DisabledAt
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", m.Email, m.Role, m.State(), since.Format("2006-01-02 15:04 UTC"))
	}
	return w.Flush()
}

func staffDisable(ctx context.Context, s *staff.Service, email string, stdout io.Writer) error {
	m, err := s.ByEmail(ctx, email)
	if err == nil {
		_, err = s.Disable(ctx, staff.Operator, m.ID)
	}
	if err != nil {
		return fmt.Errorf("staff disable: %w", err)
	}
	fmt.Fprintf(stdout, "staff member %s disabled; their sessions have ended\n", m.Email)
	return nil
}
