package reset

import (
	"context"
	"database/sql"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/flow"
)

// OpenForDemo opens a reset of account accountID that waits for its
// method, as the email step leaves one (a reference code, and date as the
// application date), but without a code sent or checked, so the dev
// server's demo data can submit documents for the review queue through
// Upload and Submit like a user. It is for that only: no HTTP route calls
// it, and it refuses unless dev is true (the server's dev mode). Like
// Start, it cancels the account's open reset and refuses an account
// without a bound mobile. The flow is audited as started by the dev actor.
func (s *Service) OpenForDemo(ctx context.Context, dev bool, accountID string, date time.Time) (string, Documents, error) {
	if !dev {
		return "", Documents{}, apperr.New(apperr.Forbidden, "demo applications are made in dev mode only")
	}
	var docs Documents
	var id string
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		a, err := s.Accounts.ByID(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if a.Mobile == "" || !a.MobileVerification {
			return apperr.New(apperr.WrongState, "mobile verification is not on for this account")
		}
		f, err := s.Flows.Create(ctx, tx, Machine, a.ID, "", map[string]string{})
		if err != nil {
			return err
		}
		d := data{ReferenceCode: newReference(), ApplicationDate: date.UTC().Format(time.DateOnly)}
		if f, err = s.Flows.Fire(ctx, tx, Machine, f.ID, VerifyEmail, d.fields()); err != nil {
			return err
		}
		if err := s.extendForDocuments(ctx, tx, &f); err != nil {
			return err
		}
		if docs, err = s.documents(ctx, tx, f); err != nil {
			return err
		}
		id = f.ID
		return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorDev, AccountID: a.ID, Action: audit.ResetStarted,
			Result: audit.OK, FlowID: f.ID, Detail: map[string]string{"demo": "documents"}})
	})
	return id, docs, err
}

// extendForDocuments keeps f open for Review.Prepare, as asking for the
// documents does.
func (s *Service) extendForDocuments(ctx context.Context, tx *sql.Tx, f *flow.Flow) error {
	until := s.Clock.Now().Add(s.Review.Prepare)
	if !f.ExpiresAt.Before(until) {
		return nil
	}
	f.ExpiresAt = until
	return s.Flows.ExtendTo(ctx, tx, f.ID, until)
}
