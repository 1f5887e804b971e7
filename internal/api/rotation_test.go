package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/staff"
)

func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Issue 13, item 1: the server secret is rotated in the middle of flows,
// the way docs/operations.md says: first every instance accepts the new
// secret (here "before": current S1, accepting S2), then each makes it
// current ("after": current S2, accepting S1). Work begun on one
// instance is finished on the other, in both directions: a code sent, a
// trusted device, an open quiz, a status link (old and rewritten), an
// uploaded document, a page's form token and a staff member's TOTP
// secret. Nothing is lost and nothing refused. (Queued mail across a
// rotation: internal/outbox's TestMessagesOpenAcrossARotation.)
func TestRotationInTheMiddleOfFlows(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		clk := clock.NewFake(time.Now().UTC().Truncate(time.Minute).Add(10 * time.Second))
		s1, s2 := newSecret(), newSecret()
		documents := "file://" + t.TempDir() // one bucket, as instances share
		start := func(current, previous string) *apptest.Server {
			return apptest.Start(t, apptest.Options{DatabaseURL: opts.DatabaseURL, Clock: clk,
				Env: map[string]string{"REBIND_SECRET": current, "REBIND_SECRET_PREVIOUS": previous, "REBIND_BLOB_URL": documents}})
		}
		before, after := start(s1, s2), start(s2, s1)
		for _, dir := range []struct {
			name     string
			from, to *apptest.Server
			n        string
		}{{"old to new", before, after, "1"}, {"new to old", after, before, "2"}} {
			t.Run(dir.name, func(t *testing.T) {
				rotateCodes(t, dir.from, dir.to, dir.n)
				rotateQuiz(t, dir.from, dir.to, dir.n)
				rotateDocuments(t, dir.from, dir.to, dir.n)
				rotatePages(t, dir.from, dir.to, dir.n)
				rotateStaff(t, dir.from, dir.to, dir.n, clk)
			})
		}
	})
}

// rotateCodes: a code sent by one instance is accepted by the other, and
// the device token that sign-in issued opens the owner's own limit on the
// first.
func rotateCodes(t *testing.T, from, to *apptest.Server, n string) {
	email, mobile := "rotating"+n+"@example.com", "+658123900"+n
	from.CreateAccount(t, email, pw, mobile, false)
	mark := from.Mark(t, mobile)
	r := from.Do(t, "POST", "/api/v1/sessions", "", signInBody(email, pw))
	if r.Status != 200 {
		t.Fatalf("sign-in: %d %s", r.Status, r.Raw)
	}
	r = to.Do(t, "POST", "/api/v1/sessions/"+r.Body["login_id"].(string)+"/verify", "", map[string]string{"code": from.CodeSince(t, mobile, mark)})
	dev, _ := r.Body["device_token"].(string)
	if r.Status != 200 || dev == "" {
		t.Fatalf("the code sent before, entered on the other instance: %d %s", r.Status, r.Raw)
	}
	for range 10 {
		to.Do(t, "POST", "/api/v1/sessions", "", signInBody(email, "guess-"+pw))
	}
	if r := from.Do(t, "POST", "/api/v1/sessions", "", signInBody(email, pw)); r.Status != 429 {
		t.Fatalf("after 10 guesses, without the device: %d %s", r.Status, r.Raw)
	}
	if r := fromDevice(t, from, "/api/v1/sessions", dev, signInBody(email, pw)); r.Status != 200 {
		t.Fatalf("the device token the other instance signed: %d %s", r.Status, r.Raw)
	}
}

// rotateQuiz: a quiz opened on one instance is answered on the other.
func rotateQuiz(t *testing.T, from, to *apptest.Server, n string) {
	email := "quizzed" + n + "@example.com"
	id := resetAccount(t, from, email, "+658123910"+n, 3)
	flowID := startReset(t, from, email)
	r := from.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz", "", nil)
	if r.Status != 201 {
		t.Fatalf("quiz: %d %s", r.Status, r.Raw)
	}
	right := answer(t, from, id, r.Body)
	r = to.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz/"+r.Body["quiz_id"].(string)+"/answers", "", map[string]any{"answers": right})
	if r.Status != 200 || r.Body["result"] != "passed" {
		t.Fatalf("the right answers, on the other instance: %d %s", r.Status, r.Raw)
	}
}

// rotateDocuments: an application's status link and its pictures open on
// the other instance, and a link the other instance writes (a later
// email) opens on the first.
func rotateDocuments(t *testing.T, from, to *apptest.Server, n string) {
	app := from.KYCApplication(t, "documented"+n+"@example.com", pw, "+658123920"+n, 7)
	statusPage(t, to, app.Secret)
	link := to.Reset.StatusLink(app.ID)
	_, secret, _ := strings.Cut(link, "/reset-mobile/status/")
	if secret == app.Secret {
		t.Fatal("the other instance wrote the link under the same key")
	}
	statusPage(t, from, secret)
	ctx := context.Background()
	a, err := to.Reset.Evidence.Get(ctx, to.DB, app.ID)
	if err != nil || len(a.Files) == 0 {
		t.Fatalf("application: %d files, %v", len(a.Files), err)
	}
	want, err := from.Blobs.Get(ctx, a.Files[0].BlobID)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := to.Blobs.Get(ctx, a.Files[0].BlobID); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the picture on the other instance: %d bytes, %v", len(got), err)
	}
}

func statusPage(t *testing.T, s *apptest.Server, secret string) {
	t.Helper()
	resp, err := http.Get(s.URL + "/reset-mobile/status/" + secret)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Your application is under review.") {
		t.Fatalf("status link on %s: %d", s.URL, resp.StatusCode)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// rotatePages: a form served by one instance posts to the other.
func rotatePages(t *testing.T, from, to *apptest.Server, n string) {
	email := "paged" + n + "@example.com"
	from.CreateAccount(t, email, pw, "", false)
	c := from.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(from.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no form token on the sign-in page: %s", page)
	}
	// The browser's cookies are per host, not per port: the nonce goes
	// to the other instance too, as it would behind one address.
	resp, err = c.PostForm(to.URL+"/login", url.Values{"csrf": {string(m[1])}, "email": {email}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login/verify") {
		t.Fatalf("the form of the other instance: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// rotateStaff: a staff member enrolled on one instance signs in on the
// other with the TOTP secret the first sealed.
func rotateStaff(t *testing.T, from, to *apptest.Server, n string, clk *clock.Fake) {
	email := "reviewer" + n + "@example.com"
	_, secret, _ := from.StaffMember(t, email, staff.Reviewer)
	clk.Advance(30 * time.Second)
	code, err := totp.GenerateCode(secret, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx := client.With(context.Background(), client.Info{IP: "192.0.2.9", RequestID: "rotation"})
	if _, err := to.Staff.SignIn(ctx, staff.Attempt{Email: email, Password: apptest.StaffPassword, Code: code}); err != nil {
		t.Fatalf("staff sign-in on the other instance: %v", err)
	}
}
