package app

import (
	"net/http"

	"github.com/rebindhq/rebind/internal/adminapi"
	"github.com/rebindhq/rebind/internal/api"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/console"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/middleware"
	"github.com/rebindhq/rebind/internal/session"
	"github.com/rebindhq/rebind/internal/web"
)

// PublicHandler is what REBIND_ADDR serves: the pages, the user API and
// the health checks. The admin API and /metrics are not on it, so there
// they are unknown paths (404) like any other.
func (a *App) PublicHandler() http.Handler { return a.public }

// InternalHandler is what REBIND_INTERNAL_ADDR serves: the admin API,
// /metrics, the staff console under /staff and the health checks, for the
// exchange's services, monitoring and staff only.
func (a *App) InternalHandler() http.Handler { return a.internal }

// internalOnly are the paths the internal listener serves and the public
// one answers 404.
var internalOnly = []string{"/admin/", "/metrics", "/staff", "/staff/"}

func (a *App) routes() error {
	ad := httpjson.Adapter{Log: a.Log}
	// One warner for both listeners: at most one warning a minute an
	// instance.
	fwd := middleware.NewForwardWarner(a.Log, a.Clock)
	if err := a.publicRoutes(ad, fwd); err != nil {
		return err
	}
	return a.internalRoutes(ad, fwd)
}

func (a *App) publicRoutes(ad httpjson.Adapter, fwd *middleware.ForwardWarner) error {
	cfg := a.Config
	mux := http.NewServeMux()
	secure := cfg.BaseURL.Scheme == "https"
	(&api.API{DB: a.DB, Clock: a.Clock, SignIn: a.SignIn, Holds: a.Holds, Reset: a.Reset, PwReset: a.PwReset, Stop: a.Stop,
		Change: a.Change, Captcha: a.Captcha, Limiter: a.Limiter, CookieName: session.CookieName(secure), Dev: !cfg.Production}).Routes(mux, ad)
	pages := &web.Pages{DB: a.DB, Clock: a.Clock, Log: a.Log, Brand: cfg.Brand, SignIn: a.SignIn, Holds: a.Holds,
		Reset: a.Reset, PwReset: a.PwReset, Stop: a.Stop, Quiz: a.Quiz,
		Change: a.Change, Captcha: a.Captcha, Limiter: a.Limiter,
		CSRFKeys: cfg.Secret.Set(keys.CSRF), Secure: secure, Dev: !cfg.Production, Demo: a.Demo}
	if err := pages.Routes(mux); err != nil {
		return err
	}
	// The internal listener's paths are unknown here, for every method:
	// the pages' catch-all would refuse a POST for its missing form token
	// (403) and so tell these paths apart from ones that never existed.
	notHere := pages.Refusal(apperr.New(apperr.NotFound, "There is no page at this address."))
	for _, prefix := range internalOnly {
		mux.Handle(prefix, notHere)
	}
	a.health(mux, ad)
	crossOrigin, err := middleware.CrossOrigin(crossOriginDenied(ad, pages), cfg.BaseURL)
	if err != nil {
		return err
	}
	a.public = middleware.Chain(mux,
		middleware.Client(cfg.TrustedProxies, fwd),
		middleware.Log(a.Log, a.metrics.observe),
		middleware.Recover(a.Log),
		middleware.SecurityHeaders(secure),
		crossOrigin,
	)
	return nil
}

// internalRoutes builds the internal listener. Its chain has the same
// request ids, logs, metrics and recovery as the public one. It keeps the
// security headers (no-store matters: admin answers hold personal data)
// and the cross-origin refusal (a web page can make a browser on the
// operator's network post to an internal address), in the JSON shape (the
// console's error page under /staff). It sends HSTS when staff reach it
// over https (REBIND_STAFF_URL), as the public listener does for
// REBIND_BASE_URL: the console's session cookie must never travel in the
// clear after a first visit.
func (a *App) internalRoutes(ad httpjson.Adapter, fwd *middleware.ForwardWarner) error {
	cfg := a.Config
	mux := http.NewServeMux()
	pages := &console.Console{DB: a.DB, Clock: a.Clock, Log: a.Log, Brand: cfg.Brand, Staff: a.Staff, Admin: a.Admin,
		Accounts: a.Accounts, CSRFKeys: cfg.Secret.Set(keys.StaffCSRF), URL: cfg.StaffURL,
		Reset: a.Reset, Evidence: a.Evidence, Blobs: a.Blobs, Holds: a.Holds, Audit: a.Audit, ReviewTarget: cfg.ReviewTarget}
	if err := pages.Routes(mux); err != nil {
		return err
	}
	(&adminapi.API{DB: a.DB, Token: cfg.AdminToken, Admin: a.Admin, Accounts: a.Accounts, Holds: a.Holds,
		Eligibility: a.Eligibility, Audit: a.Audit, Clock: a.Clock, Reset: a.Reset, Evidence: a.Evidence, Blobs: a.Blobs,
		Limiter: a.Limiter, OnAuthFail: a.metrics.adminAuthFailed}).Routes(mux, ad)
	mux.Handle("GET /metrics", a.metrics.handler())
	a.health(mux, ad)
	mux.Handle("/", ad.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		return apperr.New(apperr.NotFound, "no such endpoint")
	}))
	crossOrigin, err := middleware.CrossOrigin(internalDenied(ad, pages), cfg.StaffURL)
	if err != nil {
		return err
	}
	a.internal = middleware.Chain(mux,
		middleware.Client(cfg.TrustedProxies, fwd),
		middleware.Log(a.Log, a.metrics.observe),
		middleware.Recover(a.Log),
		middleware.SecurityHeaders(cfg.StaffURL.Scheme == "https"),
		crossOrigin,
	)
	return nil
}

// health registers the liveness and readiness checks, which both listeners
// answer: a load balancer probes the public one, an orchestrator either.
// Drain makes /readyz answer 503 from now on, so load balancers stop
// sending new requests before the server stops (serve calls it on SIGTERM).
func (a *App) Drain() { a.draining.Store(true) }

func (a *App) health(mux *http.ServeMux, ad httpjson.Adapter) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if a.draining.Load() {
			ad.WriteError(w, r, apperr.New(apperr.Unavailable, "shutting down"))
			return
		}
		if err := a.DB.Ready(r.Context()); err != nil {
			ad.WriteError(w, r, err)
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}
