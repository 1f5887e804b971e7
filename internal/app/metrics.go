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
	series     sync.Map // routeStatus → routeSeries
	events     *eventMetrics
}

func newMetrics(db *store.DB, clk clock.Clock) *metrics {
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
	m.registry.MustRegister(m.requests, m.duration, m.deliveries, m.breaker, m.limited, m.adminAuth, m.auditLost, build, dbUp,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newAuditCollector(db, audit.New(clk), clk.Now),
		outboxCollector{db: db, clock: clk, desc: prometheus.NewDesc("rebind_outbox_messages", "Outbox messages by state.", []string{"state"}, nil),
			oldest: prometheus.NewDesc("rebind_outbox_oldest_pending_seconds", "Age of the oldest message waiting to be delivered, by channel (0 when none).", []string{"channel"}, nil)},
		reviewCollector{db: db, clock: clk, apps: evidence.NewStore(clk),
			waiting: prometheus.NewDesc("rebind_applications_under_review", "Document applications awaiting a decision, by class.", []string{"class"}, nil),
			oldest: prometheus.NewDesc("rebind_application_oldest_wait_seconds",
				"How long the oldest application under review has waited (0 when none); alert well before the promised review time.", nil, nil)})
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

// outboxCollector reads the queue's size at scrape time, so a backlog (a
// provider outage) shows on any instance.
type outboxCollector struct {
	db           *store.DB
	clock        clock.Clock
	desc, oldest *prometheus.Desc
}

func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc; ch <- c.oldest }

func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := outbox.Counts(ctx, c.db)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, state := range []string{"pending", "sending", "sent", "failed", "expired"} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[state]), state)
	}
	oldest, err := outbox.OldestPending(ctx, c.db)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.oldest, err)
		return
	}
	for _, channel := range []outbox.Channel{outbox.Email, outbox.SMS} {
		age := 0.0
		if at, ok := oldest[channel]; ok {
			age = max(0, c.clock.Now().Sub(at).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age, string(channel))
	}
}

// reviewCollector reads the review queue at scrape time: its length and
// the wait of its oldest application, against the review time promised to
// users.
type reviewCollector struct {
	db              *store.DB
	clock           clock.Clock
	apps            *evidence.Store
	waiting, oldest *prometheus.Desc
}

func (c reviewCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.waiting; ch <- c.oldest }

func (c reviewCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	byClass, first, err := c.apps.Queue(ctx, c.db)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.waiting, err)
		return
	}
	for _, class := range []evidence.Class{evidence.KYC, evidence.NonKYCNoRecords, evidence.NonKYCWithRecords} {
		ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(byClass[class]), string(class))
	}
	wait := 0.0
	if !first.IsZero() {
		wait = c.clock.Now().Sub(first).Truncate(time.Second).Seconds()
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
