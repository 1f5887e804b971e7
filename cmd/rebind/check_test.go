package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/certtest"
	"github.com/rebindhq/rebind/internal/config"
	"github.com/rebindhq/rebind/internal/mail/mailtest"
	"github.com/rebindhq/rebind/internal/sms/smstest"
)

// TestCheckCommand: rebind check prints a line per check and fails when
// one fails, naming the fault and the setting; with the private CA's
// bundle configured for both providers everything passes and nothing is
// sent. Without provider URLs their checks are skipped, saying why.
func TestCheckCommand(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, _, databaseURL string) {
		ca := certtest.NewCA(t)
		relay := mailtest.NewTLSServerWith(t, ca.ServerConfig(t, certtest.Leaf{}, false))
		provider := smstest.NewTLSServer(t, ca.ServerConfig(t, certtest.Leaf{}, false))
		if err := run(context.Background(), []string{"migrate"}, env(t, map[string]string{"REBIND_DATABASE_URL": databaseURL}), io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		outside := map[string]string{"REBIND_DATABASE_URL": databaseURL, "REBIND_SMTP_URL": relay.URL(), "REBIND_SMS_URL": provider.URL()}
		withCA := map[string]string{"REBIND_SMTP_CA_FILE": ca.CAFile(t), "REBIND_SMS_CA_FILE": ca.CAFile(t)}
		for k, v := range outside {
			withCA[k] = v
		}
		tests := []struct {
			name  string
			env   map[string]string
			fails bool
			lines []string
		}{
			{"certificates not trusted", outside, true, []string{
				"configuration: ok", "database: ok, schema current",
				"smtp: FAILED: SMTP server certificate is not trusted: set REBIND_SMTP_CA_FILE",
				"sms: FAILED: SMS provider certificate is not trusted: set REBIND_SMS_CA_FILE"}},
			{"private CA configured", withCA, false, []string{"database: ok, schema current", "smtp: ok", "sms: ok"}},
			{"dev outbox", map[string]string{"REBIND_DATABASE_URL": databaseURL}, false, []string{
				"smtp: skipped: REBIND_SMTP_URL is unset: emails go to the dev outbox",
				"sms: skipped: REBIND_SMS_URL is unset: SMS go to the dev outbox"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var out strings.Builder
				err := run(context.Background(), []string{"check"}, env(t, tt.env), &out, io.Discard)
				if (err != nil) != tt.fails {
					t.Errorf("err = %v, want failure %v\n%s", err, tt.fails, out.String())
				}
				for _, want := range tt.lines {
					if !hasLineStarting(out.String(), want) {
						t.Errorf("no line starting %q in:\n%s", want, out.String())
					}
				}
			})
		}
		if n := len(relay.Messages()) + len(provider.Messages()); n != 0 {
			t.Errorf("the checks sent %d messages", n)
		}
		if len(relay.HELOs()) == 0 {
			t.Error("the SMTP check never greeted the relay")
		}
	})
}

// TestCheckCommandUnmigrated: a database behind this build's schema fails
// the check in production, where serve refuses it too.
func TestCheckCommandUnmigrated(t *testing.T) {
	ok, err := checkDatabase(context.Background(), &config.Config{Production: true, DatabaseURL: "sqlite://" + t.TempDir() + "/fresh.db"})
	if err == nil || !strings.Contains(err.Error(), "rebind migrate") {
		t.Fatalf("fresh database in production: %q, %v; want pending migrations and rebind migrate named", ok, err)
	}
	ok, err = checkDatabase(context.Background(), &config.Config{DatabaseURL: "sqlite://" + t.TempDir() + "/fresh.db"})
	if err != nil || !strings.Contains(ok, "serve applies them in dev") {
		t.Fatalf("fresh database in dev: %q, %v", ok, err)
	}
}

// TestCheckAtStart: serve's start check logs one warning per failing
// provider and nothing for a skipped one.
func TestCheckAtStart(t *testing.T) {
	ca := certtest.NewCA(t)
	relay := mailtest.NewTLSServerWith(t, ca.ServerConfig(t, certtest.Leaf{}, false))
	cfg, err := config.Load(env(t, map[string]string{"REBIND_SMTP_URL": relay.URL()}), nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	checkAtStart(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	l := logs.String()
	if strings.Count(l, "level=WARN") != 1 || !strings.Contains(l, "SMTP server certificate is not trusted: set REBIND_SMTP_CA_FILE") {
		t.Errorf("want one warning naming the SMTP fault and REBIND_SMTP_CA_FILE:\n%s", l)
	}
}

func hasLineStarting(out, prefix string) bool {
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}
