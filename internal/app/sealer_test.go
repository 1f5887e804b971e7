package app_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

// Issue 12: a running server seals the events its requests record, with
// nobody asking, and /metrics shows the backlog. The test waits for a
// state (nothing unsealed), not for a time; the deadline only ends a test
// whose server never seals.
func TestServerSealsAuditEvents(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "sealed@example.com", pw, "", false)
		s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "sealed@example.com", "password": "not-" + pw})
		ctx := context.Background()
		deadline := time.Now().Add(20 * time.Second)
		for {
			b, err := s.Audit.Pending(ctx, s.DB)
			if err != nil {
				t.Fatal(err)
			}
			if b.Events == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d audit events still unsealed", b.Events)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if n, err := s.Audit.Verify(ctx, s.DB); err != nil || n < 2 {
			t.Fatalf("Verify = %d, %v; want the account's creation and the failed sign-in", n, err)
		}
		resp, err := http.Get(s.InternalURL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{"rebind_audit_unsealed_events 0", "rebind_audit_oldest_unsealed_seconds 0"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
	})
}
