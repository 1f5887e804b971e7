package web

import (
	"net/http"
	"strings"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/httphtml"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/reset"
)

// The actions of the reset pages. Each translates a form into one call of
// reset.Service and sends the browser back to GET /reset-mobile.

// resetAgree records that the instructions were read and accepted.
func (p *Pages) resetAgree(w http.ResponseWriter, r *http.Request) error {
	if r.PostFormValue("agree") != "yes" {
		return p.renderInstructions(w, r, http.StatusBadRequest, "", "Tick the box to confirm that you have read and accept the reset instructions.")
	}
	p.site.SetCookie(w, p.agreedCookie(), "yes", reset.Machine.Lifetime)
	return httphtml.Redirect(w, r, "/reset-mobile")
}

// resetStart checks email and password and opens the reset, which sends
// the email code.
func (p *Pages) resetStart(w http.ResponseWriter, r *http.Request) error {
	agreed := httphtml.Cookie(r, p.agreedCookie()) != ""
	email, pw := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")
	if agreed && (email == "" || pw == "") {
		return p.resetIntro(w, r, http.StatusBadRequest, email, "Enter your email and password.")
	}
	v, err := p.Reset.Start(r.Context(), p.credentials(r, email, pw), agreed)
	if apperr.As(err).Fields["field"] == "agree" {
		return p.renderInstructions(w, r, http.StatusBadRequest, "", "Read the reset instructions and tick the box to accept them first.")
	}
	if err != nil {
		e := apperr.As(err)
		var msg string
		switch e.Code {
		case apperr.InvalidCredentials, apperr.Forbidden, apperr.WrongState, apperr.InvalidRequest:
			msg = e.Message
		case apperr.RateLimited:
			msg = waitMessage("Too many attempts.", e)
		default:
			return err
		}
		return p.resetIntro(w, r, e.Code.Status(), email, msg)
	}
	p.site.SetCookie(w, p.resetCookie(), v.FlowID, reset.Machine.Lifetime)
	p.site.ClearCookie(w, p.agreedCookie())
	return httphtml.Redirect(w, r, "/reset-mobile")
}

// resetResend sends a new email code.
func (p *Pages) resetResend(w http.ResponseWriter, r *http.Request) error {
	id, ok := p.resetFlowID(w, r)
	if !ok {
		return nil
	}
	if _, err := p.Reset.ResendEmailCode(r.Context(), id); err != nil {
		return p.resetRefused(w, r, reset.EmailCodeRequired, err)
	}
	return httphtml.Redirect(w, r, "/reset-mobile")
}

// resetVerify checks the email code.
func (p *Pages) resetVerify(w http.ResponseWriter, r *http.Request) error {
	id, ok := p.resetFlowID(w, r)
	if !ok {
		return nil
	}
	entered := strings.TrimSpace(r.PostFormValue("code"))
	if entered == "" {
		return p.resetRefused(w, r, reset.EmailCodeRequired, apperr.New(apperr.InvalidRequest, "Enter the 6-digit code."))
	}
	if _, err := p.Reset.VerifyEmailCode(r.Context(), id, entered); err != nil {
		return p.resetRefused(w, r, reset.EmailCodeRequired, err)
	}
	return httphtml.Redirect(w, r, "/reset-mobile")
}

// resetQuiz issues security questions: [Start now], or [Continue] after a
// failed attempt. Issuing uses a chance.
func (p *Pages) resetQuiz(w http.ResponseWriter, r *http.Request) error {
	id, ok := p.resetFlowID(w, r)
	if !ok {
		return nil
	}
	if _, err := p.Reset.StartQuiz(r.Context(), id); err != nil {
		return p.resetRefused(w, r, reset.MethodRequired, err)
	}
	return httphtml.Redirect(w, r, "/reset-mobile")
}

// resetAnswers submits the ticked options. Every question of the quiz is
// answered, with an empty list where nothing was ticked.
func (p *Pages) resetAnswers(w http.ResponseWriter, r *http.Request) error {
	id, ok := p.resetFlowID(w, r)
	if !ok {
		return nil
	}
	q, err := p.Reset.CurrentQuiz(r.Context(), id)
	if err != nil {
		return p.resetRefused(w, r, reset.QuizInProgress, err)
	}
	// A form from an older page (the back button) would otherwise be
	// checked, as all blanks, against the questions now live.
	if q.ID != r.PostFormValue("quiz") {
		return httphtml.Redirect(w, r, "/reset-mobile")
	}
	answers := make(map[string][]string, len(q.Questions))
	blank := map[string]bool{}
	for _, question := range q.Questions {
		answers[question.ID] = append([]string{}, r.PostForm["q-"+question.ID]...)
		if len(answers[question.ID]) == 0 {
			blank[question.ID] = true
		}
	}
	if len(blank) > 0 && r.PostFormValue("blank") != "ok" {
		return p.askBlank(w, r, id, q, answers, blank)
	}
	if _, err := p.Reset.Answer(r.Context(), id, q.ID, answers); err != nil {
		return p.resetRefused(w, r, reset.QuizInProgress, err)
	}
	return httphtml.Redirect(w, r, "/reset-mobile")
}

// askBlank shows the same questions again, with what was ticked, when a
// question was left blank: every question has a right option, so such
// answers cannot pass, and a page without its script (which asks first)
// must not end the attempt unasked. Nothing is submitted; the chance was
// used when the questions were issued and the deadline stays, so the page
// says both. [Submit anyway] sends the answers as they are.
func (p *Pages) askBlank(w http.ResponseWriter, r *http.Request, id string, q quiz.Issued, answers map[string][]string, blank map[string]bool) error {
	v, err := p.Reset.Status(r.Context(), id)
	if err != nil {
		return p.resetRefused(w, r, reset.QuizInProgress, err)
	}
	d := p.resetData(v)
	d.Quiz, d.Blank, d.Ticked = q, blank, map[string]map[string]bool{}
	for question, opts := range answers {
		d.Ticked[question] = map[string]bool{}
		for _, o := range opts {
			d.Ticked[question][o] = true
		}
	}
	return p.site.Render(w, r, http.StatusUnprocessableEntity, "reset_mobile_quiz", resetTitle, d, "")
}

// resetCancel ends this browser's reset, to start again (perhaps with
// another account). A flow that already ended needs nothing more.
func (p *Pages) resetCancel(w http.ResponseWriter, r *http.Request) error {
	if id := httphtml.Cookie(r, p.resetCookie()); id != "" {
		err := p.Reset.Cancel(r.Context(), id)
		if err != nil && !apperr.Is(err, apperr.NotFound) && !apperr.Is(err, apperr.WrongState) && !apperr.Is(err, apperr.FlowExpired) {
			return err
		}
	}
	p.site.ClearCookie(w, p.resetCookie())
	p.site.ClearCookie(w, p.agreedCookie())
	return httphtml.Redirect(w, r, "/reset-mobile")
}
