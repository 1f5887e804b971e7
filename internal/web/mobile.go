package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/change"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/httphtml"
	"github.com/rebindhq/rebind/internal/phone"
)

// The change and bind mobile pages (SPEC §3.3) live under /settings/mobile:
// GET /settings/mobile shows the step the flow stands at on the server, and
// each POST acts, then sends the browser back there (or shows the step
// again with the error next to the field). As on the reset pages, the flow
// id travels only in an HttpOnly cookie, never in a URL. A bind (no number
// bound) is the same flow without the SMS code to an old number.

func (p *Pages) mobileCookie() string { return p.site.CookieName("mobile") }

// numberCookie keeps the new number between the number step and the
// puzzle, and for "send again": the puzzle is bound to the number, and the
// service shows the number it holds only masked.
func (p *Pages) numberCookie() string { return p.site.CookieName("mobile_number") }

// mobileFlow is the signed-in caller and the flow of this browser.
type mobileFlow struct {
	caller change.Caller
	acc    account.Account
	kind   flow.Kind
	id     string
}

func (f mobileFlow) machine() *flow.Machine {
	if f.kind == flow.MobileBind {
		return change.BindMachine
	}
	return change.ChangeMachine
}

// mobilePage is what the change and bind templates receive.
type mobilePage struct {
	change.View
	Bind bool
	// Hold is the withdrawal hold after the change, for the texts.
	Hold string
	// Notice explains why the user is back at the start.
	Notice string
	// Errors shown beside their field.
	EmailError, SMSError, NumberError string
	// The number step: the countries and what was typed.
	Countries      []countryOption
	Region, Number string
	Puzzle         puzzleView
	// NoPuzzlePerDay is how many codes a day may be sent without the
	// puzzle.
	NoPuzzlePerDay int

	// page asks for the number form or the puzzle, which are also open
	// while the code to a new number is awaited.
	page string
}

func (p *Pages) mobileTitle(bind bool) string {
	if bind {
		return "Bind mobile number"
	}
	return "Change mobile number"
}

// signedIn returns the caller, or sends the browser to sign in.
func (p *Pages) signedIn(w http.ResponseWriter, r *http.Request) (change.Caller, account.Account, bool) {
	s, acc, err := p.current(r)
	if err != nil {
		httphtml.Redirect(w, r, "/login")
		return change.Caller{}, account.Account{}, false
	}
	return change.Caller{AccountID: s.AccountID, SessionID: s.ID, Account: acc}, acc, true
}

// flowCookie reads this browser's flow from its cookie, which holds the
// kind and the id: "bind.ID".
func (p *Pages) flowCookie(r *http.Request) (flow.Kind, string, bool) {
	kind, id, _ := strings.Cut(httphtml.Cookie(r, p.mobileCookie()), ".")
	if id == "" || (kind != "change" && kind != "bind") {
		return "", "", false
	}
	return flow.Kind("mobile_" + kind), id, true
}

func flowCookieValue(v change.View) string {
	return strings.TrimPrefix(string(v.Kind), "mobile_") + "." + v.FlowID
}

// mobileFlowOf returns this browser's flow, or sends the browser to sign
// in or to the start.
func (p *Pages) mobileFlowOf(w http.ResponseWriter, r *http.Request) (mobileFlow, bool) {
	c, acc, ok := p.signedIn(w, r)
	if !ok {
		return mobileFlow{}, false
	}
	kind, id, ok := p.flowCookie(r)
	if !ok {
		httphtml.Redirect(w, r, "/settings/mobile")
		return mobileFlow{}, false
	}
	return mobileFlow{caller: c, acc: acc, kind: kind, id: id}, true
}

func (p *Pages) mobilePage(w http.ResponseWriter, r *http.Request) error {
	c, acc, ok := p.signedIn(w, r)
	if !ok {
		return nil
	}
	kind, id, ok := p.flowCookie(r)
	if !ok {
		if httphtml.Cookie(r, p.mobileCookie()) != "" {
			p.clearMobile(w) // not a cookie of ours
		}
		return p.mobileIntro(w, r, http.StatusOK, acc, "", "")
	}
	return p.mobileShow(w, r, mobileFlow{caller: c, acc: acc, kind: kind, id: id}, http.StatusOK, mobilePage{}, "")
}

// mobileIntro shows the warning with [Continue], before any flow exists.
func (p *Pages) mobileIntro(w http.ResponseWriter, r *http.Request, status int, acc account.Account, notice, msg string) error {
	d := mobilePage{Bind: acc.Mobile == "", Hold: span(p.Change.Hold), Notice: notice}
	d.Current = acc.MaskedMobile()
	return p.site.Render(w, r, status, "mobile_intro", p.mobileTitle(d.Bind), d, msg)
}

func (p *Pages) clearMobile(w http.ResponseWriter) {
	p.site.ClearCookie(w, p.mobileCookie())
	p.site.ClearCookie(w, p.numberCookie())
}

// mobileShow shows the page of the step the flow stands at, with d's
// field errors and msg.
func (p *Pages) mobileShow(w http.ResponseWriter, r *http.Request, f mobileFlow, status int, d mobilePage, msg string) error {
	v, err := p.Change.Status(r.Context(), f.caller, f.kind, f.id)
	if apperr.Is(err, apperr.NotFound) {
		// Gone, or another account's: this browser signed in as someone else.
		p.clearMobile(w)
		return p.mobileIntro(w, r, http.StatusOK, f.acc, "", "")
	}
	if err != nil {
		return err
	}
	d.View, d.Bind, d.Hold = v, f.kind == flow.MobileBind, span(p.Change.Hold)
	title := p.mobileTitle(d.Bind)
	switch v.State {
	case change.VerifyCurrent, change.VerifyEmail:
		return p.site.Render(w, r, status, "mobile_verify", title, d, msg)
	case change.NewNumber, change.ConfirmNew:
		if d.page == "puzzle" {
			return p.renderPuzzle(w, r, f, status, d, msg)
		}
		if d.page == "number" || v.State == change.NewNumber {
			return p.renderNumber(w, r, status, f.acc, d, msg)
		}
		return p.site.Render(w, r, status, "mobile_confirm", title, d, msg)
	case flow.Completed:
		// Shown once: a later visit starts afresh.
		p.clearMobile(w)
		return p.site.Render(w, r, status, "mobile_done", title, d, msg)
	}
	p.clearMobile(w)
	return p.mobileIntro(w, r, http.StatusGone, f.acc,
		"The change you started is no longer open: it expired or was replaced by a newer one. You can start again below.", msg)
}

// mobileRefused shows a step the service refused, on the page of the step
// the flow stands at, with the reason beside the field named by where
// ("email", "sms", "number"; "" for the page); back at the start when the
// flow is gone. steps are the states the refused action needs: a
// wrong_state from a flow that moved on (a second click, the back button)
// just shows where it is now.
func (p *Pages) mobileRefused(w http.ResponseWriter, r *http.Request, f mobileFlow, d mobilePage, where string, err error, steps ...flow.State) error {
	e := apperr.As(err)
	var msg string
	switch e.Code {
	case apperr.FlowExpired, apperr.NotFound:
		p.clearMobile(w)
		return p.mobileIntro(w, r, http.StatusGone, f.acc, "", "This change has expired or was replaced by a newer one. Start again.")
	case apperr.WrongState:
		v, serr := p.Change.Status(r.Context(), f.caller, f.kind, f.id)
		if serr == nil && !slices.Contains(steps, v.State) {
			return httphtml.Redirect(w, r, "/settings/mobile")
		}
		msg = httphtml.Sentence(e.Message)
	case apperr.InvalidCode, apperr.CodeExpired, apperr.RateLimited:
		msg = codeError(e)
	case apperr.InvalidMobile, apperr.MobileUnavailable, apperr.InvalidRequest:
		msg = httphtml.Sentence(e.Message)
	default:
		return err
	}
	switch where {
	case "email":
		d.EmailError = msg
	case "sms":
		d.SMSError = msg
	case "number":
		d.NumberError = msg
	default:
		return p.mobileShow(w, r, f, e.Code.Status(), d, msg)
	}
	return p.mobileShow(w, r, f, e.Code.Status(), d, "")
}

// codeError says why a code was refused.
func codeError(e *apperr.Error) string {
	switch e.Code {
	case apperr.InvalidCode:
		return codeMessage(e)
	case apperr.CodeExpired:
		return "This code can no longer be used. Get a new code."
	case apperr.RateLimited:
		return waitMessage("No more codes can be sent for now.", e)
	}
	return "Enter the 6-digit code."
}

// countryOption is one entry of the [Country code] list.
type countryOption struct {
	Region, Label, Example string
}

// countryOptions is built once: the library's metadata does not change.
var countryOptions = sync.OnceValue(func() []countryOption {
	var list []countryOption
	for _, c := range phone.Countries() {
		name := c.Name
		if name == "" {
			name = c.Region
		}
		list = append(list, countryOption{Region: c.Region, Label: name + " +" + strconv.Itoa(c.CallingCode),
			Example: phone.ExampleMobile(c.Region)})
	}
	return list
})
