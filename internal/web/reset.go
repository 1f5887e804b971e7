package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/httphtml"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/reset"
)

// The reset pages (SPEC §3.2) live at one address, /reset-mobile: GET shows
// the step the flow stands at on the server, and each POST acts, then sends
// the browser back there (or shows the same step again with an error). The
// flow id travels only in an HttpOnly cookie, never in a URL, so it cannot
// leak through history, logs or a shared link.

const resetTitle = "Reset Mobile Verification"

func (p *Pages) resetCookie() string { return p.site.CookieName("reset") }

// agreedCookie records that the reset instructions were accepted: no flow
// exists until email and password are checked, and the service's Start is
// only called once the user agreed (the API's "agree": true).
func (p *Pages) agreedCookie() string { return p.site.CookieName("reset_agreed") }

// resetPage is what the reset templates receive.
type resetPage struct {
	reset.View
	// Email is what was typed on the account step, kept after an error.
	Email string
	// Notice explains why the user is back at the start.
	Notice string
	Quiz   quiz.Issued
	// Ticked and Blank show answers sent back for a question left blank:
	// the options ticked, by question and option, and the questions with
	// none.
	Ticked map[string]map[string]bool
	Blank  map[string]bool
	// CanQuiz is whether security questions are on offer now.
	CanQuiz bool
	// QuizOff is whether the questions are switched off for everyone.
	QuizOff bool
	// The rules in force, for the texts.
	Questions, Chances int
	QuizTime, Hold     string
}

func (p *Pages) resetData(v reset.View) resetPage {
	rules := p.Quiz.Rules()
	d := resetPage{View: v, QuizOff: !p.Reset.QuizEnabled, Questions: rules.Questions, Chances: rules.Chances,
		QuizTime: span(rules.Lifetime), Hold: span(p.Reset.Hold)}
	for _, m := range v.Methods {
		d.CanQuiz = d.CanQuiz || m == reset.MethodQuestions
	}
	return d
}

func (p *Pages) resetMobilePage(w http.ResponseWriter, r *http.Request) error {
	id := httphtml.Cookie(r, p.resetCookie())
	if id == "" {
		return p.resetIntro(w, r, http.StatusOK, "", "")
	}
	v, err := p.Reset.Status(r.Context(), id)
	if apperr.Is(err, apperr.NotFound) {
		p.site.ClearCookie(w, p.resetCookie())
		return p.resetIntro(w, r, http.StatusOK, "", "")
	}
	if err != nil {
		return err
	}
	return p.renderReset(w, r, http.StatusOK, v, "")
}

// resetIntro shows the first steps: the instructions, or the account step
// once they were accepted.
func (p *Pages) resetIntro(w http.ResponseWriter, r *http.Request, status int, email, msg string) error {
	if httphtml.Cookie(r, p.agreedCookie()) == "" {
		return p.renderInstructions(w, r, status, "", msg)
	}
	d := p.resetData(reset.View{})
	d.Email = email
	return p.site.Render(w, r, status, "reset_mobile_account", resetTitle, d, msg)
}

func (p *Pages) renderInstructions(w http.ResponseWriter, r *http.Request, status int, notice, msg string) error {
	d := p.resetData(reset.View{})
	d.Notice = notice
	return p.site.Render(w, r, status, "reset_mobile", resetTitle, d, msg)
}

// renderReset shows the page of the step flow v stands at.
func (p *Pages) renderReset(w http.ResponseWriter, r *http.Request, status int, v reset.View, msg string) error {
	d := p.resetData(v)
	switch v.State {
	case reset.EmailCodeRequired:
		return p.site.Render(w, r, status, "reset_mobile_code", resetTitle, d, msg)
	case reset.MethodRequired:
		// The flow keeps the id of its last quiz: back here with one, that
		// attempt failed or ran out of time.
		if v.QuizID != "" {
			return p.site.Render(w, r, status, "reset_mobile_failed", resetTitle, d, msg)
		}
		return p.site.Render(w, r, status, "reset_mobile_method", resetTitle, d, msg)
	case reset.QuizInProgress:
		q, err := p.Reset.CurrentQuiz(r.Context(), v.FlowID)
		if err != nil {
			return err // an error page, not a redirect: a stuck quiz must not loop
		}
		d.Quiz = q
		return p.site.Render(w, r, status, "reset_mobile_quiz", resetTitle, d, msg)
	case reset.UnderReview:
		if v.Application != nil {
			return p.site.Render(w, r, status, "reset_mobile_review", resetTitle, p.applicationData(v, *v.Application), msg)
		}
	case flow.Completed:
		// Shown once: the reset is over and a later visit starts afresh.
		p.site.ClearCookie(w, p.resetCookie())
		return p.site.Render(w, r, status, "reset_mobile_done", resetTitle, d, msg)
	}
	p.site.ClearCookie(w, p.resetCookie())
	if v.Application != nil { // rejected, cancelled or expired: how and what next
		return p.site.Render(w, r, status, "reset_status", statusTitle, p.applicationData(v, *v.Application), msg)
	}
	return p.renderInstructions(w, r, status, "The reset you started is no longer open: it expired, was cancelled, or was replaced by a newer one. You can start again below.", msg)
}

// resetRefused shows a step the service refused: on the page of the step
// the flow stands at, with the reason; back at the start when the flow is
// gone. step is the state the refused action needs: a wrong_state from a
// flow that has moved on (a second click, the back button) just shows
// where it is now.
func (p *Pages) resetRefused(w http.ResponseWriter, r *http.Request, step flow.State, err error) error {
	e := apperr.As(err)
	var msg string
	switch e.Code {
	case apperr.FlowExpired, apperr.NotFound:
		p.site.ClearCookie(w, p.resetCookie())
		return p.renderInstructions(w, r, http.StatusGone, "", "This reset has expired or was cancelled. Start again.")
	case apperr.InvalidCode:
		msg = codeMessage(e)
	case apperr.CodeExpired:
		msg = "This code can no longer be used. Get a new code."
	case apperr.RateLimited:
		msg = waitMessage("A code was sent a moment ago.", e)
	case apperr.WrongState, apperr.QuizUnavailable, apperr.InvalidRequest:
		msg = e.Message
	default:
		return err
	}
	v, serr := p.Reset.Status(r.Context(), httphtml.Cookie(r, p.resetCookie()))
	if serr != nil {
		return p.resetRefused(w, r, step, serr)
	}
	if e.Code == apperr.WrongState && v.State != step {
		return httphtml.Redirect(w, r, "/reset-mobile")
	}
	return p.renderReset(w, r, e.Code.Status(), v, msg)
}

// resetFlowID returns the flow of this browser, or sends it to the start.
func (p *Pages) resetFlowID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := httphtml.Cookie(r, p.resetCookie())
	if id == "" {
		httphtml.Redirect(w, r, "/reset-mobile")
		return "", false
	}
	return id, true
}

// waitMessage says how long a rate-limited user should wait.
func waitMessage(lead string, e *apperr.Error) string {
	secs, _ := e.Fields["retry_after_seconds"].(int)
	wait := "a moment"
	switch {
	case secs >= 90:
		wait = strconv.Itoa((secs+59)/60) + " minutes"
	case secs > 1:
		wait = strconv.Itoa(secs) + " seconds"
	case secs == 1:
		wait = "1 second"
	}
	return lead + " Try again in " + wait + "."
}

// span writes a configured duration for a sentence: "24 hours".
func span(d time.Duration) string {
	unit := func(n int64, word string) string {
		if n == 1 {
			return "1 " + word
		}
		return fmt.Sprintf("%d %ss", n, word)
	}
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	}
	return d.String()
}
