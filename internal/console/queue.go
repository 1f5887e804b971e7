package console

import (
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/staff"
)

// queuePage is how many applications one page of the queue shows.
const queuePage = 50

var (
	classes = []evidence.Class{evidence.KYC, evidence.NonKYCNoRecords, evidence.NonKYCWithRecords}
	// states are what a supervisor may list; a reviewer sees the open ones.
	states      = []evidence.State{evidence.UnderReview, evidence.Approved, evidence.Rejected, evidence.Cancelled, evidence.Expired}
	findingCode = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)
)

// queueView is the queue page.
type queueView struct {
	Filter evidence.Filter
	Rows   []queueRow
	// Next is the address of the next page, if any.
	Next       string
	Classes    []evidence.Class
	States     []evidence.State
	Codes      []string
	Supervisor bool
	Target     time.Duration
}

// queueRow is one application in the queue.
type queueRow struct {
	ID        string
	Class     evidence.Class
	State     evidence.State
	Submitted time.Time
	Waited    time.Duration
	Urgency   Urgency
	// Email is the account's, masked for reviewers.
	Email   string
	Summary []string
	Flags   int
	// ClaimedBy holds a live claim; Mine says it is the viewer's.
	ClaimedBy       string
	Mine            bool
	FirstApprovalBy string
}

// queue lists applications oldest first, so the longest-waiting is taken
// first: the open ones, or for a supervisor those of any state.
func (c *Console) queue(w http.ResponseWriter, r *http.Request) error {
	m := member(r)
	f, page, err := queueFilter(r.URL.Query(), m)
	if err != nil {
		return err
	}
	page.Limit = queuePage + 1 // one more tells whether a next page exists
	apps, err := c.Evidence.Find(r.Context(), c.DB, f, page)
	if err != nil {
		return err
	}
	v := queueView{Filter: f, Classes: classes, Supervisor: m.Role.AtLeast(staff.Supervisor), Target: c.ReviewTarget}
	if v.Supervisor {
		v.States = states
	}
	if len(apps) > queuePage {
		apps = apps[:queuePage]
		q := r.URL.Query()
		q.Set("after", evidence.Cursor(apps[queuePage-1]))
		v.Next = "/staff?" + q.Encode()
	}
	codes := map[string]bool{}
	for _, app := range apps {
		row, err := c.queueRow(r, app, m)
		if err != nil {
			return err
		}
		v.Rows = append(v.Rows, row)
		for _, fd := range app.Findings {
			codes[fd.Code] = true
		}
	}
	if f.Finding != "" {
		codes[f.Finding] = true
	}
	v.Codes = slices.Sorted(maps.Keys(codes))
	return c.site.Render(w, r, http.StatusOK, "queue", "Review queue", v, "")
}

func (c *Console) queueRow(r *http.Request, app evidence.Application, m staff.Member) (queueRow, error) {
	acc, err := c.Accounts.ByID(r.Context(), c.DB, app.AccountID)
	if err != nil {
		return queueRow{}, err
	}
	now := c.Clock.Now()
	row := queueRow{ID: app.ID, Class: app.Class, State: app.Shown(now), Submitted: app.SubmittedAt, Waited: now.Sub(app.SubmittedAt),
		Email: c.shownEmail(acc.Email, m), Summary: summary(app), Flags: flags(app.Findings), FirstApprovalBy: app.FirstApprovalBy}
	if !app.EndedAt.IsZero() {
		row.Waited = app.EndedAt.Sub(app.SubmittedAt)
	}
	row.Urgency = urgency(row.Waited, c.ReviewTarget)
	if c.liveClaim(app) {
		row.ClaimedBy, row.Mine = app.ClaimedBy, app.ClaimedBy == m.Email
	}
	return row, nil
}

// shownEmail is an account's email as m may see it in a list: reviewers
// see it masked (SEC-DATA-7), supervisors and admins in full.
func (c *Console) shownEmail(email string, m staff.Member) string {
	if m.Role.AtLeast(staff.Supervisor) {
		return email
	}
	return account.MaskEmail(email)
}

// liveClaim reports whether app is claimed by someone now.
func (c *Console) liveClaim(app evidence.Application) bool {
	return app.ClaimedBy != "" && c.Clock.Now().Before(app.ClaimedAt.Add(evidence.ClaimLapse))
}

// queueFilter reads the queue's query: state (supervisors only), class,
// finding, flagged and the page's cursor.
func queueFilter(q url.Values, m staff.Member) (evidence.Filter, evidence.Page, error) {
	f := evidence.Filter{State: evidence.UnderReview, Class: evidence.Class(q.Get("class")), Finding: q.Get("finding"),
		Flagged: q.Get("flagged") == "1"}
	if s := q.Get("state"); s != "" && s != string(evidence.UnderReview) {
		if !m.Role.AtLeast(staff.Supervisor) {
			return f, evidence.Page{}, apperr.New(apperr.Forbidden, "Decided applications are listed for supervisors only.")
		}
		f.State = evidence.State(s)
		if !slices.Contains(states, f.State) {
			return f, evidence.Page{}, apperr.New(apperr.InvalidRequest, "There is no such state.")
		}
	}
	if f.Class != "" && !slices.Contains(classes, f.Class) {
		return f, evidence.Page{}, apperr.New(apperr.InvalidRequest, "There is no such class.")
	}
	if f.Finding != "" && !findingCode.MatchString(f.Finding) {
		return f, evidence.Page{}, apperr.New(apperr.InvalidRequest, "A finding's code is lower-case letters, digits and underscores.")
	}
	page := evidence.Page{After: time.UnixMilli(0)}
	if s := q.Get("after"); s != "" {
		var ok bool
		if page, ok = evidence.ParseCursor(s); !ok {
			return f, page, apperr.New(apperr.InvalidRequest, "This page of the queue does not exist; start from its first page.")
		}
	}
	return f, page, nil
}
