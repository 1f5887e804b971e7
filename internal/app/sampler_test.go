package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app"
	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/store"
)

// A running server's background sampler brings a new backlog to /metrics
// without a scrape reading the database.
func TestServerSamplesTheDatabaseGauges(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		opts.Prepare = func(a *app.App) { a.GaugesEvery = 20 * time.Millisecond }
		s := apptest.Start(t, opts)
		_, err := s.DB.ExecContext(context.Background(), `INSERT INTO outbox (id, channel, recipient, template, sealed, state, next_attempt_at, created_at)
			VALUES ('waiting', 'email', 'w@example.com', 'code', '', 'sending', $1, $1)`, store.Millis(time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		apptest.Eventually(t, 10*time.Second, "the sampler to see the message being sent", func() bool {
			return s.Metric(t, "rebind_outbox_messages", map[string]string{"state": "sending"}) == 1
		})
	})
}
