package change

import (
	"context"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/flow"
)

// PuzzleFor says whether a slider puzzle may be drawn for flowID: only for
// the caller's change or bind at its new-number step, the one step that
// redeems a puzzle. Drawing costs CPU, so an unknown flow, or someone
// else's, is refused with a lookup or two first (not_found, as anywhere);
// a flow at another step is wrong_state, an ended one flow_expired. The
// puzzle is then counted against the caller's account (captcha.PerAccount),
// which nobody else can spend.
func (s *Service) PuzzleFor(ctx context.Context, c Caller, flowID string) error {
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
		if _, err = s.Flows.Require(ctx, s.DB, m, f.ID, NewNumber, ConfirmNew); err != nil {
			return err
		}
		return s.Limiter.Take(ctx, s.DB, "account:"+c.AccountID, captcha.PerAccount)
	}
	return apperr.New(apperr.NotFound, "no such flow")
}
