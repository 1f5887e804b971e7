package change

import (
	"context"
	"strings"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/phone"
)

// puzzleFor says whether a slider puzzle may be drawn for flowID: only for
// the caller's change or bind at its new-number step, the one step that
// redeems a puzzle. Drawing costs CPU, so an unknown flow, or someone
// else's, is refused with a lookup or two first (not_found, as anywhere);
// a flow at another step is wrong_state, an ended one flow_expired. The
// puzzle is then counted against the caller's account (captcha.PerAccount),
// which nobody else can spend.
func (s *Service) puzzleFor(ctx context.Context, c Caller, flowID string) error {
	for _, m := range []*flow.Machine{ChangeMachine, BindMachine} {
		f, err := s.Flows.Get(ctx, s.DB, m, flowID)
		if apperr.Is(err, apperr.NotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if f.AccountID != c.AccountID {
			break
		}
		if err = s.Flows.InState(m, f, NewNumber, ConfirmNew); err != nil {
			return err
		}
		return s.Limiter.Take(ctx, s.DB, "account:"+c.AccountID, captcha.PerAccount)
	}
	return apperr.New(apperr.NotFound, "no such flow")
}

// Puzzle draws a slider puzzle. One for a flow (flowID set) is only for
// its signed-in owner c and counts against the owner's account
// (puzzleFor); one for no flow counts against the client's address
// (captcha.PerIP). Either is refused before a picture is drawn. number,
// when set, is the E.164 number the puzzle's solution will be good for.
func (s *Service) Puzzle(ctx context.Context, c Caller, flowID, number string) (captcha.Challenge, error) {
	var err error
	if flowID != "" {
		err = s.puzzleFor(ctx, c, flowID)
	} else {
		err = s.Limiter.Take(ctx, s.DB, "ip:"+client.From(ctx).IP, captcha.PerIP)
	}
	if err != nil {
		return captcha.Challenge{}, err
	}
	return s.Captcha.New(ctx, captcha.Binding{FlowID: flowID, Number: number})
}

// CheckNumber checks a new number for account a, as pages check it while
// it is typed and as NewNumber checks it before sending: a country chosen,
// a mobile number of that country, not the number bound now, and a country
// SMS may go to.
func (s *Service) CheckNumber(a account.Account, region, number string) (phone.Number, error) {
	if strings.TrimSpace(region) == "" {
		return phone.Number{}, apperr.New(apperr.InvalidRequest, "choose the country code of the new number")
	}
	n, err := ParseNumber(region, number)
	switch {
	case err != nil:
		return n, err
	case n.E164() == a.Mobile:
		return n, apperr.New(apperr.MobileUnavailable, "this is the number bound to your account now. Enter a new one")
	case !s.Codes.SMSAllowed(n.Region()):
		return n, apperr.New(apperr.InvalidMobile, "we cannot send SMS to numbers of "+phone.CountryName(n.Region())+" yet")
	}
	return n, nil
}
