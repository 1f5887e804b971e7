package console

import (
	"database/sql"
	"fmt"
	"net/http"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/blob"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/staff"
)

// pictureView is one picture on the application's page with the findings
// about it.
type pictureView struct {
	evidence.File
	N   int
	URL string
	// Destroyed: the picture's retention ended; its findings stay.
	Destroyed bool
	Findings  []findingView
}

// findingView is a finding with where it was made: on which picture, or
// on the application as a whole.
type findingView struct {
	evidence.Finding
	Where string
}

// evidenceOf fills in v's pictures and findings.
func (c *Console) evidenceOf(r *http.Request, v *appView) error {
	where := map[string]int{}
	for i, f := range v.App.Files {
		info, err := c.Blobs.Info(r.Context(), c.DB, f.BlobID)
		if err != nil {
			return err
		}
		v.Pictures = append(v.Pictures, pictureView{File: f, N: i + 1, URL: fmt.Sprintf("/staff/applications/%s/files/%s", v.App.ID, f.ID),
			Destroyed: !info.DestroyedAt.IsZero()})
		where[f.ID] = i
	}
	for _, f := range v.App.Findings {
		fv := findingView{Finding: f, Where: "the application"}
		if i, ok := where[f.File]; ok {
			fv.Where = fmt.Sprintf("picture %d (%s)", i+1, kindName(v.Pictures[i].Kind))
			v.Pictures[i].Findings = append(v.Pictures[i].Findings, fv)
		}
		v.Findings = append(v.Findings, fv)
	}
	return nil
}

// picture serves one picture of an application through blob.Serve (no-store,
// sandboxed, nosniff) after recording who opened it (SEC-AUD-6): if the
// event cannot be written the picture is not shown. A reviewer gets the
// pictures only while holding the open application's claim; otherwise,
// as for a picture of another application, there is no such picture
// (SEC-FILE-7).
func (c *Console) picture(w http.ResponseWriter, r *http.Request) error {
	ctx, m := r.Context(), member(r)
	app, err := c.Reset.Application(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	open := app.Shown(c.Clock.Now()) == evidence.UnderReview
	if !m.Role.AtLeast(staff.Supervisor) && !(open && c.liveClaim(app) && app.ClaimedBy == m.Email) {
		return apperr.New(apperr.NotFound, "There is no such picture for you: claim the application to see its pictures.")
	}
	f, err := c.Evidence.File(ctx, c.DB, app.ID, r.PathValue("file_id"))
	if err != nil {
		return err
	}
	data, err := c.Blobs.Get(ctx, f.BlobID)
	if apperr.Is(err, apperr.NotFound) {
		return apperr.New(apperr.NotFound, "This picture is no longer kept: it was destroyed when its retention ended.")
	}
	if err != nil {
		return err
	}
	err = c.DB.Tx(ctx, func(tx *sql.Tx) error {
		return c.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorStaff, AccountID: app.AccountID, Action: audit.DocumentViewed,
			Result: audit.OK, FlowID: app.FlowID, Detail: map[string]string{"application": app.ID, "file": f.ID, "staff": m.Email}})
	})
	if err != nil {
		return err
	}
	blob.Serve(w, data, f.MIME)
	return nil
}
