// Package app wires rebind together: it builds every service from the
// configuration, registers each surface's route table on the mux of its
// listener (public or internal) behind that listener's middleware, and runs
// the background workers. It is the one place that knows how the parts fit.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/admin"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/blob"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/change"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/config"
	"github.com/rebindhq/rebind/internal/consequence"
	"github.com/rebindhq/rebind/internal/credential"
	"github.com/rebindhq/rebind/internal/demo"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/notify"
	"github.com/rebindhq/rebind/internal/ocr"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/pwreset"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/session"
	"github.com/rebindhq/rebind/internal/signin"
	"github.com/rebindhq/rebind/internal/staff"
	"github.com/rebindhq/rebind/internal/stoplink"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/upload"
)

// eligibilityQueries bounds the eligibility queries one instance runs at
// once; questions arriving meanwhile share the next query (hold.Answers).
// Measured in docs/benchmarks.md (issue 12, third round).
const eligibilityQueries = 2

// App is a wired rebind server.
type App struct {
	Config   *config.Config
	DB       *store.DB
	Clock    clock.Clock
	Log      *slog.Logger
	Accounts *account.Store
	Hasher   *password.Hasher
	Audit    *audit.Log
	Holds    *hold.Store
	// Eligibility answers the wallet's withdrawal question in shared
	// queries (hold.Answers).
	Eligibility *hold.Answers
	Flows       *flow.Store
	Codes       *code.Service
	Sessions    *session.Manager
	Limiter     *ratelimit.Limiter
	Check       *credential.Checker
	SignIn      *signin.Service
	Quiz        *quiz.Service
	Reset       *reset.Service
	PwReset     *pwreset.Service
	Stop        *stoplink.Service
	Change      *change.Service
	Captcha     *captcha.Slider
	// Evidence keeps document applications; Blobs seals their pictures.
	Evidence *evidence.Store
	Blobs    *blob.Store
	Worker   *outbox.Worker
	// Demo shows and renews the named demo accounts; it refuses outside
	// dev mode.
	Demo *demo.Desk
	// Admin creates accounts, stores pushed activity and lifts freezes,
	// for the admin API and the staff console.
	Admin *admin.Service
	// Staff are the staff console's members: enrolment, sign-in, sessions.
	Staff *staff.Service

	// ReadEvery is how often the background reader looks for submitted
	// screenshots to read (New sets 5 seconds: a reviewer rarely opens an
	// application sooner); 0 runs no reader.
	ReadEvery time.Duration
	// RetainEvery is how often the retention jobs run (New sets 5 minutes);
	// 0 runs none in the background (tests call Purge). RetainBatch is how
	// many rows one statement deletes (New sets 500).
	RetainEvery time.Duration
	RetainBatch int
	// GaugesEvery is how often the gauges /metrics reads from the database
	// are refreshed in the background (New sets 15 seconds); 0 reads them
	// at each scrape instead (tests).
	GaugesEvery time.Duration

	public   http.Handler
	internal http.Handler
	metrics  *metrics
	// draining is set on SIGTERM: /readyz answers 503 (Drain).
	draining atomic.Bool
}

// Options adjust an App for tests.
type Options struct {
	// Clock replaces the system clock.
	Clock clock.Clock
	// PasswordParams replaces the argon2id parameters (tests use cheap ones).
	PasswordParams *password.Params
	// CodeRules replaces the code rules.
	CodeRules *code.Rules
	// HashWorkers is how many argon2id hashes run at once; 0 means one
	// per Go processor. serve sets it to the CPUs before it raises
	// GOMAXPROCS for REBIND_PASSWORD_NICE.
	HashWorkers int
}

// New builds an App on an open, migrated database.
func New(cfg *config.Config, db *store.DB, log *slog.Logger, opts Options) (*App, error) {
	a := &App{Config: cfg, DB: db, Log: log, Clock: opts.Clock, ReadEvery: 5 * time.Second,
		RetainEvery: retainEvery, RetainBatch: retainBatch, GaugesEvery: gaugesEvery}
	if a.Clock == nil {
		a.Clock = clock.Real{}
	}
	params := password.Default
	if opts.PasswordParams != nil {
		params = *opts.PasswordParams
	}
	rules := code.DefaultRules
	if opts.CodeRules != nil {
		rules = *opts.CodeRules
	}
	rules.SMS.GlobalDay, rules.SMS.PerCallingCodeDay, rules.SMS.PerPrefixDay = cfg.SMSBudgetDay, cfg.SMSPerCallingCodeDay, cfg.SMSPerPrefixDay
	if len(cfg.SMSCountries) > 0 {
		rules.SMS.Countries = map[string]bool{}
		for _, r := range cfg.SMSCountries {
			rules.SMS.Countries[r] = true
		}
	}
	clk := a.Clock
	a.Accounts = account.NewStore(clk)
	a.Hasher = password.NewHasher(params, opts.HashWorkers)
	if cfg.PasswordQueueWait > 0 {
		a.Hasher.SetQueue(password.QueuePerWorker*a.Hasher.Workers(), cfg.PasswordQueueWait)
	}
	if cfg.PasswordNice > 0 {
		if err := a.Hasher.Lower(cfg.PasswordNice); err != nil {
			log.Warn("password hashes run at the server's priority", "err", err)
		}
	}
	a.Audit = audit.New(clk)
	a.Holds = hold.NewStore(clk)
	a.Eligibility = hold.NewAnswers(a.Holds, db, eligibilityQueries)
	a.Flows = flow.NewStore(clk)
	a.Sessions = session.NewManager(clk, cfg.SessionIdle, cfg.SessionAbsolute)
	a.Limiter = ratelimit.New(clk)
	a.Admin = &admin.Service{DB: db, Clock: clk, Accounts: a.Accounts, Hasher: a.Hasher, Audit: a.Audit}
	queue, err := outbox.NewQueue(clk, cfg.Secret.Set(keys.OutboxSeal))
	if err != nil {
		return nil, err
	}
	if a.Staff, err = staff.New(db, clk, a.Hasher, a.Limiter, a.Audit, cfg.Secret.Set(keys.StaffTOTP), cfg.Brand); err != nil {
		return nil, err
	}
	notifier, err := notify.New(queue, cfg.Brand, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	a.Codes = code.New(clk, cfg.Secret.Set(keys.CodeHMAC), rules, a.Limiter, notifier)
	a.metrics = newMetrics(db, clk, &a.GaugesEvery)
	a.Audit.Failed = a.auditFailed
	a.Codes.OnLimit = a.codeRefused
	a.Check = &credential.Checker{DB: db, Clock: clk, Accounts: a.Accounts, Hasher: a.Hasher, Limiter: a.Limiter, Audit: a.Audit,
		DeviceKeys: cfg.Secret.Set(keys.DeviceToken)}
	a.SignIn = &signin.Service{DB: db, Clock: clk, Accounts: a.Accounts, Check: a.Check, Codes: a.Codes,
		Flows: a.Flows, Sessions: a.Sessions, Audit: a.Audit}
	a.observeEvents()
	if err := a.flows(notifier); err != nil {
		return nil, err
	}
	senders, err := a.senders()
	if err != nil {
		return nil, err
	}
	a.Worker = &outbox.Worker{DB: db, Queue: queue, Senders: senders, Clock: clk, Log: log, Lease: cfg.OutboxLease,
		Observe: func(ch outbox.Channel, outcome string) {
			a.metrics.deliveries.WithLabelValues(string(ch), outcome).Inc()
		},
		Breaker: func(ch outbox.Channel, open bool) {
			a.metrics.breaker.WithLabelValues(string(ch)).Set(map[bool]float64{false: 0, true: 1}[open])
		}}
	if err := a.routes(); err != nil {
		return nil, err
	}
	return a, nil
}

// flows builds the reset, password reset and "This wasn't me" services.
func (a *App) flows(notifier *notify.Notifier) error {
	cfg := a.Config
	kinds, err := quizKinds(cfg.QuizKinds)
	if err != nil {
		return err
	}
	seal, err := keys.NewSealer(cfg.Secret.Set(keys.QuizKey))
	if err != nil {
		return err
	}
	a.Quiz = quiz.New(a.Clock, cfg.Secret.Key(keys.QuizOptions), seal, kinds, quiz.DefaultRules)
	a.Stop = &stoplink.Service{DB: a.DB, Clock: a.Clock, Notifier: notifier}
	consequences := &consequence.Service{Clock: a.Clock, Accounts: a.Accounts, Flows: a.Flows, Holds: a.Holds, Sessions: a.Sessions,
		Links: a.Stop, Notifier: notifier, Audit: a.Audit}
	a.Stop.Freeze = a.counted(consequences.Freeze)
	bucket, err := blob.OpenBucket(context.Background(), cfg.BlobURL)
	if err != nil {
		return fmt.Errorf("REBIND_BLOB_URL: %w", err)
	}
	if a.Blobs, err = blob.New(a.DB, bucket, a.Clock, cfg.Secret.Set(keys.DocumentKey)); err != nil {
		return err
	}
	a.Evidence = evidence.NewStore(a.Clock)
	a.Reset = &reset.Service{DB: a.DB, Clock: a.Clock, Check: a.Check, Accounts: a.Accounts, Codes: a.Codes, Flows: a.Flows,
		Quiz: a.Quiz, Audit: a.Audit, Consequences: consequences, Hold: cfg.WithdrawalHold, QuizEnabled: cfg.QuizEnabled,
		Evidence: a.Evidence, Blobs: a.Blobs, Uploads: upload.New(upload.Default, 0), Brand: cfg.Brand,
		Review: reset.ReviewRules{Time: cfg.ReviewTime, Deadline: cfg.ReviewDeadline, Retention: cfg.DocumentRetention,
			Prepare: cfg.DocumentsWindow, SecondApprovalUSD: cfg.SecondApprovalUSD},
		StatusKeys: cfg.Secret.Set(keys.StatusLink), Notifier: notifier, OCR: ocr.New(ocr.Config{Command: cfg.OCRCommand}), Log: a.Log}
	a.Flows.OnCancel = a.Reset.FlowsCancelled
	a.PwReset = &pwreset.Service{DB: a.DB, Clock: a.Clock, Accounts: a.Accounts, Hasher: a.Hasher, Codes: a.Codes, Flows: a.Flows,
		Audit: a.Audit, Consequences: consequences, Limiter: a.Limiter, Hold: cfg.WithdrawalHold}
	if a.Captcha, err = captcha.NewSlider(a.DB, a.Clock); err != nil {
		return err
	}
	a.Change = &change.Service{DB: a.DB, Clock: a.Clock, Accounts: a.Accounts, Codes: a.Codes, Flows: a.Flows, Audit: a.Audit,
		Consequences: consequences, Captcha: a.Captcha, Limiter: a.Limiter, Hold: cfg.WithdrawalHold,
		CaptchaOff: cfg.CaptchaOff && !cfg.Production}
	a.Demo = &demo.Desk{DB: a.DB, Clock: a.Clock, Accounts: a.Accounts, Flows: a.Flows, Quiz: a.Quiz, Limiter: a.Limiter,
		Hasher: a.Hasher, Audit: a.Audit, QuizEnabled: cfg.QuizEnabled, Dev: !cfg.Production}
	return nil
}

// quizKinds checks the configured question kinds; none means all.
func quizKinds(names []string) ([]quiz.Kind, error) {
	if len(names) == 0 {
		return nil, nil
	}
	var kinds []quiz.Kind
	for _, n := range names {
		if n == "order_types" {
			return nil, fmt.Errorf("REBIND_QUIZ_KINDS: order types are asked with the products, in products_used; remove order_types")
		}
		if _, ok := quiz.SpecOf(quiz.Kind(n)); !ok {
			return nil, fmt.Errorf("REBIND_QUIZ_KINDS: unknown kind %q", n)
		}
		kinds = append(kinds, quiz.Kind(n))
	}
	if len(kinds) < quiz.DefaultRules.Questions {
		return nil, fmt.Errorf("REBIND_QUIZ_KINDS: a quiz asks %d questions of different kinds; %d are enabled", quiz.DefaultRules.Questions, len(kinds))
	}
	return kinds, nil
}

// senders picks each channel's way out: the configured provider, or the dev
// outbox.
func (a *App) senders() (map[outbox.Channel]outbox.Sender, error) {
	cfg := a.Config
	dev := outbox.DevSender{DB: a.DB, Clock: a.Clock}
	senders := map[outbox.Channel]outbox.Sender{outbox.Email: dev, outbox.SMS: dev}
	if cfg.SMTPURL != "" {
		s, err := newMailSender(cfg)
		if err != nil {
			return nil, err
		}
		senders[outbox.Email] = s
	}
	if cfg.SMSURL != "" {
		s, err := newSMSSender(cfg)
		if err != nil {
			return nil, err
		}
		senders[outbox.SMS] = s
	}
	return senders, nil
}

// Run runs the background work (outbox delivery, the reading of
// screenshots, the sealing of audit events, clean-up of counters, the
// retention jobs, the database gauges of /metrics) until ctx ends.
func (a *App) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := a.Worker.Run(ctx); err != nil {
			a.Log.Error("outbox worker stopped", "err", err)
		}
	})
	wg.Go(func() { a.janitor(ctx) })
	wg.Go(func() { a.reader(ctx) })
	wg.Go(func() { a.sealer(ctx) })
	wg.Go(func() { a.retainer(ctx) })
	wg.Go(func() { a.sampleGauges(ctx) })
	wg.Wait()
	return nil
}

// reader reads the screenshots of submitted applications with OCR, in the
// background (see internal/reset's ReadPending for why not at submission).
func (a *App) reader(ctx context.Context) {
	if !a.Reset.OCR.Available() {
		a.Log.Warn("OCR is not available: screenshots are not read, their applications say so; install tesseract-ocr and tesseract-ocr-eng, or set REBIND_OCR_COMMAND",
			"command", a.Config.OCRCommand)
	}
	if a.ReadEvery <= 0 {
		return
	}
	tick := time.NewTicker(a.ReadEvery)
	defer tick.Stop()
	for {
		if _, err := a.Reset.ReadPending(ctx); err != nil && !errors.Is(err, context.Canceled) {
			a.Log.Warn("read screenshots", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// janitor deletes ended staff sessions, rate counters and expired quiz keys
// every few minutes (users' sessions are a retention job's: retention.go),
// ends document applications past their deadline,
// destroys documents past retention, and refreshes the quiz base rates.
func (a *App) janitor(ctx context.Context) {
	tick := time.NewTicker(5 * time.Minute)
	defer tick.Stop()
	for {
		if _, err := a.Staff.Purge(ctx); err != nil && !errors.Is(err, context.Canceled) {
			a.Log.Warn("purge staff sessions and enrolment links", "err", err)
		}
		if _, err := a.Limiter.Purge(ctx, a.DB); err != nil && !errors.Is(err, context.Canceled) {
			a.Log.Warn("purge rate counters", "err", err)
		}
		if _, err := a.Quiz.PurgeKeys(ctx, a.DB); err != nil && !errors.Is(err, context.Canceled) {
			a.Log.Warn("purge quiz keys", "err", err)
		}
		if _, err := a.Captcha.Purge(ctx, a.DB); err != nil && !errors.Is(err, context.Canceled) {
			a.Log.Warn("purge captchas", "err", err)
		}
		if _, err := a.Reset.ExpireOverdue(ctx); err != nil && !errors.Is(err, context.Canceled) {
			a.Log.Warn("expire document applications", "err", err)
		}
		if _, err := a.Blobs.Purge(ctx, a.Clock.Now()); err != nil && !errors.Is(err, context.Canceled) {
			a.Log.Warn("destroy documents past retention", "err", err)
		}
		// Keep the base rates fresh here, so no request waits for them.
		if _, err := a.Quiz.Rates(ctx, a.DB); err != nil && !errors.Is(err, context.Canceled) {
			a.Log.Warn("estimate quiz base rates", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
