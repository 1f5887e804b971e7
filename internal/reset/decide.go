package reset

import (
	"context"
	"database/sql"
	"strings"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/evidence"
)

// Decide approves or rejects application id. Approval is the outcome of
// passed questions (number unbound, withdrawals held, sessions ended, the
// owner told); rejection tells the owner why, and they may apply again.
// The application ends in one conditional statement, so of concurrent
// decisions one takes effect; the same decision again returns the
// application, a different one is conflict. A staff member decides only
// an application they have claimed, never one of their own account; an
// account worth more than Review.SecondApprovalUSD needs two approvals,
// the second by another supervisor.
func (s *Service) Decide(ctx context.Context, id string, d Decision) (evidence.Application, error) {
	d.Note = strings.TrimSpace(d.Note)
	if err := d.check(); err != nil {
		return evidence.Application{}, err
	}
	app, err := s.Evidence.Get(ctx, s.DB, id)
	if err != nil {
		return evidence.Application{}, err
	}
	if err := s.notOwn(ctx, app, d.Staff); err != nil {
		return evidence.Application{}, err
	}
	if app.State != evidence.UnderReview {
		return s.settled(app, d)
	}
	two := false
	if d.Approve {
		if two, err = s.needsTwo(ctx, app.AccountID); err != nil {
			return evidence.Application{}, err
		}
	}
	switch {
	case two && app.FirstApprovalBy == "":
		return s.firstApproval(ctx, app, d)
	case two && app.FirstApprovalBy == d.by():
		return app, nil // the first approval again; the second must come from another supervisor
	case two && !d.Supervisor:
		return evidence.Application{}, apperr.New(apperr.Forbidden, "this account needs a second approval, by a supervisor")
	}
	return s.end(ctx, app, d, evidence.Ending{State: d.state(), Reason: d.Reason, Note: d.Note, By: d.by(),
		RequireBeforeTime: true, RequireClaim: d.Staff != "", SecondApproval: two})
}

// notOwn refuses a staff member acting on an application of the account
// with their own email.
func (s *Service) notOwn(ctx context.Context, app evidence.Application, staff string) error {
	if staff == "" {
		return nil
	}
	a, err := s.Accounts.ByID(ctx, s.DB, app.AccountID)
	if err != nil {
		return err
	}
	if strings.EqualFold(a.Email, staff) {
		return apperr.New(apperr.Forbidden, "this application is of your own account; another reviewer must decide it")
	}
	return nil
}

// needsTwo reports whether the account's balances are worth more than the
// second-approval threshold.
func (s *Service) needsTwo(ctx context.Context, accountID string) (bool, error) {
	if s.Review.SecondApprovalUSD == nil {
		return false, nil
	}
	value, known, err := s.Accounts.BalanceValue(ctx, s.DB, accountID)
	if err != nil || !known {
		return false, err
	}
	return value.Cmp(s.Review.SecondApprovalUSD) > 0, nil
}

// end ends app by decision d under the conditions of e.
func (s *Service) end(ctx context.Context, app evidence.Application, d Decision, e evidence.Ending) (evidence.Application, error) {
	var ok bool
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		ended, took, err := s.Evidence.End(ctx, tx, app.ID, e)
		if ok = took; err != nil || !ok {
			return err
		}
		return s.decided(ctx, tx, ended, d)
	})
	if err != nil {
		return evidence.Application{}, err
	}
	now, err := s.Evidence.Get(ctx, s.DB, app.ID)
	if err != nil || ok {
		return now, err
	}
	return s.settled(now, d)
}

// firstApproval records d as the first of two approvals of app.
func (s *Service) firstApproval(ctx context.Context, app evidence.Application, d Decision) (evidence.Application, error) {
	var ok bool
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, took, err := s.Evidence.FirstApproval(ctx, tx, app.ID, d.by(), d.Staff != "")
		if ok = took; err != nil || !ok {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Actor: d.ActorKind, AccountID: app.AccountID, Action: audit.ApplicationFirstApproval,
			Result: audit.OK, FlowID: app.FlowID, Detail: staffDetail(app, d.Staff)})
	})
	if err != nil {
		return evidence.Application{}, err
	}
	now, err := s.Evidence.Get(ctx, s.DB, app.ID)
	if err != nil || ok || (now.State == evidence.UnderReview && now.FirstApprovalBy == d.by()) {
		return now, err
	}
	return s.settled(now, d)
}

// settled explains why decision d did not take effect on app as it now
// stands, or returns app when it already has d's outcome.
func (s *Service) settled(app evidence.Application, d Decision) (evidence.Application, error) {
	switch shown := app.Shown(s.Clock.Now()); {
	case shown == d.state():
		return app, nil
	case shown == evidence.Approved || shown == evidence.Rejected:
		return evidence.Application{}, apperr.New(apperr.Conflict, "the application was already "+string(shown))
	case shown != evidence.UnderReview:
		return evidence.Application{}, apperr.New(apperr.WrongState, "the application is "+string(shown)+"; nothing can be decided")
	case d.Staff != "" && !s.holds(app, d.Staff):
		return evidence.Application{}, apperr.New(apperr.Conflict, "claim the application before deciding it").With("claimed_by", app.ClaimedBy)
	default:
		return evidence.Application{}, apperr.New(apperr.Conflict, "the application changed meanwhile; look at it again")
	}
}

// holds reports whether staff holds app's claim (a lapsed one too, until
// someone else takes it).
func (s *Service) holds(app evidence.Application, staff string) bool {
	return app.ClaimedBy == staff
}

func staffDetail(app evidence.Application, staff string) map[string]string {
	d := map[string]string{"application": app.ID}
	if staff != "" {
		d["staff"] = staff
	}
	return d
}

// Claim gives application id to staff member staff to work on; force (a
// supervisor reassigning) takes it from whoever holds it. Someone else's
// live claim is conflict, naming them.
func (s *Service) Claim(ctx context.Context, id, staff string, force bool) (evidence.Application, error) {
	app, err := s.Evidence.Get(ctx, s.DB, id)
	if err != nil {
		return evidence.Application{}, err
	}
	if err := s.notOwn(ctx, app, staff); err != nil {
		return evidence.Application{}, err
	}
	var ok bool
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, took, err := s.Evidence.Claim(ctx, tx, id, staff, force)
		if ok = took; err != nil || !ok {
			return err
		}
		detail := staffDetail(app, staff)
		if force && app.ClaimedBy != "" && app.ClaimedBy != staff {
			detail["from"] = app.ClaimedBy
		}
		return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorStaff, AccountID: app.AccountID, Action: audit.ApplicationClaimed,
			Result: audit.OK, FlowID: app.FlowID, Detail: detail})
	})
	if err != nil {
		return evidence.Application{}, err
	}
	now, err := s.Evidence.Get(ctx, s.DB, id)
	switch {
	case err != nil || ok:
		return now, err
	case now.Shown(s.Clock.Now()) != evidence.UnderReview:
		return evidence.Application{}, apperr.New(apperr.WrongState, "the application is "+string(now.Shown(s.Clock.Now())))
	default:
		return evidence.Application{}, apperr.New(apperr.Conflict, "another reviewer is working on this application").With("claimed_by", now.ClaimedBy)
	}
}

// Release gives up staff's claim on application id.
func (s *Service) Release(ctx context.Context, id, staff string) error {
	app, err := s.Evidence.Get(ctx, s.DB, id)
	if err != nil {
		return err
	}
	if app.ClaimedBy != staff {
		return nil
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.Evidence.Release(ctx, tx, id, staff); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorStaff, AccountID: app.AccountID, Action: audit.ApplicationReleased,
			Result: audit.OK, FlowID: app.FlowID, Detail: staffDetail(app, staff)})
	})
}

// History is application id's audit events, oldest first: submission,
// views, claims, approvals, the decision.
func (s *Service) History(ctx context.Context, app evidence.Application) ([]audit.Record, error) {
	return s.Audit.ByFlow(ctx, s.DB, app.FlowID, 500)
}

// Earlier returns the other applications of app's account, newest first.
func (s *Service) Earlier(ctx context.Context, app evidence.Application) ([]evidence.Application, error) {
	all, err := s.Evidence.ByAccount(ctx, s.DB, app.AccountID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, a := range all {
		if a.ID != app.ID {
			out = append(out, a)
		}
	}
	return out, nil
}
