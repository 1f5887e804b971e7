package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/browsertest"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/staff"
)

// In Chromium, at a desktop's width and at 320 px, without sideways
// scrolling: a reviewer signs in and works the queue. They claim an
// email-screenshot application, zoom its picture with the keyboard on
// [Zoom in] and turn it with R, and reject it with a reason and a note
// (the owner is emailed both); they claim a KYC application, tick the
// checklist and approve it (the owner's number is unbound, verification
// off, the owner emailed); they give the first approval of a high-value
// account's application, which then awaits a second; their own account's
// application offers no [Claim]. A supervisor, in another browser
// session, claims the high-value application and gives the second
// approval.
func TestBrowserReview(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, clk := fakeServer(t, opts)
		browser := browsertest.New(t, 240*time.Second)
		for i, width := range []int64{1280, 320} {
			w := &reviewWalk{t: t, s: s, clk: clk, name: fmt.Sprintf("%d px", width), n: i}
			w.apps()
			rev, cancel := tabFor(t, browser, width)
			defer cancel()
			w.signIn(rev, w.reviewer)
			w.rejectWithZoom(rev)
			w.approve(rev)
			w.firstApproval(rev)
			w.ownRefused(rev)
			sup, cancel := tabFor(t, browser, width)
			defer cancel()
			w.signIn(sup, w.supervisor)
			w.secondApproval(sup)
		}
	})
}

// reviewWalk is one run of TestBrowserReview: its applications and staff.
type reviewWalk struct {
	t                    *testing.T
	s                    *apptest.Server
	clk                  *clock.Fake
	name                 string
	n                    int
	emails, kyc, rich    apptest.Application
	own                  apptest.Application
	reviewer, supervisor staff.Member
	secrets              map[string]string
}

func (w *reviewWalk) email(who string) string { return fmt.Sprintf("%s%d@example.com", who, w.n) }

func (w *reviewWalk) apps() {
	t, s := w.t, w.s
	mobile := func(k int) string { return fmt.Sprintf("+658124%02d%02d", w.n, k) }
	w.emails = emailsApplication(t, s, w.email("mail"), mobile(1), uint64(40+w.n))
	w.kyc = s.KYCApplication(t, w.email("face"), pw, mobile(2), uint64(50+w.n))
	w.rich = s.KYCApplication(t, w.email("rich"), pw, mobile(3), uint64(60+w.n))
	highValue(t, s, w.rich.AccountID)
	w.own = s.KYCApplication(t, w.email("rev"), pw, mobile(4), uint64(70+w.n))
	w.secrets = map[string]string{}
	var secret string
	w.reviewer, secret, _ = s.StaffMember(t, w.email("rev"), staff.Reviewer)
	w.secrets[w.reviewer.Email] = secret
	w.supervisor, secret, _ = s.StaffMember(t, w.email("sup"), staff.Supervisor)
	w.secrets[w.supervisor.Email] = secret
	nextStep(w.clk) // the enrolments used this step's codes
}

// tabFor opens a tab in a browser session of its own (its own cookies) at
// width.
func tabFor(t *testing.T, browser context.Context, width int64) (context.Context, context.CancelFunc) {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(tab, chromedp.EmulateViewport(width, 900)); err != nil {
		t.Fatal(err)
	}
	return tab, cancel
}

func (w *reviewWalk) signIn(tab context.Context, m staff.Member) {
	w.t.Helper()
	w.run(tab, chromedp.Navigate(w.s.InternalURL+"/staff/login"))
	waitPage(w.t, tab, "login")
	signInInBrowser(w.t, tab, m.Email, apptest.StaffPassword, code(w.t, w.secrets[m.Email], w.clk))
	waitPage(w.t, tab, "queue")
	fits(w.t, tab, w.name+" queue")
}

func (w *reviewWalk) run(tab context.Context, actions ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	if err := chromedp.Do(tab, actions...); err != nil {
		page, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.body.dataset.page + ": " + document.querySelector("main").innerText`))
		w.t.Fatalf("%s: %v; on %s", w.name, err, page)
	}
}

// openFromQueue goes to the queue and follows the application's link.
func (w *reviewWalk) openFromQueue(tab context.Context, id string) {
	w.t.Helper()
	w.run(tab, chromedp.Navigate(w.s.InternalURL+"/staff"))
	waitPage(w.t, tab, "queue")
	w.run(tab, chromedp.Click(chromedp.CSS(`li[data-application="`+id+`"] a.app-link`)))
	waitPage(w.t, tab, "application")
}

// claim presses [Claim] and waits for the pictures to load. A reviewer
// sees none before.
func (w *reviewWalk) claim(tab context.Context, reviewer bool) {
	w.t.Helper()
	if reviewer && evaluate[int](w.t, tab, `document.querySelectorAll("figure[data-viewer]").length`) != 0 {
		w.t.Fatalf("%s: pictures shown before the claim", w.name)
	}
	w.run(tab, chromedp.Click(chromedp.CSS(`button[data-action="claim"]`)), chromedp.WaitVisible(chromedp.CSS(`form[data-form="reject"]`)))
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](`Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)`)); err != nil {
		w.t.Fatalf("%s: the pictures do not load: %v", w.name, err)
	}
}

func (w *reviewWalk) rejectWithZoom(tab context.Context) {
	t := w.t
	w.openFromQueue(tab, w.emails.ID)
	w.claim(tab, true)
	fits(t, tab, w.name+" application")
	box := func() [2]float64 {
		return evaluate[[2]float64](t, tab, `(r => [r.width, r.height])(document.querySelector("#picture-1 .turn").getBoundingClientRect())`)
	}
	before := box()
	w.run(tab, chromedp.Focus(chromedp.CSS(`#picture-1 button[data-zoom="in"]`)), chromedp.KeyEvent("\r"))
	zoomed := box()
	if evaluate[string](t, tab, `document.getElementById("picture-1").dataset.zoom`) != "1.5" || zoomed[0] < before[0]*1.4 {
		t.Fatalf("%s: zoom in: %v to %v", w.name, before, zoomed)
	}
	w.run(tab, chromedp.Focus(chromedp.CSS(`#picture-1 .stage`)), chromedp.KeyEvent("r"))
	turned := box()
	if evaluate[string](t, tab, `document.getElementById("picture-1").dataset.rotation`) != "90" || !(zoomed[0] > zoomed[1] && turned[1] > turned[0]) {
		t.Fatalf("%s: rotate: %v to %v", w.name, zoomed, turned)
	}
	fits(t, tab, w.name+" zoomed and turned")
	note := "Please send a screenshot that shows the whole message."
	w.run(tab,
		chromedp.SetValue(chromedp.CSS(`#reason`), "screenshot_not_accepted"),
		chromedp.SendKeys(chromedp.CSS(`#note`), note),
		chromedp.Click(chromedp.CSS(`button[data-action="reject"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-state="rejected"]`)))
	msg := w.waitMail(w.email("mail"), "were not accepted")
	if !strings.Contains(msg, note) || !strings.Contains(msg, evidence.Reasons["screenshot_not_accepted"]) {
		t.Errorf("%s: the rejection email:\n%s", w.name, msg)
	}
}

func (w *reviewWalk) approve(tab context.Context) {
	w.openFromQueue(tab, w.kyc.ID)
	w.claim(tab, true)
	w.tickAndApprove(tab, "Approve")
	w.run(tab, chromedp.WaitVisible(chromedp.CSS(`[data-state="approved"]`)))
	w.resetDone(w.kyc, w.email("face"))
}

// tickAndApprove ticks every item of the checklist and presses the
// approve button labelled label.
func (w *reviewWalk) tickAndApprove(tab context.Context, label string) {
	w.t.Helper()
	if n := evaluate[int](w.t, tab, `(l => (l.forEach(b => b.click()), l.length))(document.querySelectorAll('input[name="check"]'))`); n == 0 {
		w.t.Fatalf("%s: no checklist", w.name)
	}
	if got := evaluate[string](w.t, tab, `document.querySelector('button[data-action="approve"]').textContent`); got != label {
		w.t.Fatalf("%s: the approve button says %q", w.name, got)
	}
	w.run(tab, chromedp.Click(chromedp.CSS(`button[data-action="approve"]`)))
}

func (w *reviewWalk) firstApproval(tab context.Context) {
	w.openFromQueue(tab, w.rich.ID)
	w.claim(tab, true)
	if !evaluate[bool](w.t, tab, `!!document.querySelector("[data-needs-two]")`) {
		w.t.Errorf("%s: the page does not say two approvals are needed", w.name)
	}
	w.tickAndApprove(tab, "Approve")
	w.run(tab, chromedp.WaitVisible(chromedp.CSS(`[data-awaits-second]`)))
	if text := mainText(w.t, tab); !strings.Contains(text, "awaiting a second approval by another supervisor") {
		w.t.Errorf("%s: after the first approval:\n%s", w.name, text)
	}
}

func (w *reviewWalk) ownRefused(tab context.Context) {
	w.openFromQueue(tab, w.own.ID)
	if text := mainText(w.t, tab); !strings.Contains(text, "This application is of your own account") ||
		evaluate[bool](w.t, tab, `!!document.querySelector('button[data-action="claim"]')`) {
		w.t.Errorf("%s: own application:\n%s", w.name, text)
	}
	fits(w.t, tab, w.name+" own application")
}

func (w *reviewWalk) secondApproval(tab context.Context) {
	w.openFromQueue(tab, w.rich.ID)
	w.claim(tab, false)
	w.tickAndApprove(tab, "Approve (second approval)")
	w.run(tab, chromedp.WaitVisible(chromedp.CSS(`[data-state="approved"]`)))
	w.resetDone(w.rich, w.email("rich"))
}

// resetDone checks that app's approval took effect: the account's number
// unbound, mobile verification off, the owner emailed.
func (w *reviewWalk) resetDone(app apptest.Application, email string) {
	w.t.Helper()
	acc, err := w.s.Accounts.ByID(context.Background(), w.s.DB, app.AccountID)
	if err != nil || acc.Mobile != "" || acc.MobileVerification {
		w.t.Fatalf("%s: after approval, mobile %q, verification %v, %v", w.name, acc.Mobile, acc.MobileVerification, err)
	}
	w.waitMail(email, "Mobile verification was reset")
}

// waitMail waits for a message to "to" whose subject holds subject, and
// returns its body.
func (w *reviewWalk) waitMail(to, subject string) string {
	w.t.Helper()
	var body string
	apptest.Eventually(w.t, 10*time.Second, subject+" to "+to, func() bool {
		for _, m := range w.s.Messages(w.t, to) {
			if strings.Contains(m.Subject, subject) {
				body = m.Body
				return true
			}
		}
		return false
	})
	return body
}
