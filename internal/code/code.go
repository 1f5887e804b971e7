// Package code issues and checks verification codes (SPEC §4): 6 digits
// from the CSPRNG, stored only as an HMAC bound to the flow, the purpose and
// the destination, single use, short-lived, dead after 5 wrong entries,
// with a resend cooldown and per-destination send limits. A resend replaces
// the code but keeps the count of wrong entries. Every counter moves in one
// conditional statement, so concurrent requests cannot overrun it.
package code

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/notify"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/store"
)

// Purpose says what a code authorises; a code checks only for its own.
type Purpose string

// The purposes.
const (
	Login         Purpose = "login"
	ResetEmail    Purpose = "mobile_reset_email"
	PasswordReset Purpose = "password_reset"
	ChangeEmail   Purpose = "change_email"
	ChangeOldSMS  Purpose = "change_old_sms"
	ChangeNewSMS  Purpose = "change_new_sms"
	BindEmail     Purpose = "bind_email"
)

// Requester is who asks for a code. It decides which budgets a send draws
// on, so that nobody can spend a budget that someone else needs: the
// owner's sends are never refused because a stranger or another account
// asked for codes (SPEC §4).
type Requester string

// The requesters.
const (
	// Owner is the account's holder after proving its password, or in a
	// signed-in flow, asking for a code to the account's own email or
	// bound number. Its budgets are keyed by the account: only someone
	// with the account's password can spend them.
	Owner Requester = "owner"
	// Anonymous is anyone who proved nothing (a password reset asks only
	// for an email). Its budgets are keyed by the destination alone and
	// are separate from the owner's.
	Anonymous Requester = "anonymous"
	// Chooser is a signed-in account asking for a code to a number it
	// names (the new number of a change or bind), which may belong to
	// anyone. Its sends count against the sending account and address
	// and against caps that keep part of every shared budget for owners.
	Chooser Requester = "chooser"
)

// purposeRule is what a purpose implies: the end of the sentence "your
// code to …" in messages, and who asks for it.
type purposeRule struct {
	action string
	by     Requester
}

var purposes = map[Purpose]purposeRule{
	Login:         {"sign in", Owner},
	ResetEmail:    {"reset your mobile verification", Owner},
	PasswordReset: {"reset your password", Anonymous},
	ChangeEmail:   {"change your mobile number", Owner},
	ChangeOldSMS:  {"change your mobile number", Owner},
	ChangeNewSMS:  {"confirm your new mobile number", Chooser},
	BindEmail:     {"bind a mobile number", Owner},
}

// RequesterOf returns who asks for codes of purpose p.
func RequesterOf(p Purpose) Requester { return purposes[p].by }

// Rules are the code rules of SPEC §4.
type Rules struct {
	EmailTTL    time.Duration
	SMSTTL      time.Duration
	MaxAttempts int           // wrong entries before a code dies
	MaxSends    int           // codes sent per flow and purpose
	Cooldown    time.Duration // between sends per flow and purpose
	// PerHour and PerDay limit the sends to one destination, all purposes
	// together, separately for each requester: the owner's sends to the
	// account's own email or number, anonymous sends to an email, and one
	// account's sends to a number it names.
	PerHour int
	PerDay  int
	SMS     SMSRules
}

// DefaultRules are SPEC §4's defaults.
var DefaultRules = Rules{
	EmailTTL: 10 * time.Minute, SMSTTL: 5 * time.Minute, MaxAttempts: 5, MaxSends: 5,
	Cooldown: time.Minute, PerHour: 5, PerDay: 10, SMS: DefaultSMSRules,
}

// Service issues and checks codes.
type Service struct {
	clock    clock.Clock
	keys     keys.Set
	rules    Rules
	limiter  *ratelimit.Limiter
	notifier *notify.Notifier
	// OnLimit, when set, is told of every send a limit refuses, so the
	// operator can count them and be alerted (the SMS budgets above all).
	OnLimit func(Refusal)
	// OnSent, when set, is told of every code sent (decoys are not),
	// once the transaction that wrote its message has committed.
	OnSent func(outbox.Channel, Purpose)
}

// New returns a code service hashing with key (32 bytes from the server
// secret).
func New(c clock.Clock, set keys.Set, rules Rules, l *ratelimit.Limiter, n *notify.Notifier) *Service {
	return &Service{clock: c, keys: set, rules: rules, limiter: l, notifier: n}
}

// Rules returns the rules in force.
func (s *Service) Rules() Rules { return s.rules }

// Request is a code to send.
type Request struct {
	FlowID  string
	Purpose Purpose
	Channel outbox.Channel
	// To is the destination: an email address or an E.164 number.
	To string
	// AccountID is the account asking, required for every purpose but the
	// anonymous one: the owner's budgets, and a chooser's, are keyed by it.
	AccountID string
}

// Sent describes a code that was sent.
type Sent struct {
	ExpiresAt time.Time
	// ResendAt is when another code may be asked for.
	ResendAt time.Time
}

// Send issues a new code and queues its message, in tx. A code sent before
// for the same flow and purpose is superseded; its count of wrong entries
// carries over. Refusals: rate_limited during the cooldown or over the
// per-destination limits, wrong_state when the code was already used, has
// taken its wrong entries, or was resent too often. Roll tx back on error:
// the counters taken here must not outlive a refused send.
func (s *Service) Send(ctx context.Context, tx *sql.Tx, r Request) (Sent, error) {
	return s.issue(ctx, tx, r, true)
}

// Decoy does everything Send does, in tx, for an address that has no
// account (a code slot with the hash of a random code, the same counters,
// the same refusals, the message rendered, sealed and written), except that
// the message's row is one that is never delivered. Answers and their time
// then cannot tell whether an address has an account, and checking a code
// against the slot behaves like a wrong code.
func (s *Service) Decoy(ctx context.Context, tx *sql.Tx, r Request) (Sent, error) {
	return s.issue(ctx, tx, r, false)
}

func (s *Service) issue(ctx context.Context, tx *sql.Tx, r Request, deliver bool) (Sent, error) {
	pr, ok := purposes[r.Purpose]
	if !ok {
		return Sent{}, fmt.Errorf("code: unknown purpose %q", r.Purpose)
	}
	if pr.by != Anonymous && r.AccountID == "" {
		return Sent{}, fmt.Errorf("code: a %s code needs the account asking", r.Purpose)
	}
	ttl := s.rules.EmailTTL
	if r.Channel == outbox.SMS {
		ttl = s.rules.SMSTTL
	}
	now := s.clock.Now()
	code, err := generate()
	if err != nil {
		return Sent{}, err
	}
	expires := now.Add(ttl)
	var sends int
	err = tx.QueryRowContext(ctx, `INSERT INTO codes (flow_id, purpose, channel, destination, hash, created_at, sent_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
		ON CONFLICT (flow_id, purpose) DO UPDATE SET channel = excluded.channel, destination = excluded.destination,
			hash = excluded.hash, sent_at = excluded.sent_at, expires_at = excluded.expires_at, sends = codes.sends + 1
		WHERE codes.sent_at <= $8 AND codes.consumed_at IS NULL AND codes.attempts < $9 AND codes.sends < $10
		RETURNING sends`,
		r.FlowID, string(r.Purpose), string(r.Channel), r.To, hex.EncodeToString(s.keys.MAC(hashed(r.FlowID, r.Purpose, r.To, code))),
		store.Millis(now), store.Millis(expires), store.Millis(now.Add(-s.rules.Cooldown)),
		s.rules.MaxAttempts, s.rules.MaxSends).Scan(&sends)
	if store.IsNoRows(err) {
		return Sent{}, s.whyNoSend(ctx, tx, r, now)
	}
	if err != nil {
		return Sent{}, fmt.Errorf("code: store: %w", store.Translate(err))
	}
	if err := s.destinationLimits(ctx, tx, r, pr.by); err != nil {
		return Sent{}, s.limited(r, pr.by, err)
	}
	if r.Channel == outbox.SMS {
		if err := s.smsLimits(ctx, tx, r, pr.by); err != nil {
			return Sent{}, s.limited(r, pr.by, err)
		}
	}
	err = s.notifier.Code(ctx, tx, notify.CodeMessage{Channel: r.Channel, To: r.To, Action: pr.action,
		Code: code, ExpiresAt: expires, Now: now, Decoy: !deliver})
	if err != nil {
		return Sent{}, err
	}
	if deliver && s.OnSent != nil {
		store.AfterCommit(tx, func() { s.OnSent(r.Channel, r.Purpose) })
	}
	return Sent{ExpiresAt: expires, ResendAt: now.Add(s.rules.Cooldown)}, nil
}

// The per-destination limits, by requester. Their names label refusals in
// errors, metrics and alerts.
const (
	OwnerHour     = "code_dest_hour"
	OwnerDay      = "code_dest_day"
	AnonymousHour = "code_anon_dest_hour"
	AnonymousDay  = "code_anon_dest_day"
	ChooserHour   = "code_new_number_hour"
	ChooserDay    = "code_new_number_day"
)

// destinationLimits takes one send to r.To from the hourly and daily
// budgets of requester by. The owner's budget is keyed by account and
// destination, so a password reset, or another account naming the owner's
// number, cannot spend it; an anonymous budget is keyed by the destination;
// a chooser's by its account and the number it names.
func (s *Service) destinationLimits(ctx context.Context, tx *sql.Tx, r Request, by Requester) error {
	subject, hour, day := "anonymous:"+r.To, AnonymousHour, AnonymousDay
	switch by {
	case Owner:
		subject, hour, day = "owner:"+r.AccountID+":"+r.To, OwnerHour, OwnerDay
	case Chooser:
		subject, hour, day = "chooser:"+r.AccountID+":"+r.To, ChooserHour, ChooserDay
	}
	refusal := "too many codes were sent to this email address"
	if r.Channel == outbox.SMS {
		refusal = "too many codes were sent to this number"
	}
	return s.limiter.Take(ctx, tx, subject,
		ratelimit.Rule{Name: hour, Limit: s.rules.PerHour, Window: hourWindow, Refusal: refusal},
		ratelimit.Rule{Name: day, Limit: s.rules.PerDay, Window: LongestWindow, Refusal: refusal})
}

// CooldownLimit names the resend cooldown in its refusals, as the counted
// limits are named, so every rate_limited error says which limit refused.
const CooldownLimit = "resend_cooldown"

// whyNoSend explains a refused send. It only reads; the refusal itself was
// decided by the conditional statement.
func (s *Service) whyNoSend(ctx context.Context, q store.Querier, r Request, now time.Time) error {
	var sentAt int64
	var attempts, sends int
	var consumed sql.NullInt64
	err := q.QueryRowContext(ctx, "SELECT sent_at, attempts, sends, consumed_at FROM codes WHERE flow_id = $1 AND purpose = $2",
		r.FlowID, string(r.Purpose)).Scan(&sentAt, &attempts, &sends, &consumed)
	if err != nil {
		return fmt.Errorf("code: explain refusal: %w", store.Translate(err))
	}
	switch {
	case consumed.Valid:
		return apperr.New(apperr.WrongState, "this step is already verified")
	case attempts >= s.rules.MaxAttempts:
		return apperr.New(apperr.WrongState, "too many wrong codes; start again")
	case sends >= s.rules.MaxSends:
		return apperr.New(apperr.WrongState, "too many codes requested; start again")
	}
	wait := store.Time(sentAt).Add(s.rules.Cooldown).Sub(now)
	return apperr.RateLimit("a code was just sent", wait).With("limit", CooldownLimit)
}

// Checked describes a code that was accepted.
type Checked struct {
	// Destination is where the code was sent: proof of holding it.
	Destination string
}

// Check accepts code for the flow and purpose, once. A wrong code uses one
// of the code's entries (invalid_code, with attempts_left); a code that is
// expired, superseded, used or out of entries is code_expired.
//
// Counting comes first, in one conditional statement, so that at most
// MaxAttempts guesses are ever compared however many arrive at once; the
// code is then consumed by a second conditional statement that only one
// caller can win.
func (s *Service) Check(ctx context.Context, q store.Querier, flowID string, p Purpose, code string) (Checked, error) {
	now := store.Millis(s.clock.Now())
	var stored, dest string
	var attempts int
	err := q.QueryRowContext(ctx, `UPDATE codes SET attempts = attempts + 1
		WHERE flow_id = $1 AND purpose = $2 AND consumed_at IS NULL AND attempts < $3 AND expires_at > $4
		RETURNING hash, attempts, destination`, flowID, string(p), s.rules.MaxAttempts, now).Scan(&stored, &attempts, &dest)
	if store.IsNoRows(err) {
		return Checked{}, apperr.New(apperr.CodeExpired, "the code has expired or can no longer be used; ask for a new one")
	}
	if err != nil {
		return Checked{}, fmt.Errorf("code: check: %w", store.Translate(err))
	}
	want, _ := hex.DecodeString(stored)
	if !validShape(code) || !s.keys.Verify(want, hashed(flowID, p, dest, code)) {
		left := s.rules.MaxAttempts - attempts
		return Checked{}, apperr.New(apperr.InvalidCode, "the code is not right").With("attempts_left", left)
	}
	res, err := q.ExecContext(ctx, "UPDATE codes SET consumed_at = $1 WHERE flow_id = $2 AND purpose = $3 AND consumed_at IS NULL AND hash = $4",
		now, flowID, string(p), stored)
	if err != nil {
		return Checked{}, fmt.Errorf("code: consume: %w", store.Translate(err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return Checked{}, apperr.New(apperr.CodeExpired, "the code has already been used")
	}
	return Checked{Destination: dest}, nil
}

// Refused reports whether err is Check's answer to the entry (a wrong code,
// or one that can no longer be used) rather than a failure: a transaction
// that checked a code commits on it, so the entry stays counted.
func Refused(err error) bool {
	return apperr.Is(err, apperr.InvalidCode) || apperr.Is(err, apperr.CodeExpired)
}

// hashed is what a code's stored HMAC covers: the code bound to its flow,
// purpose and destination, so a stored hash is useless without the
// server's key and a code for one flow, purpose or number never matches
// another. A code sent before a rotation of the secret is checked under
// the previous key still accepted.
func hashed(flowID string, p Purpose, dest, code string) []byte {
	return fmt.Appendf(nil, "%s\x00%s\x00%s\x00%s", flowID, p, dest, code)
}

var million = big.NewInt(1_000_000)

// generate returns 6 uniformly random digits from the CSPRNG.
func generate() (string, error) {
	n, err := rand.Int(rand.Reader, million)
	if err != nil {
		return "", fmt.Errorf("code: random: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

func validShape(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ResendAt returns when another code may be sent for the flow and purpose:
// the zero time if none was sent yet.
func (s *Service) ResendAt(ctx context.Context, q store.Querier, flowID string, p Purpose) (time.Time, error) {
	var sentAt int64
	err := q.QueryRowContext(ctx, "SELECT sent_at FROM codes WHERE flow_id = $1 AND purpose = $2", flowID, string(p)).Scan(&sentAt)
	if store.IsNoRows(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("code: resend time: %w", store.Translate(err))
	}
	return store.Time(sentAt).Add(s.rules.Cooldown), nil
}

// Slot is where the code of a flow and purpose stands.
type Slot struct {
	// Consumed says the code was accepted.
	Consumed bool
	// ResendAt is when another code may be sent: the zero time if none
	// was sent yet.
	ResendAt time.Time
}

// Slots returns, in one statement, where the codes of the flow for each of
// purposes stand: Consumed and ResendAt for each at once. A purpose with no
// code sent is missing from the map (its zero Slot).
func (s *Service) Slots(ctx context.Context, q store.Querier, flowID string, purposes ...Purpose) (map[Purpose]Slot, error) {
	if len(purposes) == 0 {
		return map[Purpose]Slot{}, nil
	}
	args := []any{flowID}
	marks := make([]string, len(purposes))
	for i, p := range purposes {
		args = append(args, string(p))
		marks[i] = fmt.Sprintf("$%d", len(args))
	}
	rows, err := q.QueryContext(ctx, "SELECT purpose, sent_at, consumed_at FROM codes WHERE flow_id = $1 AND purpose IN ("+
		strings.Join(marks, ", ")+")", args...)
	if err != nil {
		return nil, fmt.Errorf("code: slots: %w", store.Translate(err))
	}
	defer rows.Close()
	slots := make(map[Purpose]Slot, len(purposes))
	for rows.Next() {
		var p string
		var sentAt int64
		var consumed sql.NullInt64
		if err := rows.Scan(&p, &sentAt, &consumed); err != nil {
			return nil, fmt.Errorf("code: slots: %w", store.Translate(err))
		}
		slots[Purpose(p)] = Slot{Consumed: consumed.Valid, ResendAt: store.Time(sentAt).Add(s.rules.Cooldown)}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("code: slots: %w", store.Translate(err))
	}
	return slots, nil
}

// Consumed reports whether the code of the flow and purpose was accepted.
func (s *Service) Consumed(ctx context.Context, q store.Querier, flowID string, p Purpose) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM codes WHERE flow_id = $1 AND purpose = $2 AND consumed_at IS NOT NULL",
		flowID, string(p)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("code: consumed: %w", store.Translate(err))
	}
	return n == 1, nil
}
