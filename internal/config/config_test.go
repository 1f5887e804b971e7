package config

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDevDefaults(t *testing.T) {
	c, err := Load(env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Production || c.Addr != "127.0.0.1:8080" || c.InternalAddr != "127.0.0.1:8081" || c.DatabaseURL != "sqlite:data/rebind.db" || !c.DevOutbox() ||
		!c.Demo || c.WithdrawalHold != 24*time.Hour || c.BaseURL.String() != "http://127.0.0.1:8080" {
		t.Fatalf("dev defaults: %+v", c)
	}
	c, _ = Load(env(map[string]string{"REBIND_ADDR": "0.0.0.0:9000"}), map[string]string{"REBIND_ADDR": "127.0.0.1:7000"})
	if c.Addr != "127.0.0.1:7000" {
		t.Fatalf("flag did not override the environment: %s", c.Addr)
	}
	c, err = Load(env(map[string]string{"REBIND_INTERNAL_ADDR": "10.0.0.5:9091"}), nil)
	if err != nil || c.InternalAddr != "10.0.0.5:9091" || c.Addr != "127.0.0.1:8080" {
		t.Fatalf("internal address from the environment: %+v, %v", c, err)
	}
	// Port 0 (a free port each) is not a collision; tests start that way.
	c, err = Load(env(map[string]string{"REBIND_ADDR": "127.0.0.1:0", "REBIND_INTERNAL_ADDR": "127.0.0.1:0"}), nil)
	if err != nil || c.InternalAddr != "127.0.0.1:0" {
		t.Fatalf("both on port 0: %+v, %v", c, err)
	}
}

func TestProductionRefusesDevDefaults(t *testing.T) {
	_, err := Load(env(map[string]string{"REBIND_ENV": "production"}), nil)
	if err == nil {
		t.Fatal("production started with dev defaults")
	}
	for _, name := range []string{"REBIND_SECRET", "REBIND_ADMIN_TOKEN", "REBIND_SMTP_URL", "REBIND_SMS_URL", "REBIND_DATABASE_URL", "REBIND_BASE_URL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the refusal does not name %s: %v", name, err)
		}
	}
	good := productionEnv()
	c, err := Load(env(good), nil)
	if err != nil || !c.Production || c.Demo || c.DevOutbox() {
		t.Fatalf("complete production config: %+v, %v", c, err)
	}
	good["REBIND_DEMO"] = "true"
	if _, err := Load(env(good), nil); err == nil || !strings.Contains(err.Error(), "REBIND_DEMO") {
		t.Fatalf("production accepted demo accounts: %v", err)
	}
	delete(good, "REBIND_DEMO")
	good["REBIND_DATABASE_URL"] = "sqlite:///var/lib/rebind.db"
	if _, err := Load(env(good), nil); err == nil {
		t.Fatal("production accepted SQLite without REBIND_ALLOW_SQLITE")
	}
	good["REBIND_ALLOW_SQLITE"] = "true"
	if _, err := Load(env(good), nil); err != nil {
		t.Fatalf("production with SQLite allowed: %v", err)
	}
}

func TestBadValues(t *testing.T) {
	for name, value := range map[string]string{
		"REBIND_ENV":                 "staging",
		"REBIND_ADDR":                "8080",
		"REBIND_INTERNAL_ADDR":       "localhost",
		"REBIND_BRAND":               "<script>",
		"REBIND_BASE_URL":            "ftp://x",
		"REBIND_ADMIN_TOKEN":         "short",
		"REBIND_SECRET":              base64.StdEncoding.EncodeToString(make([]byte, 16)),
		"REBIND_TRUSTED_PROXIES":     "10.0.0.0/8, nonsense",
		"REBIND_WITHDRAWAL_HOLD":     "1s",
		"REBIND_SESSION_IDLE":        "forever",
		"REBIND_LOG_LEVEL":           "loud",
		"REBIND_DEMO":                "maybe",
		"REBIND_OUTBOX_LEASE":        "1s",
		"REBIND_PASSWORD_QUEUE_WAIT": "1m",
		"REBIND_SHUTDOWN_DELAY":      "6m",
		"REBIND_SECRET_PREVIOUS":     "not base64!",
	} {
		_, err := Load(env(map[string]string{name: value}), nil)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: %v", name, value, err)
		}
	}
	if _, err := Load(env(map[string]string{"REBIND_SHUTDOWN_DELAY": "-1s"}), nil); err == nil || !strings.Contains(err.Error(), "REBIND_SHUTDOWN_DELAY") {
		t.Errorf("a negative shutdown delay: %v", err)
	}
	// The admin API on the public address is what the two listeners are for.
	if _, err := Load(env(map[string]string{"REBIND_ADDR": "0.0.0.0:8080", "REBIND_INTERNAL_ADDR": "0.0.0.0:8080"}), nil); err == nil ||
		!strings.Contains(err.Error(), "REBIND_INTERNAL_ADDR: must differ from REBIND_ADDR") {
		t.Errorf("one address for both listeners: %v", err)
	}
	// Issue 13, item 4: trusting every address lets any client choose the
	// address the limits count.
	for _, all := range []string{"0.0.0.0/0", "::/0", "10.0.0.0/8, 0.0.0.0/0"} {
		if _, err := Load(env(map[string]string{"REBIND_TRUSTED_PROXIES": all}), nil); err == nil ||
			!strings.Contains(err.Error(), "trusts every address") {
			t.Errorf("REBIND_TRUSTED_PROXIES=%s: %v", all, err)
		}
	}
	c, err := Load(env(map[string]string{"REBIND_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7"}), nil)
	if err != nil || len(c.TrustedProxies) != 2 || c.TrustedProxies[1].Bits() != 32 {
		t.Fatalf("proxies: %v, %v", c.TrustedProxies, err)
	}
}

func TestDevSecretsAreKept(t *testing.T) {
	dir := t.TempDir()
	c, _ := Load(env(map[string]string{"REBIND_DATA_DIR": dir}), nil)
	if err := c.EnsureDevSecrets(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v, %v", info, err)
	}
	again, _ := Load(env(map[string]string{"REBIND_DATA_DIR": dir}), nil)
	again.EnsureDevSecrets()
	if again.AdminToken != c.AdminToken || string(again.Secret.Key("x")) != string(c.Secret.Key("x")) || len(c.AdminToken) < 32 {
		t.Fatal("a restart generated new secrets")
	}
}

func TestREADMEListsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Variables {
		if !strings.Contains(string(readme), "| `"+v.Name+"` |") {
			t.Errorf("README.md does not document %s", v.Name)
		}
	}
}

func TestBlobURL(t *testing.T) {
	for dir, want := range map[string]string{"data": "file://./data/documents", "/var/lib/rebind": "file:///var/lib/rebind/documents"} {
		c, err := Load(env(map[string]string{"REBIND_DATA_DIR": dir}), nil)
		if err != nil || c.BlobURL != want {
			t.Fatalf("REBIND_DATA_DIR=%s: REBIND_BLOB_URL defaults to %q (%v); want %q", dir, c.BlobURL, err, want)
		}
	}
	good := productionEnv()
	good["REBIND_BLOB_URL"] = "mem://"
	if _, err := Load(env(good), nil); err == nil || !strings.Contains(err.Error(), "REBIND_BLOB_URL") {
		t.Fatalf("production accepted documents kept in memory: %v", err)
	}
}

// The staff console's address defaults to the internal listener's and
// takes no path: the console is always under /staff.
func TestStaffURL(t *testing.T) {
	c, err := Load(env(map[string]string{"REBIND_INTERNAL_ADDR": "10.0.0.5:9091"}), nil)
	if err != nil || c.StaffURL.String() != "http://10.0.0.5:9091" {
		t.Fatalf("default staff URL: %v, %v", c.StaffURL, err)
	}
	c, err = Load(env(map[string]string{"REBIND_STAFF_URL": "https://review.example.internal/"}), nil)
	if err != nil || c.StaffURL.Host != "review.example.internal" || c.StaffURL.Scheme != "https" {
		t.Fatalf("https staff URL: %v, %v", c.StaffURL, err)
	}
	for _, bad := range []string{"review.example.internal", "ftp://review.example.internal", "https://review.example.internal/console", "https://r.example/?a=1"} {
		if _, err := Load(env(map[string]string{"REBIND_STAFF_URL": bad}), nil); err == nil || !strings.Contains(err.Error(), "REBIND_STAFF_URL") {
			t.Errorf("REBIND_STAFF_URL=%s: %v", bad, err)
		}
	}
}

// The console's review target defaults to the 72 hours users are told, and
// may not outlast the deadline, past which no application is open.
func TestReviewTarget(t *testing.T) {
	c, err := Load(env(nil), nil)
	if err != nil || c.ReviewTarget != 72*time.Hour {
		t.Fatalf("default: %v %v", c.ReviewTarget, err)
	}
	if c, err = Load(env(map[string]string{"REBIND_REVIEW_TARGET": "24h"}), nil); err != nil || c.ReviewTarget != 24*time.Hour {
		t.Fatalf("24h: %v %v", c, err)
	}
	for _, v := range []string{"200h", "10m", "soon"} {
		if _, err := Load(env(map[string]string{"REBIND_REVIEW_TARGET": v}), nil); err == nil || !strings.Contains(err.Error(), "REBIND_REVIEW_TARGET") {
			t.Errorf("%s accepted: %v", v, err)
		}
	}
}

// The slider puzzle can be switched off for load tests of the change flow,
// never in production (SEC-CAP-1): Load refuses it there, and a value other
// than slider or off is refused everywhere.
func TestCaptchaOffRefusedInProduction(t *testing.T) {
	c, err := Load(env(nil), nil)
	if err != nil || c.CaptchaOff {
		t.Fatalf("default: %v %v", c.CaptchaOff, err)
	}
	if c, err = Load(env(map[string]string{"REBIND_CAPTCHA": "off"}), nil); err != nil || !c.CaptchaOff {
		t.Fatalf("off in dev: %v %v", c, err)
	}
	if _, err := Load(env(map[string]string{"REBIND_CAPTCHA": "none"}), nil); err == nil || !strings.Contains(err.Error(), "REBIND_CAPTCHA") {
		t.Fatalf("none accepted: %v", err)
	}
	prod := productionEnv()
	prod["REBIND_CAPTCHA"] = "off"
	if _, err := Load(env(prod), nil); err == nil || !strings.Contains(err.Error(), "REBIND_CAPTCHA") {
		t.Fatalf("production accepted the captcha switched off: %v", err)
	}
	prod["REBIND_CAPTCHA"] = "slider"
	if c, err := Load(env(prod), nil); err != nil || c.CaptchaOff {
		t.Fatalf("production with the slider: %v %v", c, err)
	}
}

// Issue 13, item 4: in production behind https, an empty list of proxies
// is probably a proxy the limits cannot see through; serve warns.
func TestWarnsOfNoProxyBehindHTTPS(t *testing.T) {
	e := productionEnv()
	delete(e, "REBIND_TRUSTED_PROXIES")
	c, err := Load(env(e), nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], "REBIND_TRUSTED_PROXIES is empty") {
		t.Fatalf("no proxies behind https: warnings %q", w)
	}
	e["REBIND_TRUSTED_PROXIES"] = "10.0.0.0/8"
	if c, err = Load(env(e), nil); err != nil || len(c.Warnings()) != 0 {
		t.Fatalf("with proxies: %v, warnings %q", err, c.Warnings())
	}
	if c, err = Load(env(nil), nil); err != nil || len(c.Warnings()) != 0 {
		t.Fatalf("dev: %v, warnings %q", err, c.Warnings())
	}
}

// Issue 13, item 11: the retention periods' defaults and bounds. The
// codes' minimum is longer than the longest window of a limit on codes
// (internal/code's test checks it against code.LongestWindow).
func TestRetention(t *testing.T) {
	c, err := Load(env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Retention{Codes: 72 * time.Hour, Flows: 720 * time.Hour, Outbox: 168 * time.Hour}); c.Retention != want {
		t.Fatalf("default retention %+v, want %+v", c.Retention, want)
	}
	for _, v := range [][2]string{{"REBIND_RETAIN_CODES", "24h"}, {"REBIND_RETAIN_CODES", "2161h"}, {"REBIND_RETAIN_FLOWS", "1h"},
		{"REBIND_RETAIN_OUTBOX", "10m"}, {"REBIND_RETAIN_SESSIONS", "-1s"}} {
		name, value := v[0], v[1]
		if _, err := Load(env(map[string]string{name: value}), nil); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s accepted: %v", name, value, err)
		}
	}
	c, err = Load(env(map[string]string{"REBIND_RETAIN_CODES": "48h", "REBIND_RETAIN_SESSIONS": "24h"}), nil)
	if err != nil || c.Retention.Codes != MinRetainCodes || c.Retention.Sessions != 24*time.Hour {
		t.Fatalf("REBIND_RETAIN_CODES=48h, REBIND_RETAIN_SESSIONS=24h: %+v, %v", c.Retention, err)
	}
}
