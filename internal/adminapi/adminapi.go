// Package adminapi is the API of the exchange's other services (SPEC §5,
// admin): they create accounts, push account activity in, read an account,
// ask whether it may withdraw, and review document applications. Every
// call carries the admin bearer token. Its route table is Routes. Changes
// go through the admin service (package admin) as admin.API, and decisions
// through the reset (reset.Service.Decide); the handlers decode, call and
// encode.
package adminapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/admin"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/blob"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/store"
)

// API serves the admin API.
type API struct {
	DB       *store.DB
	Token    string
	Admin    *admin.Service
	Accounts *account.Store
	Holds    *hold.Store
	// Eligibility answers the wallet's withdrawal question, sharing one
	// query among questions that arrive together.
	Eligibility *hold.Answers
	Audit       *audit.Log
	Clock       clock.Clock
	// Reset decides applications; Evidence lists them and their pictures,
	// which Blobs keeps sealed.
	Reset    *reset.Service
	Evidence *evidence.Store
	Blobs    *blob.Store
	// Limiter counts wrong tokens per client address (AuthFailures).
	Limiter *ratelimit.Limiter
	// OnAuthFail, when set, is told of every wrong token: limited says it
	// was refused by AuthFailures rather than evaluated and audited.
	OnAuthFail func(limited bool)
}

// AuthFailures limits the wrong tokens one client address may present.
// Only failures count and only failures are refused: the right token
// always passes, so a stranger sharing an address with the wallet (a NAT,
// a proxy) cannot lock it out of withdrawal eligibility. The limit does
// not slow a guess of the token itself (≥ 72 estimated bits, checked at
// start, out of reach online); it bounds what wrong tokens cost (an audit
// event each, which serialises on the chain head) and makes them visible.
var AuthFailures = ratelimit.Rule{Name: "admin_auth_fail", Limit: 20, Window: 10 * time.Minute,
	Refusal: "too many wrong admin tokens from this address"}

// Routes registers the admin API on mux.
func (a *API) Routes(mux httpjson.Mux, ad httpjson.Adapter) {
	handle := func(pattern string, h httpjson.Handler) { mux.Handle(pattern, ad.Wrap(a.authorized(h))) }
	handle("POST /admin/v1/accounts", a.createAccount)
	handle("GET /admin/v1/accounts/{id}", a.getAccount)
	handle("POST /admin/v1/accounts/{id}/activity", a.pushActivity)
	handle("GET /admin/v1/accounts/{id}/withdrawal-eligibility", a.withdrawalEligibility)
	handle("POST /admin/v1/accounts/{id}/unfreeze", a.unfreeze)
	handle("GET /admin/v1/audit", a.auditTrail)
	handle("GET /admin/v1/applications", a.listApplications)
	handle("GET /admin/v1/applications/{id}", a.getApplication)
	handle("GET /admin/v1/applications/{id}/files/{file_id}", a.applicationFile)
	handle("POST /admin/v1/applications/{id}/decision", a.decide)
	handle("/admin/", func(w http.ResponseWriter, r *http.Request) error {
		return apperr.New(apperr.NotFound, "no such endpoint")
	})
}

// authorized checks the admin token in constant time (comparing digests,
// so not even the token's length leaks); a wrong one is refused.
func (a *API) authorized(h httpjson.Handler) httpjson.Handler {
	want := sha256.Sum256([]byte(a.Token))
	return func(w http.ResponseWriter, r *http.Request) error {
		got := sha256.Sum256([]byte(httpjson.BearerToken(r)))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="rebind-admin"`)
			return a.refuse(r)
		}
		return h(w, r)
	}
}

// refuse counts a wrong token against the caller's address in one
// conditional statement and, under AuthFailures' limit, records it as an
// audit event (never the token) and answers 401; past the limit it answers
// 429 and records nothing more.
func (a *API) refuse(r *http.Request) error {
	ctx := r.Context()
	presented := "wrong"
	if httpjson.BearerToken(r) == "" {
		presented = "none"
	}
	err := a.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.Limiter.Take(ctx, tx, "ip:"+client.From(ctx).IP, AuthFailures); err != nil {
			return err
		}
		return a.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorAnonymous, Action: audit.AdminAuthFail, Result: audit.Failed,
			Detail: map[string]string{"route": r.Pattern, "token": presented}})
	})
	if a.OnAuthFail != nil {
		a.OnAuthFail(apperr.Is(err, apperr.RateLimited))
	}
	if err != nil {
		return err
	}
	return apperr.New(apperr.Unauthorized, "a valid admin token is required")
}

type accountView struct {
	ID                 string      `json:"id"`
	Email              string      `json:"email"`
	Mobile             *string     `json:"mobile"`
	MobileVerification bool        `json:"mobile_verification"`
	KYC                bool        `json:"kyc"`
	RegisteredAt       time.Time   `json:"registered_at"`
	Holds              []hold.Hold `json:"holds"`
	Frozen             bool        `json:"frozen"`
}

func (a *API) createAccount(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email        string     `json:"email"`
		Password     string     `json:"password"`
		Mobile       *string    `json:"mobile"`
		KYC          bool       `json:"kyc"`
		RegisteredAt *time.Time `json:"registered_at"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	if req.Email == "" {
		return httpjson.Missing("email")
	}
	n := admin.NewAccount{Email: req.Email, Password: req.Password, KYC: req.KYC, RegisteredAt: req.RegisteredAt}
	if req.Mobile != nil {
		n.Mobile = *req.Mobile
	}
	acc, err := a.Admin.CreateAccount(r.Context(), admin.API, n)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, map[string]string{"id": acc.ID})
	return nil
}

func (a *API) view(ctx context.Context, id string) (accountView, error) {
	acc, err := a.Accounts.ByID(ctx, a.DB, id)
	if err != nil {
		return accountView{}, err
	}
	holds, err := a.Holds.Active(ctx, a.DB, acc.ID)
	if err != nil {
		return accountView{}, err
	}
	v := accountView{ID: acc.ID, Email: acc.Email, MobileVerification: acc.MobileVerification, KYC: acc.KYC,
		RegisteredAt: acc.RegisteredAt, Holds: holds, Frozen: acc.Frozen}
	if acc.Mobile != "" {
		v.Mobile = &acc.Mobile
	}
	return v, nil
}

func (a *API) getAccount(w http.ResponseWriter, r *http.Request) error {
	v, err := a.view(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, v)
	return nil
}

func (a *API) pushActivity(w http.ResponseWriter, r *http.Request) error {
	var act account.Activity
	if err := httpjson.Decode(w, r, &act); err != nil {
		return err
	}
	pushed, err := a.Admin.PushActivity(r.Context(), r.PathValue("id"), act)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, pushed)
	return nil
}

func (a *API) withdrawalEligibility(w http.ResponseWriter, r *http.Request) error {
	e, err := a.Eligibility.WithdrawalEligibility(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, e)
	return nil
}

// unfreeze lifts the freeze an owner set with "This wasn't me" and answers
// with the account, frozen or not before.
func (a *API) unfreeze(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.Admin.Unfreeze(r.Context(), admin.API, r.PathValue("id")); err != nil {
		return err
	}
	return a.getAccount(w, r)
}

func (a *API) auditTrail(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	id := q.Get("account")
	if id == "" {
		return httpjson.Missing("account")
	}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 || limit > 500 {
		limit = 100
	}
	if _, err := a.Accounts.ByID(r.Context(), a.DB, id); err != nil {
		return err
	}
	events, err := a.Audit.List(r.Context(), a.DB, id, before, limit)
	if err != nil {
		return err
	}
	if events == nil {
		events = []audit.Record{}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"events": events})
	return nil
}
