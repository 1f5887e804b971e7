package app

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A database outage logs one ERROR however many runs fail, backs off
// (30 s doubling, at most 30 minutes), and logs its end once.
func TestRetentionOutageLogsOnceAndBacksOff(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var o outage
	down := errors.New("connection refused")
	var waits []time.Duration
	for range 9 {
		waits = append(waits, o.next(log, down, retainEvery))
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits after failures = %v, want %v", waits, want)
		}
	}
	if back := o.next(log, nil, retainEvery); back != retainEvery {
		t.Fatalf("after recovery the next run waits %v, want %v", back, retainEvery)
	}
	o.next(log, nil, retainEvery)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "level=ERROR") || !strings.Contains(lines[0], "connection refused") ||
		!strings.Contains(lines[1], "level=INFO") || !strings.Contains(lines[1], "failed_runs=9") {
		t.Fatalf("log:\n%s\nwant one ERROR for the outage and one INFO for its end", buf.String())
	}
}
