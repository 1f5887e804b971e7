package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app"
	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// rows writes the rows the retention jobs look at, dated against now.
type rows struct {
	t   *testing.T
	db  *store.DB
	now time.Time
}

func (r rows) exec(query string, args ...any) {
	r.t.Helper()
	if _, err := r.db.ExecContext(context.Background(), query, args...); err != nil {
		r.t.Fatalf("%s: %v", query, err)
	}
}

func (r rows) at(ago time.Duration) int64 { return store.Millis(r.now.Add(-ago)) }

// flow adds a reset flow that expired ago (in the future when negative).
func (r rows) flow(id string, ago time.Duration) {
	r.exec(`INSERT INTO flows (id, kind, state, created_at, updated_at, expires_at, ip) VALUES ($1, 'mobile_reset', 'started', $2, $2, $2, '192.0.2.1')`,
		id, r.at(ago))
}

// code adds a code of flowID that expired ago.
func (r rows) code(flowID string, ago time.Duration) {
	r.exec(`INSERT INTO codes (flow_id, purpose, channel, destination, hash, created_at, sent_at, expires_at)
		VALUES ($1, 'reset_email', 'email', 'kept@example.com', 'h', $2, $2, $2)`, flowID, r.at(ago))
}

func (r rows) outbox(id, state string, ago time.Duration) {
	r.exec(`INSERT INTO outbox (id, channel, recipient, template, sealed, state, next_attempt_at, created_at)
		VALUES ($1, 'sms', '+6591234567', 'code', '', $2, $3, $3)`, id, state, r.at(ago))
}

// session adds a session of account last used ago, ending at its absolute
// end in an hour.
func (r rows) session(id, account string, ago time.Duration) {
	r.exec(`INSERT INTO sessions (token_hash, id, account_id, created_at, last_seen_at, expires_at, ip, user_agent)
		VALUES ($1, $1, $2, $3, $3, $4, '192.0.2.1', 'test')`, id, account, r.at(ago), r.at(-time.Hour))
}

func (r rows) exists(table, column, id string) bool {
	r.t.Helper()
	return storetest.Count(r.t, r.db, "SELECT count(*) FROM "+table+" WHERE "+column+" = $1", id) == 1
}

// retentionServer starts a server whose retention jobs run only when the
// test calls Purge, a few rows to a batch so that a job takes several.
func retentionServer(t *testing.T, opts apptest.Options, clk *clock.Fake) *apptest.Server {
	opts.Clock = clk
	opts.Prepare = func(a *app.App) { a.RetainEvery, a.RetainBatch = 0, 3 }
	return apptest.Start(t, opts)
}

// Issue 13, item 11: with the default periods (codes 72h, flows 720h,
// outbox 168h, sessions 0), rows past their period go and every other row
// stays: younger ones, waiting messages, live sessions, a code whose flow
// still lives (its row counts the slot's wrong entries and sends, whatever
// its age), a flow that still has codes, and a flow a document
// application refers to.
func TestRetentionPurgesOnlyRowsPastTheirPeriod(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		s := retentionServer(t, opts, clk)
		r := rows{t, s.DB, clk.Now()}
		acc := s.CreateAccount(t, "kept@example.com", pw, "", false)
		day := 24 * time.Hour
		r.flow("old", 31*day)
		r.code("old", 31*day)
		r.exec(`INSERT INTO quizzes (id, flow_id, account_id, chance, questions, sealed_key, created_at, expires_at)
			VALUES ('quiz', 'old', $1, 1, '[]', '', $2, $2)`, acc, r.at(31*day))
		r.flow("recent", 4*day) // its code goes, the flow stays 30 days
		r.code("recent", 4*day)
		r.flow("young", 2*day) // within every period
		r.code("young", 2*day)
		r.flow("live", -3*day) // a reset under review lives until its deadline
		r.code("live", 31*day)
		r.flow("reviewed", 31*day)
		r.exec(`INSERT INTO applications (id, flow_id, account_id, class, state, statement_phrase, reference_code, application_date,
				status_digest, submitted_at, deadline, ended_at, transactions, findings)
			VALUES ('app', 'reviewed', $1, 'kyc', 'approved', 'p', 'r', '2026-01-01', 'd', $2, $2, $2, '[]', '{}')`, acc, r.at(31*day))
		for i := range 8 { // more than a batch
			r.outbox(fmt.Sprintf("sent%d", i), "sent", 8*day)
		}
		r.outbox("failed", "failed", 8*day)
		r.outbox("expired", "expired", 8*day)
		r.outbox("sent-young", "sent", 6*day)
		// Waiting for a retry a year away from the moment it is written, so
		// the running worker never claims it (written due and then moved,
		// it was sometimes claimed in between).
		r.exec(`INSERT INTO outbox (id, channel, recipient, template, sealed, state, next_attempt_at, created_at)
			VALUES ('pending', 'sms', '+6591234567', 'code', '', 'pending', $1, $2)`, r.at(-365*day), r.at(30*day))
		r.outbox("sending", "sending", 30*day)
		r.session("idle", acc, time.Hour)
		r.session("in-use", acc, time.Minute)

		// The backlog gauges read only the waiting messages.
		for state, want := range map[string]float64{"pending": 1, "sending": 1, "sent": 0} {
			if got := s.Metric(t, "rebind_outbox_messages", map[string]string{"state": state}); got != want {
				t.Errorf("rebind_outbox_messages{state=%q} = %v, want %v", state, got, want)
			}
		}
		if age := s.Metric(t, "rebind_outbox_oldest_pending_seconds", map[string]string{"channel": "sms"}); age != (30 * day).Seconds() {
			t.Errorf("rebind_outbox_oldest_pending_seconds{channel=\"sms\"} = %v, want 30 days", age)
		}

		purged, err := s.Purge(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"codes": 2, "flows": 1, "outbox": 10, "sessions": 1}
		for table, n := range want {
			if purged[table] != n {
				t.Errorf("purged %d rows of %s, want %d", purged[table], table, n)
			}
			if got := s.Metric(t, "rebind_retention_purged_rows_total", map[string]string{"table": table}); got != float64(n) {
				t.Errorf("rebind_retention_purged_rows_total{table=%q} = %v, want %d", table, got, n)
			}
		}
		for _, gone := range [][3]string{{"flows", "id", "old"}, {"codes", "flow_id", "old"}, {"quizzes", "id", "quiz"},
			{"codes", "flow_id", "recent"}, {"outbox", "id", "sent0"}, {"outbox", "id", "failed"}, {"outbox", "id", "expired"},
			{"sessions", "id", "idle"}} {
			if r.exists(gone[0], gone[1], gone[2]) {
				t.Errorf("%s %s is still there", gone[0], gone[2])
			}
		}
		for _, kept := range [][3]string{{"flows", "id", "recent"}, {"flows", "id", "young"}, {"codes", "flow_id", "young"},
			{"flows", "id", "live"}, {"codes", "flow_id", "live"}, {"flows", "id", "reviewed"}, {"applications", "id", "app"},
			{"outbox", "id", "sent-young"}, {"outbox", "id", "pending"}, {"outbox", "id", "sending"}, {"sessions", "id", "in-use"}} {
			if !r.exists(kept[0], kept[1], kept[2]) {
				t.Errorf("%s %s was purged", kept[0], kept[2])
			}
		}
		// 27 days on, the codes of young and live are past their period
		// (live's flow expired 24 days ago), recent is past the flows' and
		// goes; young and live follow 30 days later.
		clk.Advance(27 * day)
		if purged, err = s.Purge(context.Background()); err != nil || purged["codes"] != 2 || purged["flows"] != 1 ||
			r.exists("flows", "id", "recent") {
			t.Fatalf("27 days later purged %v (%v), want 2 codes and the flow recent", purged, err)
		}
		clk.Advance(30 * day)
		if purged, err = s.Purge(context.Background()); err != nil || purged["codes"] != 0 || purged["flows"] != 2 {
			t.Fatalf("57 days later purged %v (%v), want the flows young and live", purged, err)
		}
		if !r.exists("flows", "id", "reviewed") || !r.exists("outbox", "id", "pending") {
			t.Fatal("the reviewed flow or the pending message was purged")
		}
	})
}

// Two instances purging at once delete every row once, without an error:
// the rows each instance reports, and counts, add up to the rows there
// were.
func TestRetentionTwoInstancesAtOnce(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		a, b := retentionServer(t, opts, clk), retentionServer(t, opts, clk)
		r := rows{t, a.DB, clk.Now()}
		acc := a.CreateAccount(t, "two@example.com", pw, "", false)
		const n = 60
		for i := range n {
			id := fmt.Sprintf("f%d", i)
			r.flow(id, 40*24*time.Hour)
			r.code(id, 40*24*time.Hour)
			r.outbox(id, "sent", 40*24*time.Hour)
			r.session(id, acc, 40*24*time.Hour)
		}
		var wg sync.WaitGroup
		results := make([]map[string]int64, 2)
		errs := make([]error, 2)
		for i, s := range []*apptest.Server{a, b} {
			wg.Go(func() { results[i], errs[i] = s.Purge(context.Background()) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("Purge errors: %v, %v", errs[0], errs[1])
		}
		// A flow may wait for the codes the other instance is deleting:
		// one more run takes what is left.
		more, err := a.Purge(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"codes", "flows", "outbox", "sessions"} {
			total := results[0][table] + results[1][table] + more[table]
			counted := a.Metric(t, "rebind_retention_purged_rows_total", map[string]string{"table": table}) +
				b.Metric(t, "rebind_retention_purged_rows_total", map[string]string{"table": table})
			if total != n || counted != n {
				t.Errorf("%s: purged %d+%d+%d rows, counted %v; want %d", table, results[0][table], results[1][table], more[table], counted, n)
			}
			if left := storetest.Count(t, a.DB, "SELECT count(*) FROM "+table); left != 0 {
				t.Errorf("%s: %d rows left", table, left)
			}
		}
	})
}
