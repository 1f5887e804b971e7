package reset

import (
	"context"
	"database/sql"
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/consequence"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/notify"
	"github.com/rebindhq/rebind/internal/token"
)

// Decision is staff's verdict on an application.
type Decision struct {
	Approve      bool
	Reason, Note string // Reason is one of evidence.Reasons, for a rejection
	// By is who decided: ActorKind is the audit actor (audit.ActorAdmin for
	// the admin API), Staff the staff member's email, if known. A staff
	// member must hold the application's claim; Supervisor says they may
	// give a second approval.
	ActorKind, Staff string
	Supervisor       bool
}

// adminAPI names the admin API as an approver: its callers share one token,
// so two of its approvals are one approver's.
const adminAPI = "admin API"

// by is the decider's name as recorded on the application.
func (d Decision) by() string {
	if d.Staff == "" {
		return adminAPI
	}
	return d.Staff
}

// maxNote bounds a reviewer's note, in characters.
const maxNote = 1000

func (d Decision) check() error {
	switch {
	case !d.Approve && evidence.Reasons[d.Reason] == "":
		return apperr.New(apperr.InvalidRequest, "a rejection needs a reason from the list").With("field", "reason")
	case d.Approve && d.Reason != "":
		return apperr.New(apperr.InvalidRequest, "an approval has no reason").With("field", "reason")
	case utf8.RuneCountInString(d.Note) > maxNote || !utf8.ValidString(d.Note):
		return apperr.New(apperr.InvalidRequest, "the note is too long").With("field", "note")
	}
	return nil
}

func (d Decision) state() evidence.State {
	if d.Approve {
		return evidence.Approved
	}
	return evidence.Rejected
}

// Application returns application id, for staff.
func (s *Service) Application(ctx context.Context, id string) (evidence.Application, error) {
	return s.Evidence.Get(ctx, s.DB, id)
}

// decided applies a decision that has just ended app, in tx.
func (s *Service) decided(ctx context.Context, tx *sql.Tx, app evidence.Application, d Decision) error {
	detail := map[string]string{"application": app.ID}
	if d.Staff != "" {
		detail["staff"] = d.Staff
	}
	if err := s.retain(ctx, tx, app); err != nil {
		return err
	}
	if d.Approve {
		f, err := s.Flows.Fire(ctx, tx, Machine, app.FlowID, Approve, nil)
		if err != nil {
			return err
		}
		if err := s.Audit.Append(ctx, tx, audit.Event{Actor: d.ActorKind, AccountID: app.AccountID, Action: audit.ApplicationApproved,
			Result: audit.OK, FlowID: app.FlowID, Detail: detail}); err != nil {
			return err
		}
		_, err = s.complete(ctx, tx, f, MethodDocuments, d.ActorKind, s.notice(app, s.StatusLink(app.ID)))
		return err
	}
	if _, err := s.Flows.Fire(ctx, tx, Machine, app.FlowID, Reject, nil); err != nil {
		return err
	}
	detail["reason"] = d.Reason
	_, err := s.Consequences.Apply(ctx, tx, consequence.Change{AccountID: app.AccountID, FlowID: app.FlowID,
		Notice: notify.Notice{Event: notify.ApplicationRejected, Application: s.notice(app, s.StatusLink(app.ID))},
		Actor:  d.ActorKind, Action: audit.ApplicationRejected, Result: audit.OK, Detail: detail})
	return err
}

// retain schedules the destruction of app's pictures, Retention after it
// ended.
func (s *Service) retain(ctx context.Context, tx *sql.Tx, app evidence.Application) error {
	files := app.Files
	if files == nil {
		full, err := s.Evidence.Get(ctx, tx, app.ID)
		if err != nil {
			return err
		}
		files = full.Files
	}
	for _, f := range files {
		if err := s.Blobs.Schedule(ctx, tx, f.BlobID, app.EndedAt.Add(s.Review.Retention)); err != nil && !apperr.Is(err, apperr.NotFound) {
			return err
		}
	}
	return nil
}

// FlowsCancelled ends the applications of reset flows that were cancelled
// (flow.Store.OnCancel): a sign-in with the phone, a "This wasn't me" link
// or a new reset stops the review.
func (s *Service) FlowsCancelled(ctx context.Context, tx *sql.Tx, ids []string) error {
	apps, err := s.Evidence.CancelFlows(ctx, tx, ids)
	if err != nil {
		return err
	}
	for _, app := range apps {
		if err := s.retain(ctx, tx, app); err != nil {
			return err
		}
		if err := s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorSystem, AccountID: app.AccountID, Action: audit.ApplicationCancelled,
			Result: audit.OK, FlowID: app.FlowID, Detail: map[string]string{"application": app.ID}}); err != nil {
			return err
		}
	}
	return nil
}

// ExpireOverdue ends the applications whose deadline passed without a
// decision, tells their owners, and returns how many it ended. Several
// instances may run it at once: each application ends once.
func (s *Service) ExpireOverdue(ctx context.Context) (int, error) {
	apps, err := s.Evidence.Overdue(ctx, s.DB, 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, app := range apps {
		var ok bool
		err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
			var ended evidence.Application
			var err error
			if ended, ok, err = s.Evidence.End(ctx, tx, app.ID, evidence.Ending{State: evidence.Expired}); err != nil || !ok {
				return err
			}
			if err := s.retain(ctx, tx, ended); err != nil {
				return err
			}
			_, err = s.Consequences.Apply(ctx, tx, consequence.Change{AccountID: app.AccountID, FlowID: app.FlowID,
				Notice: notify.Notice{Event: notify.ApplicationExpired, Application: s.notice(ended, s.StatusLink(app.ID))},
				Actor:  audit.ActorSystem, Action: audit.ApplicationExpired, Result: audit.OK, Detail: map[string]string{"application": app.ID}})
			return err
		})
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// ApplicationStatus returns the application of a status link's secret.
func (s *Service) ApplicationStatus(ctx context.Context, secret string) (evidence.Application, error) {
	if len(secret) > 100 || !strings.Contains(secret, ".") {
		return evidence.Application{}, apperr.New(apperr.NotFound, "no such application")
	}
	app, err := s.Evidence.ByStatus(ctx, s.DB, token.Digest(secret))
	if !apperr.Is(err, apperr.NotFound) {
		return app, err
	}
	// A link written after a rotation of the server secret (a later
	// email) carries a MAC under another key than the one whose digest was
	// stored: any accepted key's MAC of the id names the application.
	id, sum, _ := strings.Cut(secret, ".")
	if mac, derr := base64.RawURLEncoding.DecodeString(sum); derr != nil || !s.StatusKeys.Verify(mac, []byte(id)) {
		return evidence.Application{}, err
	}
	return s.Evidence.Get(ctx, s.DB, id)
}
