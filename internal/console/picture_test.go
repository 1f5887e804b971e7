package console_test

import (
	"bytes"
	"image/jpeg"
	"io"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/staff"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// The picture handler serves the holder the re-encoded copy as an image
// that is never cached, never sniffed and sandboxed (SEC-FILE-8), and
// records each view with the member's email and the flow (SEC-AUD-6). A
// picture of another application asked for under this one, or an unknown
// one, is 404 and recorded as nothing (SEC-FILE-7).
func TestPictureHandler(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		app := s.KYCApplication(t, "pic@example.com", pw, "+6581230901", 9)
		other := s.KYCApplication(t, "pic2@example.com", pw, "+6581230902", 10)
		file := application(t, s, app.ID).Files[0].ID
		otherFile := application(t, s, other.ID).Files[0].ID
		rev := newDesk(t, s, "eyes@example.com", staff.Reviewer)
		rev.must(303, appPath(app.ID, "/claim"), nil)

		resp, err := rev.c.Get(s.InternalURL + appPath(app.ID, "/files/", file))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != 200 || h.Get("Content-Type") != "image/jpeg" || h.Get("Cache-Control") != "no-store" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != "sandbox; default-src 'none'" ||
			h.Get("Content-Disposition") != "inline" {
			t.Fatalf("picture: %d %v", resp.StatusCode, h)
		}
		if _, err := jpeg.Decode(bytes.NewReader(body)); err != nil {
			t.Fatalf("not a JPEG: %v", err)
		}
		viewed := func() int {
			return storetest.Count(t, s.DB, `SELECT count(*) FROM audit_events WHERE action = 'document_viewed' AND actor = 'staff'
				AND flow_id = $1 AND account_id = $2 AND detail LIKE $3 AND detail LIKE $4`,
				app.FlowID, app.AccountID, `%"staff":"eyes@example.com"%`, `%"file":"`+file+`"%`)
		}
		if n := viewed(); n != 1 {
			t.Fatalf("%d views recorded", n)
		}
		for _, path := range []string{appPath(app.ID, "/files/", otherFile), appPath(app.ID, "/files/", "aaaaaaaaaaaaaaaaaaaaaaaaaa"),
			appPath(app.ID, "/files/", "nope")} {
			if resp, _ := rev.get(path); resp.StatusCode != 404 {
				t.Errorf("%s: %d", path, resp.StatusCode)
			}
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM audit_events WHERE action = 'document_viewed'"); n != 1 {
			t.Fatalf("%d views recorded in all", n)
		}
		// The page records nothing by itself; its history lists the view.
		if _, page := rev.get(appPath(app.ID)); !bytes.Contains([]byte(page), []byte(`data-event="document_viewed"`)) {
			t.Error("the history does not show the view")
		}
	})
}
