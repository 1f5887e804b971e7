package change

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/phone"
	"github.com/rebindhq/rebind/internal/ratelimit"
)

// Verify checks the codes of the first step: the email code, and for a
// change the SMS code to the current number. A code that is right is used
// up and stays accepted (the code table records it), so after a typo in one
// only that one is asked for again; the flow moves on when all are right.
// The first wrong code's error is returned.
//
// The checks and the step are one transaction, committed whatever the
// codes' answers: a wrong entry stays counted (code.Check counts each in
// one conditional statement, however many arrive at once), a right code
// stays used up when the other is wrong, and the flow moves only when all
// are right. Only a failure of the database rolls it back, and then no
// entry was answered.
func (s *Service) Verify(ctx context.Context, c Caller, kind flow.Kind, flowID, emailCode, smsCode string) (View, error) {
	m := machineOf(kind)
	f, a, err := s.own(ctx, c, kind, flowID, m.Initial)
	if err != nil {
		return View{}, err
	}
	var first error
	var failed []failedCode
	var moved flow.Flow
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		first, failed = nil, nil
		for _, ch := range firstStep(kind, emailCode, smsCode) {
			checked, err := s.checkFirst(ctx, tx, f.ID, ch)
			if err != nil && !refusal(err) {
				return err
			}
			if checked && err != nil {
				failed = append(failed, failedCode{ch.purpose, err})
			}
			first = cmp(first, err)
		}
		if first != nil {
			return nil
		}
		moved, first = s.Flows.Fire(ctx, tx, m, f.ID, Verified, nil)
		if first != nil && !refusal(first) {
			return first
		}
		return nil
	})
	if err != nil {
		return View{}, err
	}
	for _, c := range failed {
		s.Audit.Write(ctx, s.DB, audit.Event{Actor: audit.ActorUser, AccountID: a.ID, Action: audit.AuthnCodeFail, Result: audit.Failed,
			FlowID: f.ID, Detail: map[string]string{"purpose": string(c.purpose), "error": string(apperr.As(c.err).Code)}})
	}
	if first != nil {
		return View{}, first
	}
	return s.view(ctx, moved, a)
}

// checkFirst checks one code of the first step in tx. It returns nil for a
// right code and for one accepted before, and says whether the code was
// checked (a refusal of a checked code is a failed entry). An empty entry
// costs a read only to see whether the code was accepted before; an entry
// is checked first, and only a code that can no longer be checked is looked
// up: code.Check counts nothing on a code accepted before.
func (s *Service) checkFirst(ctx context.Context, tx *sql.Tx, flowID string, ch firstCode) (bool, error) {
	if ch.entered == "" {
		done, err := s.Codes.Consumed(ctx, tx, flowID, ch.purpose)
		if err != nil || done {
			return false, err
		}
		return false, apperr.New(apperr.InvalidRequest, "field \""+ch.field+"\" is required")
	}
	_, err := s.Codes.Check(ctx, tx, flowID, ch.purpose, ch.entered)
	if apperr.Is(err, apperr.CodeExpired) {
		done, cerr := s.Codes.Consumed(ctx, tx, flowID, ch.purpose)
		if cerr != nil || done {
			return false, cerr
		}
	}
	return true, err
}

type failedCode struct {
	purpose code.Purpose
	err     error
}

// refusal reports whether err is an answer to the request (a wrong or dead
// code, a missing one, a flow that cannot move) rather than a failure.
func refusal(err error) bool {
	for _, c := range []apperr.Code{apperr.InvalidCode, apperr.CodeExpired, apperr.InvalidRequest,
		apperr.WrongState, apperr.FlowExpired, apperr.NotFound} {
		if apperr.Is(err, c) {
			return true
		}
	}
	return false
}

type firstCode struct {
	purpose        code.Purpose
	entered, field string
}

// firstStep lists the codes of a kind's first step.
func firstStep(kind flow.Kind, emailCode, smsCode string) []firstCode {
	if kind == flow.MobileBind {
		return []firstCode{{code.BindEmail, emailCode, "email_code"}}
	}
	return []firstCode{{code.ChangeEmail, emailCode, "email_code"}, {code.ChangeOldSMS, smsCode, "sms_code"}}
}

// ParseNumber parses a number typed for a country: an unknown country is
// invalid_request, a number that is not a mobile of the country is
// invalid_mobile.
func ParseNumber(region, number string) (phone.Number, error) {
	n, err := phone.Parse(region, number)
	if errors.Is(err, phone.ErrUnknownRegion) {
		return phone.Number{}, apperr.Wrap(apperr.InvalidRequest, err.Error(), err)
	}
	if err != nil {
		return phone.Number{}, apperr.Wrap(apperr.InvalidMobile, err.Error(), err)
	}
	return n, nil
}

func cmp(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// NewNumber takes the new number and sends it an SMS code. The checks come
// in the contract's order: the flow's state (wrong_state), the number
// (invalid_mobile; mobile_unavailable when it is the current one), the
// captcha (captcha_invalid; used up here), then the send limits
// (rate_limited). Whether the number belongs to another account is not
// checked here: that is only said once the code proves the caller holds
// the phone.
func (s *Service) NewNumber(ctx context.Context, c Caller, kind flow.Kind, flowID, region, number, captchaToken string) (View, error) {
	return s.sendNew(ctx, c, kind, flowID, region, number, proof{token: captchaToken})
}

// NewNumberWithoutPuzzle is NewNumber for a user who cannot do the slider
// puzzle (it is visual): no captcha, but in its place, in the same order
// of checks, a send from the account's WithoutPuzzle quota, taken in the
// transaction of the send (a refused send gives it back). The send limits
// apply as always, and the audit event says the puzzle was skipped.
func (s *Service) NewNumberWithoutPuzzle(ctx context.Context, c Caller, kind flow.Kind, flowID, region, number string) (View, error) {
	return s.sendNew(ctx, c, kind, flowID, region, number, proof{skipped: true})
}

// WithoutPuzzle bounds the codes one account may have sent to new numbers
// without the puzzle: that path is guarded by the send limits alone, so
// its quota is stricter than theirs (SMS per account: 20 a day).
var WithoutPuzzle = ratelimit.Rule{Name: "sms_no_puzzle_account_day", Limit: 3, Window: 24 * time.Hour,
	Refusal: "no more codes can be sent without the puzzle today"}

// proof is what stands before an SMS to a new number: a solved puzzle's
// token, or the puzzle skipped.
type proof struct {
	token   string
	skipped bool
}

// take uses the proof in tx: redeems the token for b, or takes a send from
// the account's WithoutPuzzle quota.
func (s *Service) take(ctx context.Context, tx *sql.Tx, p proof, accountID string, b captcha.Binding) error {
	if p.skipped {
		return s.Limiter.Take(ctx, tx, "account:"+accountID, WithoutPuzzle)
	}
	if s.CaptchaOff {
		return nil
	}
	return s.Captcha.Redeem(ctx, tx, p.token, b)
}

// newNumberOf checks, in the contract's order, the flow's state and the
// number given for it.
func (s *Service) newNumberOf(ctx context.Context, c Caller, kind flow.Kind, flowID, region, number string) (flow.Flow, account.Account, phone.Number, error) {
	f, a, err := s.own(ctx, c, kind, flowID, NewNumber, ConfirmNew)
	if err != nil {
		return f, a, phone.Number{}, err
	}
	n, err := s.CheckNumber(a, region, number)
	return f, a, n, err
}

func (s *Service) sendNew(ctx context.Context, c Caller, kind flow.Kind, flowID, region, number string, p proof) (View, error) {
	f, a, n, err := s.newNumberOf(ctx, c, kind, flowID, region, number)
	if err != nil {
		return View{}, err
	}
	if p.token == "" && !p.skipped && !s.CaptchaOff {
		return View{}, apperr.New(apperr.CaptchaInvalid, "complete the slider puzzle first")
	}
	m := machineOf(kind)
	b := captcha.Binding{FlowID: f.ID, Number: n.E164()}
	d := dataOf(f)
	d.NewNumber = n.E164()
	detail := map[string]string{"channel": "sms", "purpose": string(code.ChangeNewSMS), "to": n.Masked(), "puzzle": "solved"}
	switch {
	case p.skipped:
		detail["puzzle"] = "skipped"
	case s.CaptchaOff:
		detail["puzzle"] = "off"
	}
	moved, err := s.Flows.Step(ctx, s.DB, m, f.ID, SendNew, d.fields(), func(ctx context.Context, tx *sql.Tx, f flow.Flow) error {
		if err := s.take(ctx, tx, p, a.ID, b); err != nil {
			return err
		}
		if _, err := s.Codes.Send(ctx, tx, code.Request{FlowID: f.ID, Purpose: code.ChangeNewSMS, Channel: outbox.SMS,
			To: n.E164(), AccountID: a.ID}); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: a.ID, Action: audit.AuthnCodeSent, Result: audit.OK,
			FlowID: f.ID, Detail: detail})
	})
	if err == nil {
		f = moved
	}
	if err != nil {
		// A refused captcha is used up all the same: it must not be retried
		// against the limits.
		if !p.skipped && !s.CaptchaOff && !apperr.Is(err, apperr.CaptchaInvalid) {
			s.Captcha.Redeem(ctx, s.DB, p.token, b)
		}
		return View{}, err
	}
	return s.view(ctx, f, a)
}
