package outbox_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// TestConfigFaultLoggedOncePerEpisode: a provider refusing our certificate
// or credentials fails every message alike. Each attempt is counted as
// "config_fault", the messages stay pending however many attempts they
// took (a fixed configuration delivers them), and the fault is one ERROR
// naming the setting to fix, not one line a message; the fix is one INFO
// line, and a fault after it is a new episode with its own ERROR.
func TestConfigFaultLoggedOncePerEpisode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		q, w, rec, clk := setup(t, db)
		logs := &syncBuffer{}
		w.Log = slog.New(slog.NewTextHandler(logs, nil))
		w.MaxAttempts, w.BreakAfter = 1, 100 // past MaxAttempts at once; the breaker stays out of it
		var mu sync.Mutex
		observed := map[string]int{}
		w.Observe = func(_ outbox.Channel, outcome string) {
			mu.Lock()
			defer mu.Unlock()
			observed[outcome]++
		}
		fault := &outbox.ConfigFault{Problem: "SMTP server certificate is not trusted",
			Fix: "set REBIND_SMTP_CA_FILE to the PEM bundle of the CA that issued it", Err: errors.New("x509: certificate signed by unknown authority")}
		rec.setFail(fault)
		ctx := context.Background()
		for range 4 {
			enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: "a@example.com", Subject: "s", Body: "b"}, time.Time{})
		}
		for round := range 3 {
			if n, err := w.RunOnce(ctx); err != nil || n != 4 {
				t.Fatalf("round %d: claimed %d, %v; want all 4 again", round, n, err)
			}
			clk.Advance(time.Hour)
		}
		if n := countState(t, db, "pending"); n != 4 {
			t.Errorf("%d messages pending after 3 attempts each past MaxAttempts, want all 4", n)
		}
		l := logs.String()
		if strings.Count(l, "level=ERROR") != 1 || !strings.Contains(l, "SMTP server certificate is not trusted: set REBIND_SMTP_CA_FILE") {
			t.Errorf("want one ERROR naming the fault and the setting for 12 failed attempts:\n%s", l)
		}
		if strings.Contains(l, "level=WARN") {
			t.Errorf("a configuration fault logged a line a message:\n%s", l)
		}
		rec.setFail(nil)
		if n, err := w.RunOnce(ctx); err != nil || n != 4 {
			t.Fatalf("after the fix: claimed %d, %v", n, err)
		}
		if n := countState(t, db, "sent"); n != 4 {
			t.Errorf("%d messages sent after the fix, want 4", n)
		}
		if n := strings.Count(logs.String(), "configuration fault fixed"); n != 1 {
			t.Errorf("%d lines saying the fault is fixed, want 1:\n%s", n, logs.String())
		}
		rec.setFail(fault)
		enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: "a@example.com", Subject: "s", Body: "b"}, time.Time{})
		if _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(logs.String(), "level=ERROR"); n != 2 {
			t.Errorf("%d ERROR lines; the fault coming back is a new episode and wants its own:\n%s", n, logs.String())
		}
		mu.Lock()
		defer mu.Unlock()
		if observed["config_fault"] != 13 || observed["sent"] != 4 || observed["retry"] != 0 || observed["failed"] != 0 {
			t.Errorf("outcomes %v; want 13 config_fault and 4 sent", observed)
		}
	})
}
