package code_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// withSMSRules gives the harness small SMS limits to reach in a test.
func withSMSRules(h *harness, sms code.SMSRules) {
	rules := code.DefaultRules
	rules.PerHour, rules.PerDay = 1000, 1000
	rules.SMS = sms
	h.codes = code.New(h.clk, keys.Set{bytes.Repeat([]byte{2}, 32)}, rules, h.limiter, h.notifier)
}

// sendAs sends a new-number code: accountID names number "to".
func (h *harness) sendAs(ctx context.Context, accountID, to string) error {
	return h.sendFor(ctx, code.ChangeNewSMS, accountID, to)
}

// sendFor sends a code of purpose p for accountID to "to" in a flow of its
// own.
func (h *harness) sendFor(ctx context.Context, p code.Purpose, accountID, to string) error {
	return h.send1(ctx, h.flow(h.t), p, accountID, to) // the flow first: SQLite has one writer
}

// send1 sends a code of purpose p in flow f; the channel follows "to".
func (h *harness) send1(ctx context.Context, f string, p code.Purpose, accountID, to string) error {
	ch := outbox.SMS
	if !strings.HasPrefix(to, "+") {
		ch = outbox.Email
	}
	return h.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := h.codes.Send(ctx, tx, code.Request{FlowID: f, Purpose: p, Channel: ch, To: to, AccountID: accountID})
		return err
	})
}

// stranger returns a new account id, for sends that must not share an
// account's limits.
func (h *harness) stranger() string { return storetest.Account(h.t, h.db) }

// SEC-SMS-3: caps per prefix (all but the last 4 digits) and per calling
// code, and a destination-country allowlist checked before any send.
func TestSMSPrefixCountryAndAllowlist(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.t = t
		withSMSRules(h, code.SMSRules{PerPrefixDay: 3, PerCallingCodeDay: 5, Countries: map[string]bool{"SG": true, "GB": true}})
		ctx := context.Background()
		for i := range 3 {
			if err := h.sendAs(ctx, h.stranger(), fmt.Sprintf("+658123%04d", i)); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		if err := h.sendAs(ctx, h.stranger(), "+6581239999"); !apperr.Is(err, apperr.RateLimited) || apperr.As(err).Fields["limit"] != "sms_prefix_day" {
			t.Fatalf("4th number of one prefix: %v", err)
		}
		for i := range 2 {
			if err := h.sendAs(ctx, h.stranger(), fmt.Sprintf("+659123%04d", i)); err != nil {
				t.Fatalf("other prefix %d: %v", i, err)
			}
		}
		if err := h.sendAs(ctx, h.stranger(), "+6590001234"); !apperr.Is(err, apperr.RateLimited) || apperr.As(err).Fields["limit"] != "sms_calling_code_day" {
			t.Fatalf("6th number of +65: %v", err)
		}
		if err := h.sendAs(ctx, h.stranger(), "+447400123456"); err != nil {
			t.Fatalf("another calling code: %v", err)
		}
		if err := h.sendAs(ctx, h.stranger(), "+4915123456789"); !apperr.Is(err, apperr.InvalidMobile) {
			t.Fatalf("a country outside the allowlist: %v", err)
		}
		if n := h.queued(t); n != 6 {
			t.Fatalf("%d SMS queued, want 6", n)
		}
	})
}

// Per account and per client address, and the global budget, whose
// refusal is reported for an alert (SEC-SMS-5).
func TestSMSAccountIPAndBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.t = t
		withSMSRules(h, code.SMSRules{PerAccountDay: 2, PerIPHour: 4, GlobalDay: 5})
		var alerts []string
		h.codes.OnLimit = func(r code.Refusal) { alerts = append(alerts, r.Limit) }
		a := client.With(context.Background(), client.Info{IP: "198.51.100.1"})
		b := client.With(context.Background(), client.Info{IP: "198.51.100.2"})
		acc := storetest.Account(t, db)
		for i := range 2 {
			if err := h.sendAs(a, acc, fmt.Sprintf("+658123%04d", i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.sendAs(a, acc, "+6581230010"); apperr.As(err).Fields["limit"] != "sms_account_day" {
			t.Fatalf("3rd SMS for one account: %v", err)
		}
		for i := range 2 {
			if err := h.sendAs(a, h.stranger(), fmt.Sprintf("+658123%04d", 20+i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.sendAs(a, h.stranger(), "+6581230030"); apperr.As(err).Fields["limit"] != "sms_ip_hour" {
			t.Fatalf("5th SMS from one address: %v", err)
		}
		if err := h.sendAs(b, h.stranger(), "+6581230040"); err != nil {
			t.Fatalf("5th of the budget: %v", err)
		}
		if err := h.sendAs(b, h.stranger(), "+6581230050"); apperr.As(err).Fields["limit"] != code.BudgetLimit {
			t.Fatalf("over the budget: %v", err)
		}
		if len(alerts) == 0 || alerts[len(alerts)-1] != code.BudgetLimit {
			t.Fatalf("alerts: %v", alerts)
		}
	})
}

// SEC-RACE-6 / SEC-SMS-2: 100 sends at once to one number, from as many
// flows, queue no more messages than its limits: one account naming it
// gets its per-destination 5 an hour; 100 accounts naming it get the
// prefix cap of 10 a day between them. Delivery makes as many provider
// calls.
func TestConcurrentSendsToOneNumber(t *testing.T) {
	for _, c := range []struct {
		name     string
		accounts int
		want     int
	}{{"one account", 1, 5}, {"100 accounts", 100, 10}} {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				h := newHarness(t, db)
				h.t = t
				flows, accounts := make([]string, 100), make([]string, c.accounts)
				for i := range accounts {
					accounts[i] = h.stranger()
				}
				for i := range flows {
					flows[i] = h.flow(t)
				}
				var sent, limited atomic.Int32
				var wg sync.WaitGroup
				gate := make(chan struct{})
				for i, f := range flows {
					ctx := client.With(context.Background(), client.Info{IP: fmt.Sprintf("203.0.113.%d", i)})
					wg.Go(func() {
						<-gate
						err := db.Tx(ctx, func(tx *sql.Tx) error {
							_, err := h.codes.Send(ctx, tx, code.Request{FlowID: f, Purpose: code.ChangeNewSMS, Channel: outbox.SMS,
								To: "+6581234567", AccountID: accounts[i%len(accounts)]})
							return err
						})
						switch {
						case err == nil:
							sent.Add(1)
						case apperr.Is(err, apperr.RateLimited):
							limited.Add(1)
						default:
							t.Error(err)
						}
					})
				}
				close(gate)
				wg.Wait()
				if int(sent.Load()) != c.want || h.queued(t) != c.want {
					t.Fatalf("%d sends accepted, %d queued; want %d", sent.Load(), h.queued(t), c.want)
				}
				var calls atomic.Int32
				h.worker.Senders[outbox.SMS] = countingSender{&calls}
				h.deliver(t)
				if int(calls.Load()) != c.want {
					t.Fatalf("%d provider calls, want %d", calls.Load(), c.want)
				}
			})
		})
	}
}

func (h *harness) queued(t testing.TB) int {
	t.Helper()
	var n int
	if err := h.db.QueryRowContext(context.Background(), "SELECT count(*) FROM outbox WHERE channel = 'sms'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type countingSender struct{ n *atomic.Int32 }

func (c countingSender) Send(context.Context, outbox.Message) (string, error) {
	c.n.Add(1)
	return "ok", nil
}

// Each SMS limit holds under 30 sends at once (SEC-RACE-6): exactly the
// limit passes.
func TestSMSLimitsUnderConcurrency(t *testing.T) {
	cases := []struct {
		name  string
		rules code.SMSRules
		limit int
		// number and ip give the i-th request's destination and address.
		number  func(i int) string
		ip      func(i int) string
		account bool
	}{
		{"prefix", code.SMSRules{PerPrefixDay: 7}, 7, func(i int) string { return fmt.Sprintf("+658123%04d", i) }, func(i int) string { return fmt.Sprint("198.51.100.", i) }, false},
		{"calling code", code.SMSRules{PerCallingCodeDay: 9}, 9, func(i int) string { return fmt.Sprintf("+6581%02d%04d", 20+i, i) }, func(i int) string { return fmt.Sprint("198.51.100.", i) }, false},
		{"address", code.SMSRules{PerIPHour: 6}, 6, func(i int) string { return fmt.Sprintf("+6581%02d%04d", 20+i, i) }, func(int) string { return "198.51.100.1" }, false},
		{"account", code.SMSRules{PerAccountDay: 4}, 4, func(i int) string { return fmt.Sprintf("+6581%02d%04d", 20+i, i) }, func(i int) string { return fmt.Sprint("198.51.100.", i) }, true},
		{"budget", code.SMSRules{GlobalDay: 8}, 8, func(i int) string { return fmt.Sprintf("+6581%02d%04d", 20+i, i) }, func(i int) string { return fmt.Sprint("198.51.100.", i) }, false},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h := newHarness(t, db)
				h.t = t
				withSMSRules(h, c.rules)
				// Every request comes from its own account, but in the
				// per-account case.
				flows, accounts := make([]string, 30), make([]string, 30)
				shared := h.stranger()
				for i := range flows {
					flows[i], accounts[i] = h.flow(t), shared
					if !c.account {
						accounts[i] = h.stranger()
					}
				}
				var ok atomic.Int32
				var wg sync.WaitGroup
				gate := make(chan struct{})
				for i, f := range flows {
					ctx := client.With(context.Background(), client.Info{IP: c.ip(i)})
					wg.Go(func() {
						<-gate
						err := db.Tx(ctx, func(tx *sql.Tx) error {
							_, err := h.codes.Send(ctx, tx, code.Request{FlowID: f, Purpose: code.ChangeNewSMS, Channel: outbox.SMS, To: c.number(i), AccountID: accounts[i]})
							return err
						})
						if err == nil {
							ok.Add(1)
						} else if !apperr.Is(err, apperr.RateLimited) {
							t.Error(err)
						}
					})
				}
				close(gate)
				wg.Wait()
				if int(ok.Load()) != c.limit {
					t.Fatalf("%d of 30 passed, want %d", ok.Load(), c.limit)
				}
			})
		}
	})
}
