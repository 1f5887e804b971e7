package main

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/config"
	"github.com/rebindhq/rebind/internal/staff"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

var enrolLink = regexp.MustCompile(`https://review\.example\.internal/staff/enrol/([A-Za-z0-9_-]{43})\n`)

// rebind staff add prints a one-time enrolment link on REBIND_STAFF_URL
// that the server's staff service accepts (the same key seals the TOTP
// secret); staff list shows each member's state; staff disable ends a
// member's access; each change is audited with the operator as actor.
func TestStaffCommands(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, kind, url string) {
		ctx := context.Background()
		getenv := env(t, map[string]string{"REBIND_DATABASE_URL": url, "REBIND_STAFF_URL": "https://review.example.internal"})
		staffRun := func(args ...string) (string, error) {
			var out strings.Builder
			err := run(ctx, append([]string{"staff"}, args...), getenv, &out, io.Discard)
			return out.String(), err
		}
		out, err := staffRun("add", "--email", "Lead@Example.com", "--role", "admin")
		m := enrolLink.FindStringSubmatch(out)
		if err != nil || m == nil || !strings.Contains(out, "Lead@Example.com (admin)") {
			t.Fatalf("staff add: %v\n%s", err, out)
		}
		if _, err := staffRun("add", "--email", "lead@example.com", "--role", "reviewer"); err == nil || !strings.Contains(err.Error(), "exists") {
			t.Fatalf("staff add of a member with another role: %v", err)
		}
		out, err = staffRun("list")
		if err != nil || !regexp.MustCompile(`Lead@Example.com\s+admin\s+pending`).MatchString(out) {
			t.Fatalf("staff list before enrolment: %v\n%s", err, out)
		}

		s, db := cliStaff(t, getenv)
		e, err := s.Enrolment(ctx, m[1])
		if err != nil {
			t.Fatalf("the printed link: %v", err)
		}
		code, _ := totp.GenerateCode(e.Key.Secret, time.Now())
		in, err := s.Enrol(ctx, m[1], "console-lantern-58", code, "")
		if err != nil {
			t.Fatal(err)
		}
		out, err = staffRun("list")
		if err != nil || !regexp.MustCompile(`Lead@Example.com\s+admin\s+active`).MatchString(out) {
			t.Fatalf("staff list after enrolment: %v\n%s", err, out)
		}
		out, err = staffRun("disable", "--email", "LEAD@example.com")
		if err != nil || !strings.Contains(out, "Lead@Example.com disabled") {
			t.Fatalf("staff disable: %v\n%s", err, out)
		}
		if _, _, err := s.Current(ctx, in.Token); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("the disabled member's session: %v", err)
		}
		if _, err := staffRun("disable", "--email", "lead@example.com"); err == nil {
			t.Fatal("disabled twice")
		}
		if _, err := staffRun("disable", "--email", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "no staff member") {
			t.Fatalf("disable an unknown email: %v", err)
		}
		out, _ = staffRun("list")
		if !regexp.MustCompile(`Lead@Example.com\s+admin\s+disabled`).MatchString(out) {
			t.Fatalf("staff list after disabling:\n%s", out)
		}
		for _, action := range []string{"staff_added", "staff_disabled"} {
			if n := storetest.Count(t, db, "SELECT count(*) FROM audit_events WHERE action = $1 AND actor = 'operator'", action); n != 1 {
				t.Errorf("%d %s events by the operator", n, action)
			}
		}
	})
}

// cliStaff opens the commands' database and staff service, as the server
// would with the same configuration.
func cliStaff(t *testing.T, getenv func(string) string) (*staff.Service, *store.DB) {
	t.Helper()
	cfg, err := config.Load(getenv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.EnsureDevSecrets(); err != nil {
		t.Fatal(err)
	}
	db, err := openDB(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := staffService(cfg, db)
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}
