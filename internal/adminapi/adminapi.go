// Package adminapi is the API of the exchange's other services (SPEC §5,
// admin): they create accounts, push account activity in, read an account,
// and ask whether it may withdraw. Every call carries the admin bearer
// token. Its route table is Routes.
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
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/phone"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/store"
)

// API serves the admin API.
type API struct {
	DB       *store.DB
	Clock    clock.Clock
	Token    string
	Accounts *account.Store
	Holds    *hold.Store
	Hasher   *password.Hasher
	Audit    *audit.Log
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
	if _, _, err := account.NormalizeEmail(req.Email); err != nil {
		return err
	}
	// The exchange owns its sign-up policy; rebind only bounds the length.
	if n := len([]rune(req.Password)); n < password.MinLength || n > password.MaxLength {
		return apperr.New(apperr.InvalidRequest, "password must be 8 to 128 characters")
	}
	n := account.New{Email: req.Email, KYC: req.KYC}
	if req.Mobile != nil && *req.Mobile != "" {
		num, err := phone.ParseE164(*req.Mobile)
		if err != nil {
			return apperr.Wrap(apperr.InvalidMobile, "mobile: "+err.Error(), err)
		}
		n.Mobile, n.MobileVerification = num.E164(), true
	}
	if req.RegisteredAt != nil {
		if req.RegisteredAt.After(a.Clock.Now()) || req.RegisteredAt.Year() < 2009 {
			return apperr.New(apperr.InvalidRequest, "registered_at must be a past time")
		}
		n.RegisteredAt = *req.RegisteredAt
	}
	hash, err := a.Hasher.Hash(r.Context(), req.Password)
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, "too busy; try again shortly", err)
	}
	n.PasswordHash = hash
	var acc account.Account
	err = a.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		if acc, err = a.Accounts.Create(r.Context(), tx, n); err != nil {
			return err
		}
		return a.Audit.Append(r.Context(), tx, audit.Event{Actor: audit.ActorAdmin, AccountID: acc.ID,
			Action: audit.AccountCreated, Result: audit.OK, Detail: map[string]string{"kyc": strconv.FormatBool(acc.KYC),
				"mobile": account.MaskMobile(acc.Mobile)}})
	})
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
	if err := act.Validate(a.Clock.Now()); err != nil {
		return err
	}
	id := r.PathValue("id")
	var pushed account.Pushed
	err := a.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		if _, err := a.Accounts.ByID(r.Context(), tx, id); err != nil {
			return err
		}
		var err error
		pushed, err = a.Accounts.AddActivity(r.Context(), tx, id, act)
		return err
	})
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, pushed)
	return nil
}

func (a *API) withdrawalEligibility(w http.ResponseWriter, r *http.Request) error {
	e, err := a.Holds.WithdrawalEligibility(r.Context(), a.DB, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, e)
	return nil
}

// unfreeze lifts the freeze an owner set with "This wasn't me", once staff
// have checked the account with them. Withdrawal holds stay until they end.
func (a *API) unfreeze(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	err := a.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		changed, err := a.Accounts.SetFrozen(r.Context(), tx, id, false)
		if err != nil || !changed {
			return err
		}
		return a.Audit.Append(r.Context(), tx, audit.Event{Actor: audit.ActorAdmin, AccountID: id, Action: audit.AccountUnfrozen, Result: audit.OK})
	})
	if err != nil {
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
