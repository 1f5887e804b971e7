package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/keys"
)

// Each secret may come from a file, as systemd's LoadCredential= and
// container secrets provide them (ASVS 13.3.1: secrets kept out of the
// code and the environment where the platform offers better).
func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	for name := range FromFile {
		t.Run(name, func(t *testing.T) {
			want := productionEnv()[name]
			if name == "REBIND_SECRET_PREVIOUS" {
				want = randomBase64(32)
			}
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(want+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			e := productionEnv()
			delete(e, name)
			e[name+"_FILE"] = path
			c, err := Load(env(e), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{"REBIND_ADMIN_TOKEN": c.AdminToken, "REBIND_SMTP_URL": c.SMTPURL, "REBIND_SMS_URL": c.SMSURL}
			switch name {
			case "REBIND_SECRET":
				r, _ := keys.Parse(want)
				if !bytes.Equal(c.Secret.Key(keys.CSRF), r.Key(keys.CSRF)) {
					t.Error("the secret read from the file is not the current one")
				}
			case "REBIND_SECRET_PREVIOUS":
				r, _ := keys.Parse(want)
				if ids := c.Secret.IDs(); len(ids) != 2 || ids[1] != r.ID() {
					t.Errorf("accepted secrets %v, want the file's %s second", ids, r.ID())
				}
			default:
				if got[name] != want {
					t.Errorf("%s = %q, want the file's %q", name, got[name], want)
				}
			}

			e[name] = want
			if _, err := Load(env(e), nil); err == nil || !strings.Contains(err.Error(), name+"_FILE") {
				t.Errorf("both %s and its _FILE set: %v", name, err)
			}
			delete(e, name)
			e[name+"_FILE"] = filepath.Join(dir, "missing")
			if _, err := Load(env(e), nil); err == nil || !strings.Contains(err.Error(), name+"_FILE") {
				t.Errorf("a missing file: %v", err)
			}
			empty := filepath.Join(dir, "empty")
			os.WriteFile(empty, []byte("\n"), 0o600)
			e[name+"_FILE"] = empty
			if _, err := Load(env(e), nil); err == nil || !strings.Contains(err.Error(), "empty") {
				t.Errorf("an empty file: %v", err)
			}
		})
	}
}

func TestPreviousSecrets(t *testing.T) {
	cur, prev1, prev2 := randomBase64(32), randomBase64(32), randomBase64(32)
	e := productionEnv()
	e["REBIND_SECRET"], e["REBIND_SECRET_PREVIOUS"] = cur, prev1+", "+prev2
	c, err := Load(env(e), nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range []string{cur, prev1, prev2} {
		r, _ := keys.Parse(s)
		want = append(want, r.ID())
	}
	if got := c.Secret.IDs(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("accepted secrets %v, want %v (current first)", got, want)
	}
	for what, prev := range map[string]string{
		"the current secret again": cur,
		"three previous secrets":   prev1 + "," + prev2 + "," + randomBase64(32),
		"a guessable one":          strings.Repeat("A", 44),
		"one too short":            randomBase64(16),
	} {
		e["REBIND_SECRET_PREVIOUS"] = prev
		if _, err := Load(env(e), nil); err == nil || !strings.Contains(err.Error(), "REBIND_SECRET_PREVIOUS") {
			t.Errorf("%s: %v", what, err)
		}
	}
	if _, err := Load(env(map[string]string{"REBIND_SECRET_PREVIOUS": prev1}), nil); err == nil {
		t.Error("a previous secret without a current one was accepted")
	}
}
