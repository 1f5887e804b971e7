package app

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/buildinfo"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/store"
)

// global ends the help of a gauge read from the shared database: every
// instance reports the same number, so dashboards and alerts take max(),
// never sum(). Every instance exports it, so it survives any one of them.
const global = "Read from the database shared by every instance: aggregate with max(), not sum()."

// channels are the outbox's channels, for the series created at zero.
var channels = []outbox.Channel{outbox.Email, outbox.SMS}

// atZero creates the series the alert rules watch
// (deploy/prometheus/rebind-alerts.yml) at zero, so that increase() and
// rate() work from the first scrape instead of missing the first event.
func (m *metrics) atZero() {
	for action := range audit.Actions {
		m.auditLost.WithLabelValues(string(action))
	}
	for _, ch := range channels {
		for _, outcome := range []string{"sent", "retry", "config_fault", "failed", "expired"} {
			m.deliveries.WithLabelValues(string(ch), outcome)
		}
		m.breaker.WithLabelValues(string(ch))
	}
	for _, outcome := range []string{"refused", "limited"} {
		m.adminAuth.WithLabelValues(outcome)
	}
	for _, table := range []string{"codes", "flows", "outbox", "sessions"} {
		m.purged.WithLabelValues(table)
	}
}

// metrics is the server's own Prometheus registry (no global state).
type metrics struct {
	registry   *prometheus.Registry
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	deliveries *prometheus.CounterVec
	breaker    *prometheus.GaugeVec
	limited    *prometheus.CounterVec
	adminAuth  *prometheus.CounterVec
	auditLost  *prometheus.CounterVec
	// purged counts the rows the retention jobs deleted, by table;
	// retainFailures the runs that failed (retention.go).
	purged         *prometheus.CounterVec
	retainFailures prometheus.Counter
	// samples are the readings from the database the gauges report,
	// refreshed in the background (gauges.go).
	samples []refresher
	series  sync.Map // routeStatus → routeSeries
	events  *eventMetrics
}

// newMetrics builds the registry; the gauges read from db are refreshed
// every *gaugesEvery (App.GaugesEvery).
func newMetrics(db *store.DB, clk clock.Clock, gaugesEvery *time.Duration) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebind_http_requests_total", Help: "HTTP requests by route pattern and status.",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rebind_http_request_duration_seconds", Help: "HTTP request duration by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebind_outbox_deliveries_total", Help: "Outbox delivery attempts by channel and outcome (sent, retry, config_fault, failed, expired); config_fault is a retry our configuration causes (certificate or credentials refused).",
		}, []string{"channel", "outcome"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rebind_outbox_breaker_open", Help: "1 while this instance's breaker for a channel is open (its provider keeps failing; one probe message at a time).",
		}, []string{"channel"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebind_code_sends_refused_total", Help: "Code sends refused by a limit, by limit and requester (owner, anonymous, chooser); alert on the sms_budget limits and on any owner refusal.",
		}, []string{"limit", "requester"}),
		adminAuth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebind_admin_auth_failures_total", Help: "Wrong admin tokens: refused (evaluated and audited) or limited (past the per-address limit).",
		}, []string{"outcome"}),
		auditLost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebind_audit_write_failures_total", Help: "Audit events recorded on their own (failed codes, failed sign-ins, limits hit) that could not be written, by action; alert on any.",
		}, []string{"action"}),
		purged: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebind_retention_purged_rows_total", Help: "Rows the retention jobs deleted past their period (REBIND_RETAIN_*), by table: codes, flows, outbox, sessions.",
		}, []string{"table"}),
		retainFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rebind_retention_failures_total", Help: "Retention runs that failed (the first failure of a run of them and the recovery are logged); alert when it keeps rising.",
		}),
	}
	bi := buildinfo.Read()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "rebind_build_info", Help: "Always 1; its labels name the running build (rebind version).",
		ConstLabels: prometheus.Labels{"version": bi.Version, "revision": bi.Revision, "goversion": bi.GoVersion},
	})
	build.Set(1)
	dbUp := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rebind_database_up", Help: "1 when this instance's database answered a trivial query at scrape time (2 s limit), else 0.",
	}, func() float64 {
		if db.Ready(context.Background()) != nil {
			return 0
		}
		return 1
	})
	m.registry.MustRegister(m.requests, m.duration, m.deliveries, m.breaker, m.limited, m.adminAuth, m.auditLost, m.purged, m.retainFailures, build, dbUp,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.auditCollector(db, audit.New(clk), clk.Now, gaugesEvery),
		m.outboxCollector(db, clk, gaugesEvery), m.reviewCollector(db, clk, gaugesEvery))
	m.atZero()
	return m
}

// routeSeries are one route and status's request series, looked up once:
// routes are patterns and statuses few, so the cache stays small, and a
// request skips hashing its label values.
type routeSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

type routeStatus struct {
	route  string
	status int
}

func (m *metrics) observe(r *http.Request, route string, status int, d time.Duration) {
	k := routeStatus{route, status}
	v, ok := m.series.Load(k)
	if !ok {
		v, _ = m.series.LoadOrStore(k, routeSeries{m.requests.WithLabelValues(route, strconv.Itoa(status)), m.duration.WithLabelValues(route)})
	}
	s := v.(routeSeries)
	s.requests.Inc()
	s.duration.Observe(d.Seconds())
}

// adminAuthFailed counts a wrong admin token.
func (m *metrics) adminAuthFailed(limited bool) {
	outcome := "refused"
	if limited {
		outcome = "limited"
	}
	m.adminAuth.WithLabelValues(outcome).Inc()
}

func (m *metrics) handler() http.Handler {
	// A collector that needs the database fails alone: the rest of the
	// scrape (requests, deliveries, the process, rebind_database_up) is what
	// an on-call engineer needs exactly while the database is down.
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// outboxCollector reports the backlog, so a provider outage shows on any
// instance. It reads only the messages waiting, through their partial
// index: the messages done with are many, and counted as they end by
// rebind_outbox_deliveries_total.
type outboxCollector struct {
	clock        clock.Clock
	backlog      *sample[outbox.Backlog]
	desc, oldest *prometheus.Desc
}

func (m *metrics) outboxCollector(db *store.DB, clk clock.Clock, every *time.Duration) outboxCollector {
	c := outboxCollector{clock: clk,
		backlog: newSample(every, func(ctx context.Context) (outbox.Backlog, error) { return outbox.ReadBacklog(ctx, db) }),
		desc:    prometheus.NewDesc("rebind_outbox_messages", "Outbox messages waiting, by state (pending, sending). "+global, []string{"state"}, nil),
		oldest: prometheus.NewDesc("rebind_outbox_oldest_pending_seconds",
			"Age of the oldest message waiting to be delivered, by channel (0 when none). "+global, []string{"channel"}, nil)}
	m.samples = append(m.samples, c.backlog)
	return c
}

func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc; ch <- c.oldest }

func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	b, err := c.backlog.get()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, state := range []string{"pending", "sending"} {
		n := 0
		for _, count := range b.Count[state] {
			n += count
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), state)
	}
	for _, channel := range channels {
		age := 0.0
		if at, ok := b.Oldest[channel]; ok {
			age = max(0, c.clock.Now().Sub(at).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age, string(channel))
	}
}

// reviewCollector reports the review queue: its length and the wait of its
// oldest application, against the review time promised to users.
type reviewCollector struct {
	clock           clock.Clock
	queue           *sample[reviewQueue]
	waiting, oldest *prometheus.Desc
}

type reviewQueue struct {
	byClass map[evidence.Class]int
	first   time.Time
}

func (m *metrics) reviewCollector(db *store.DB, clk clock.Clock, every *time.Duration) reviewCollector {
	apps := evidence.NewStore(clk)
	c := reviewCollector{clock: clk,
		queue: newSample(every, func(ctx context.Context) (reviewQueue, error) {
			byClass, first, err := apps.Queue(ctx, db)
			return reviewQueue{byClass, first}, err
		}),
		waiting: prometheus.NewDesc("rebind_applications_under_review", "Document applications awaiting a decision, by class. "+global, []string{"class"}, nil),
		oldest: prometheus.NewDesc("rebind_application_oldest_wait_seconds",
			"How long the oldest application under review has waited (0 when none); alert well before the promised review time. "+global, nil, nil)}
	m.samples = append(m.samples, c.queue)
	return c
}

func (c reviewCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.waiting; ch <- c.oldest }

func (c reviewCollector) Collect(ch chan<- prometheus.Metric) {
	q, err := c.queue.get()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.waiting, err)
		return
	}
	for _, class := range []evidence.Class{evidence.KYC, evidence.NonKYCNoRecords, evidence.NonKYCWithRecords} {
		ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(q.byClass[class]), string(class))
	}
	wait := 0.0
	if !q.first.IsZero() {
		wait = c.clock.Now().Sub(q.first).Truncate(time.Second).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, wait)
}

// auditFailed counts and logs an audit event that could not be written:
// the trail has a hole an operator must know of.
func (a *App) auditFailed(ctx context.Context, e audit.Event, err error) {
	a.metrics.auditLost.WithLabelValues(string(e.Action)).Inc()
	a.Log.ErrorContext(ctx, "ALERT: an audit event could not be recorded", "action", string(e.Action), "account_id", e.AccountID, "err", err)
}

// codeRefused counts a code send that a limit refused and raises the
// alerts an operator must see: a spent SMS budget stops codes for many
// users, and a spent destination budget means one address or number is
// being flooded, or an owner is asking for more codes than they should
// need.
func (a *App) codeRefused(r code.Refusal) {
	a.metrics.limited.WithLabelValues(r.Limit, string(r.By)).Inc()
	switch r.Limit {
	case code.BudgetLimit:
		a.Log.Error("ALERT: the daily SMS budget is spent; SMS codes are refused until midnight UTC",
			"limit", r.Limit, "budget", a.Codes.Rules().SMS.GlobalDay)
	case code.NewNumberBudgetLimit:
		a.Log.Error("ALERT: the share of the daily SMS budget for new numbers is spent; codes to new numbers are refused until midnight UTC",
			"limit", r.Limit, "budget", a.Codes.Rules().SMS.GlobalDay, "share_percent", a.Codes.Rules().SMS.NewNumberShare)
	case code.OwnerHour, code.OwnerDay, code.AnonymousHour, code.AnonymousDay, code.ChooserHour, code.ChooserDay:
		a.Log.Warn("ALERT: a destination's code budget is spent", "limit", r.Limit, "requester", string(r.By),
			"channel", string(r.Channel), "account_id", r.AccountID)
	}
}
