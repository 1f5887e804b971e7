package app

import (
	"context"
	"database/sql"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebindhq/rebind/internal/adminapi"
	"github.com/rebindhq/rebind/internal/change"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/credential"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/pwreset"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/signin"
	"github.com/rebindhq/rebind/internal/stoplink"
	"github.com/rebindhq/rebind/internal/store"
)

// eventMetrics count what happened, each where it happens once: codes
// sent and flow events after their transaction commits, refusals when
// they are made. The series alerts watch are created at zero, so a rate
// or an absence can be alerted on before the first event.
type eventMetrics struct {
	codesSent      *prometheus.CounterVec
	flowEvents     *prometheus.CounterVec
	signInFailures *prometheus.CounterVec
	limitRefusals  *prometheus.CounterVec
	freezes        prometheus.Counter
}

// machines are the flows whose events are counted.
var machines = []*flow.Machine{signin.Machine, reset.Machine, change.ChangeMachine, change.BindMachine, pwreset.Machine}

// purposes are the codes' purposes; those ending in _sms go by SMS.
var purposes = []code.Purpose{code.Login, code.ResetEmail, code.PasswordReset, code.ChangeEmail,
	code.ChangeOldSMS, code.ChangeNewSMS, code.BindEmail}

// watchedLimits are the limits whose refusals alerts watch.
var watchedLimits = []string{credential.PerIP.Name, credential.PerEmail.Name, credential.PerDevice.Name,
	adminapi.AuthFailures.Name, code.BudgetLimit, code.NewNumberBudgetLimit, code.CallingCodeLimit,
	code.NewNumberCallingCodeLimit, code.PrefixLimit, code.AddressLimit, code.AccountLimit,
	code.OwnerHour, code.OwnerDay, code.AnonymousHour, code.AnonymousDay, code.ChooserHour, code.ChooserDay}

// budgetLimits are the SMS budgets, refused per requester class in
// rebind_code_sends_refused_total.
var budgetLimits = []string{code.BudgetLimit, code.NewNumberBudgetLimit, code.CallingCodeLimit,
	code.NewNumberCallingCodeLimit, code.PrefixLimit}

func newEventMetrics(reg *prometheus.Registry, limited *prometheus.CounterVec, hasher *password.Hasher) *eventMetrics {
	m := &eventMetrics{
		codesSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebind_codes_sent_total", Help: "One-time codes sent (committed to the outbox), by channel and purpose; decoys are not counted.",
		}, []string{"channel", "purpose"}),
		flowEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebind_flow_events_total", Help: "Flow steps that committed, by flow kind and event (started, cancelled, or the machine's event: quiz_passed, approve, confirm_new, …).",
		}, []string{"kind", "event"}),
		signInFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebind_signin_failures_total", Help: "Refused password checks (sign-in and the reset's start), by reason: wrong_password, unknown_email, frozen, limited, busy.",
		}, []string{"reason"}),
		limitRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebind_limit_refusals_total", Help: "Requests refused by a counted limit, by the limit's name.",
		}, []string{"limit"}),
		freezes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rebind_account_freezes_total", Help: "Accounts frozen by their owner through \"This wasn't me\" (committed).",
		}),
	}
	reg.MustRegister(m.codesSent, m.flowEvents, m.signInFailures, m.limitRefusals, m.freezes,
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "rebind_password_checks_shed_total", Help: "Password checks refused at once (503) because every argon2id worker was busy and the queue full or too slow.",
		}, func() float64 { return float64(hasher.Refused()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "rebind_password_checks_waiting", Help: "Password checks waiting for an argon2id worker now.",
		}, func() float64 { return float64(hasher.Waiting()) }))
	for _, mc := range machines {
		m.flowEvents.WithLabelValues(string(mc.Kind), "started")
		m.flowEvents.WithLabelValues(string(mc.Kind), "cancelled")
		for e := range mc.Transitions {
			m.flowEvents.WithLabelValues(string(mc.Kind), string(e))
		}
	}
	for _, p := range purposes {
		ch := outbox.Email
		if strings.HasSuffix(string(p), "_sms") {
			ch = outbox.SMS
		}
		m.codesSent.WithLabelValues(string(ch), string(p))
	}
	for _, r := range credential.FailReasons {
		m.signInFailures.WithLabelValues(r)
	}
	for _, l := range watchedLimits {
		m.limitRefusals.WithLabelValues(l)
	}
	for _, l := range budgetLimits {
		for _, by := range []code.Requester{code.Owner, code.Anonymous, code.Chooser} {
			limited.WithLabelValues(l, string(by))
		}
	}
	return m
}

// observeEvents creates the event counters and connects the services'
// hooks to them.
func (a *App) observeEvents() {
	m := newEventMetrics(a.metrics.registry, a.metrics.limited, a.Hasher)
	a.metrics.events = m
	a.Codes.OnSent = func(ch outbox.Channel, p code.Purpose) { m.codesSent.WithLabelValues(string(ch), string(p)).Inc() }
	a.Flows.Observe = func(k flow.Kind, e string) { m.flowEvents.WithLabelValues(string(k), e).Inc() }
	a.Check.OnFail = func(reason string) { m.signInFailures.WithLabelValues(reason).Inc() }
	a.Limiter.OnRefuse = func(limit string) { m.limitRefusals.WithLabelValues(limit).Inc() }
}

// counted wraps the freeze a "This wasn't me" link runs, to count it once
// its transaction commits.
func (a *App) counted(freeze func(ctx context.Context, tx *sql.Tx, l stoplink.Link) error) func(ctx context.Context, tx *sql.Tx, l stoplink.Link) error {
	return func(ctx context.Context, tx *sql.Tx, l stoplink.Link) error {
		if err := freeze(ctx, tx, l); err != nil {
			return err
		}
		store.AfterCommit(tx, a.metrics.events.freezes.Inc)
		return nil
	}
}
