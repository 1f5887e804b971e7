package adminapi

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/blob"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/reset"
)

// What a page of applications and a detail view show at most.
const (
	defaultPage, maxPage = 50, 200
	recentLogins         = 20
	recentTransfers      = 50
)

var states = map[evidence.State]bool{evidence.UnderReview: true, evidence.Approved: true, evidence.Rejected: true,
	evidence.Cancelled: true, evidence.Expired: true}

func badParam(name, msg string) error {
	return apperr.New(apperr.InvalidRequest, fmt.Sprintf("%s: %s", name, msg)).With("field", name)
}

// listApplications pages through the applications in one state, oldest
// submission first, so the longest-waiting is reviewed first.
func (a *API) listApplications(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	state := evidence.UnderReview
	if s := q.Get("state"); s != "" {
		if state = evidence.State(s); !states[state] {
			return badParam("state", "must be under_review, approved, rejected, cancelled or expired")
		}
	}
	limit := defaultPage
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPage {
			return badParam("limit", fmt.Sprintf("must be a number from 1 to %d", maxPage))
		}
		limit = n
	}
	page := evidence.Page{After: time.UnixMilli(0)}
	if c := q.Get("after"); c != "" {
		var ok bool
		if page, ok = evidence.ParseCursor(c); !ok {
			return badParam("after", "must be the next cursor of an earlier page")
		}
	}
	page.Limit = limit + 1 // one more tells whether a next page exists
	apps, err := a.Evidence.List(r.Context(), a.DB, state, page)
	if err != nil {
		return err
	}
	var next any
	if len(apps) > limit {
		apps = apps[:limit]
		next = evidence.Cursor(apps[limit-1])
	}
	now := a.Clock.Now()
	out := make([]map[string]any, len(apps))
	for i, app := range apps {
		out[i] = map[string]any{"id": app.ID, "account_id": app.AccountID, "class": app.Class, "state": app.Shown(now),
			"submitted_at": app.SubmittedAt, "age_seconds": int64(now.Sub(app.SubmittedAt).Seconds()), "deadline": app.Deadline,
			"flags": flags(app.Findings)}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"applications": out, "next": next})
	return nil
}

func flags(fs []evidence.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Flag {
			n++
		}
	}
	return n
}

func (a *API) getApplication(w http.ResponseWriter, r *http.Request) error {
	app, err := a.Reset.Application(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return a.writeApplication(r.Context(), w, app)
}

// decide records staff's decision. The same decision again answers as the
// first did; another one is conflict (reset.Service.Decide).
func (a *API) decide(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
		Note     string `json:"note"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	switch req.Decision {
	case "":
		return httpjson.Missing("decision")
	case "approve", "reject":
	default:
		return badParam("decision", "must be approve or reject")
	}
	app, err := a.Reset.Decide(r.Context(), r.PathValue("id"), reset.Decision{Approve: req.Decision == "approve",
		Reason: req.Reason, Note: req.Note, ActorKind: audit.ActorAdmin})
	if err != nil {
		return err
	}
	return a.writeApplication(r.Context(), w, app)
}

// writeApplication writes what a reviewer needs to decide: the pictures
// (as links to applicationFile), the findings, the typed transactions, the
// statement a KYC user had to write, and the account's facts.
func (a *API) writeApplication(ctx context.Context, w http.ResponseWriter, app evidence.Application) error {
	files, err := a.fileViews(ctx, app)
	if err != nil {
		return err
	}
	acc, err := a.accountFacts(ctx, app.AccountID)
	if err != nil {
		return err
	}
	now := a.Clock.Now()
	out := map[string]any{"id": app.ID, "account_id": app.AccountID, "class": app.Class, "state": app.Shown(now),
		"submitted_at": app.SubmittedAt, "age_seconds": int64(now.Sub(app.SubmittedAt).Seconds()), "deadline": app.Deadline,
		"ended_at": nil, "reason": nil, "reason_text": nil, "note": app.Note, "flags": flags(app.Findings),
		"files": files, "findings": orEmpty(app.Findings), "reading": app.Reading, "transactions": orEmpty(app.Transactions),
		"expected_statement": map[string]string{"phrase": app.StatementPhrase, "date": app.ApplicationDate,
			"reference_code": app.ReferenceCode},
		"account": acc, "decided_by": app.DecidedBy, "claimed_by": app.ClaimedBy, "first_approval_by": app.FirstApprovalBy}
	if !app.EndedAt.IsZero() {
		out["ended_at"] = app.EndedAt
	}
	if app.Reason != "" {
		out["reason"], out["reason_text"] = app.Reason, evidence.Reasons[app.Reason]
	}
	httpjson.Write(w, http.StatusOK, out)
	return nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// fileViews describes app's pictures; destroyed_at says a picture is gone
// (its retention ended) while its hashes and findings stay.
func (a *API) fileViews(ctx context.Context, app evidence.Application) ([]map[string]any, error) {
	out := make([]map[string]any, len(app.Files))
	for i, f := range app.Files {
		info, err := a.Blobs.Info(ctx, a.DB, f.BlobID)
		if err != nil {
			return nil, err
		}
		var destroyed any
		if !info.DestroyedAt.IsZero() {
			destroyed = info.DestroyedAt
		}
		m := f.Meta
		out[i] = map[string]any{"id": f.ID, "kind": f.Kind, "url": "/admin/v1/applications/" + app.ID + "/files/" + f.ID,
			"mime": f.MIME, "width": f.Width, "height": f.Height, "sha256": f.SHA256, "uploaded_at": f.CreatedAt,
			"destroyed_at": destroyed,
			"metadata": map[string]any{"camera_make": m.CameraMake, "camera_model": m.CameraModel, "captured_at": m.CapturedAt,
				"capture_zone_known": m.CaptureZoneKnown, "software": m.Software, "has_camera_metadata": m.HasCameraMetadata,
				"gps_removed": m.GPSRemoved}}
	}
	return out, nil
}

// accountFacts is what a reviewer weighs an application against; the
// mobile is masked, as a reviewer needs to know only whether one is bound.
func (a *API) accountFacts(ctx context.Context, id string) (map[string]any, error) {
	acc, err := a.Accounts.ByID(ctx, a.DB, id)
	if err != nil {
		return nil, err
	}
	logins, err := a.Accounts.RecentLogins(ctx, a.DB, id, recentLogins)
	if err != nil {
		return nil, err
	}
	transfers := map[string][]account.Transfer{}
	for _, dir := range []string{"deposit", "withdrawal"} {
		if transfers[dir], err = a.Accounts.RecentTransfers(ctx, a.DB, id, dir, recentTransfers); err != nil {
			return nil, err
		}
	}
	var mobile any
	if acc.Mobile != "" {
		mobile = acc.MaskedMobile()
	}
	return map[string]any{"id": acc.ID, "email": acc.Email, "registered_at": acc.RegisteredAt, "kyc": acc.KYC,
		"mobile": mobile, "mobile_verification": acc.MobileVerification, "frozen": acc.Frozen, "recent_logins": logins,
		"recent_deposits": transfers["deposit"], "recent_withdrawals": transfers["withdrawal"]}, nil
}

// applicationFile serves one picture of an application, after recording
// who opened it (SEC-AUD-6): if the event cannot be written, the picture is
// not shown. A picture destroyed at the end of its retention is not_found.
func (a *API) applicationFile(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	app, err := a.Evidence.Get(ctx, a.DB, r.PathValue("id"))
	if err != nil {
		return err
	}
	f, err := a.Evidence.File(ctx, a.DB, app.ID, r.PathValue("file_id"))
	if err != nil {
		return err
	}
	data, err := a.Blobs.Get(ctx, f.BlobID)
	if apperr.Is(err, apperr.NotFound) {
		return apperr.New(apperr.NotFound, "this picture is no longer kept: it was destroyed when its retention ended")
	}
	if err != nil {
		return err
	}
	err = a.DB.Tx(ctx, func(tx *sql.Tx) error {
		return a.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorAdmin, AccountID: app.AccountID, Action: audit.DocumentViewed,
			Result: audit.OK, FlowID: app.FlowID, Detail: map[string]string{"application": app.ID, "file": f.ID}})
	})
	if err != nil {
		return err
	}
	blob.Serve(w, data, f.MIME)
	return nil
}
