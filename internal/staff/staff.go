// Package staff owns the members of the staff review console: who they are
// and their role, the one-time links through which they enrol (a password
// and a TOTP authenticator), signing in with password and TOTP code (a
// code is accepted once), and staff sessions, which live in their own
// table and cookie so that neither a user's session nor a member's can
// pass for the other. Every change and every sign-in is audited with who
// did it.
package staff

import (
	"context"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/store"
)

// Role is what a member may do. Each role may do all that the ones below
// it may.
type Role string

// The roles, lowest first.
const (
	// Reviewer decides document applications.
	Reviewer Role = "reviewer"
	// Supervisor also gives the second approval, reassigns and sees every
	// application.
	Supervisor Role = "supervisor"
	// Admin also manages staff and lifts freezes.
	Admin Role = "admin"
)

// rank orders the roles; a role not in it ranks below every role, so a
// misspelt role is refused everything.
var rank = map[Role]int{Reviewer: 1, Supervisor: 2, Admin: 3}

// AtLeast reports whether r may do what o may: admin ≥ supervisor ≥
// reviewer.
func (r Role) AtLeast(o Role) bool { return rank[r] > 0 && rank[r] >= rank[o] }

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return rank[r] > 0 }

// Member is a staff member as the console sees them.
type Member struct {
	ID    string
	Email string
	Role  Role
}

// Operator is the actor of changes made with rebind's commands on the
// server (rebind staff add), who is no member.
var Operator = Member{}

// Lifetimes of what the package hands out.
const (
	// SessionIdle and SessionAbsolute end a staff session: 15 minutes
	// unused or 8 hours after sign-in, whichever comes first. Shorter
	// than users' sessions: a console left open shows other people's
	// documents.
	SessionIdle     = 15 * time.Minute
	SessionAbsolute = 8 * time.Hour
	// EnrolmentLifetime is how long an enrolment link works.
	EnrolmentLifetime = 24 * time.Hour
)

// Limits on sign-in attempts. Every attempt counts, right or wrong, in the
// statement that lets it be checked: counting only failures would need a
// read before the check and a write after it, which a burst of guesses
// sent at once would slip through. A member signs in a few times a day, so
// 10 per 15 minutes never refuses one who types their own password.
var (
	PerEmail = ratelimit.Rule{Name: "staff_signin_email", Limit: 10, Window: 15 * time.Minute,
		Refusal: "too many sign-in attempts for this email"}
	PerIP = ratelimit.Rule{Name: "staff_signin_ip", Limit: 100, Window: 15 * time.Minute,
		Refusal: "too many sign-in attempts from your network"}
)

// Service manages members, their enrolment, sign-in and sessions.
type Service struct {
	DB      *store.DB
	Clock   clock.Clock
	Hasher  *password.Hasher
	Limiter *ratelimit.Limiter
	Audit   *audit.Log
	// Issuer names the service in the member's authenticator app (the
	// brand).
	Issuer string
	// PerEmail and PerIP are the sign-in limits (the package's by
	// default).
	PerEmail, PerIP ratelimit.Rule

	seal *keys.Sealer
}

// New returns a service whose TOTP secrets are sealed under the current
// key of totpKeys (32 bytes each, keys.StaffTOTP) and open under any.
func New(db *store.DB, c clock.Clock, h *password.Hasher, l *ratelimit.Limiter, log *audit.Log, totpKeys keys.Set, issuer string) (*Service, error) {
	seal, err := keys.NewSealer(totpKeys)
	if err != nil {
		return nil, fmt.Errorf("staff: totp key: %w", err)
	}
	return &Service{DB: db, Clock: c, Hasher: h, Limiter: l, Audit: log, Issuer: issuer,
		PerEmail: PerEmail, PerIP: PerIP, seal: seal}, nil
}

type ctxKey struct{}

// WithMember returns ctx carrying the signed-in member, for the handlers
// after the console's role check.
func WithMember(ctx context.Context, m Member) context.Context {
	return context.WithValue(ctx, ctxKey{}, m)
}

// FromContext returns the signed-in member that WithMember put in ctx.
func FromContext(ctx context.Context) (Member, bool) {
	m, ok := ctx.Value(ctxKey{}).(Member)
	return m, ok
}

// event is an audit event of by's action on the member target (which may
// be by), with by named as the actor.
func event(by Member, action audit.Action, target Member, detail map[string]string) audit.Event {
	if detail == nil {
		detail = map[string]string{}
	}
	actor := audit.ActorOperator
	if by.ID != "" {
		actor = audit.ActorStaff
		detail["staff"] = by.Email
	}
	if target.ID != "" && target.ID != by.ID {
		detail["member"] = target.Email
		detail["role"] = string(target.Role)
	} else if target.ID != "" {
		detail["role"] = string(target.Role)
	}
	return audit.Event{Actor: actor, Action: action, Result: audit.OK, Detail: detail}
}
