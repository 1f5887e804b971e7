package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a buffer the server writes while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// jsonLines parses every line of out as a JSON object.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("a log line is not JSON: %q", sc.Text())
		}
		lines = append(lines, m)
	}
	return lines
}

// Issue 13, item 7: serve writes only JSON to stderr, from its first line:
// the start line carries the version, the instance, every setting in
// effect with the secrets redacted (ASVS 16.2.5: no secrets in logs) and
// the server secret by its ids; every line names the instance.
func TestServeStartLine(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	secret, ring := randomSecret(t)
	previous, old := randomSecret(t)
	const token = "admin-token-Xq7vR2mK9pL4sT8wZ1cF6hJ3nB5gD0eY"
	extra := map[string]string{"REBIND_DEMO": "false", "REBIND_SECRET": secret, "REBIND_SECRET_PREVIOUS": previous,
		"REBIND_ADMIN_TOKEN": token, "REBIND_SMS_URL": "https://AC0123:sms-token-93kd@sms.example.invalid",
		"REBIND_SMTP_URL": "smtp://mailer:smtp-pass-77xq@mail.example.invalid:587"}
	var stderr lockedBuffer
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, env(t, extra), pw, &stderr)
		pw.Close()
	}()
	listening := regexp.MustCompile(`listening on http://`)
	sc := bufio.NewScanner(pr)
	for sc.Scan() && !listening.MatchString(sc.Text()) {
	}
	go io.Copy(io.Discard, pr)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	out := stderr.String()
	for _, s := range []string{secret, previous, token, "sms-token-93kd", "smtp-pass-77xq"} {
		if strings.Contains(out, s) {
			t.Fatalf("the log shows a secret (%s…):\n%s", s[:6], out)
		}
	}
	lines := jsonLines(t, out)
	if len(lines) == 0 || lines[0]["msg"] != "starting" {
		t.Fatalf("the first line is not the start line:\n%s", out)
	}
	start := lines[0]
	cfg, _ := start["config"].(map[string]any)
	ids, _ := start["secret_ids"].([]any)
	if !strings.HasPrefix(start["version"].(string), "rebind ") || cfg == nil || cfg["REBIND_SECRET"] != "(set)" ||
		cfg["REBIND_SMS_URL"] != "https://AC0123:xxxxx@sms.example.invalid" || cfg["REBIND_DEMO"] != "false" ||
		len(ids) != 2 || ids[0] != ring.ID() || ids[1] != old.ID() {
		t.Fatalf("start line: %v", start)
	}
	for _, l := range lines {
		if inst, _ := l["instance"].(string); !regexp.MustCompile(`^.+/\d+$`).MatchString(inst) {
			t.Fatalf("a line without the instance: %v", l)
		}
	}
}

// A configuration that does not start is told as JSON too, once, and
// the error reaches main as already reported.
func TestServeFatalErrorIsJSON(t *testing.T) {
	var stderr lockedBuffer
	err := run(context.Background(), nil, env(t, map[string]string{"REBIND_ENV": "production"}), io.Discard, &stderr)
	if rep := (*reportedError)(nil); !errors.As(err, &rep) || !strings.Contains(err.Error(), "REBIND_SECRET") {
		t.Fatalf("serve with a bad configuration: %v", err)
	}
	lines := jsonLines(t, stderr.String())
	if len(lines) != 1 || lines[0]["level"] != "ERROR" || !strings.Contains(lines[0]["err"].(string), "REBIND_SECRET: required in production") {
		t.Fatalf("stderr:\n%s", stderr.String())
	}
	// Help is not an error, and not JSON.
	var out strings.Builder
	if err := run(context.Background(), []string{"serve", "-h"}, env(t, nil), &out, &stderr); err != nil || !strings.Contains(out.String(), "-database-url") {
		t.Fatalf("serve -h: %v", err)
	}
}
