package web

import (
	"net/http"
	"strings"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/change"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/httphtml"
)

// The actions of the change and bind pages. Each translates a form into one
// call of change.Service and sends the browser back to GET /settings/mobile.

// mobileStart opens the flow: [Continue] on the warning. A change when a
// number is bound, a bind when none is; the codes are sent when asked for.
func (p *Pages) mobileStart(w http.ResponseWriter, r *http.Request) error {
	c, acc, ok := p.signedIn(w, r)
	if !ok {
		return nil
	}
	kind := flow.MobileChange
	if acc.Mobile == "" {
		kind = flow.MobileBind
	}
	v, err := p.Change.Start(r.Context(), c, kind)
	if err != nil {
		e := apperr.As(err)
		if e.Code.Status() >= 500 {
			return err
		}
		return p.mobileIntro(w, r, e.Code.Status(), acc, "", httphtml.Sentence(e.Message))
	}
	p.site.SetCookie(w, p.mobileCookie(), flowCookieValue(v), change.Lifetime)
	p.site.ClearCookie(w, p.numberCookie())
	return httphtml.Redirect(w, r, "/settings/mobile")
}

// mobileEmailCode sends the [Email verification code].
func (p *Pages) mobileEmailCode(w http.ResponseWriter, r *http.Request) error {
	f, ok := p.mobileFlowOf(w, r)
	if !ok {
		return nil
	}
	if _, err := p.Change.SendEmailCode(r.Context(), f.caller, f.kind, f.id); err != nil {
		return p.mobileRefused(w, r, f, mobilePage{}, "email", err, f.machine().Initial)
	}
	return httphtml.Redirect(w, r, "/settings/mobile")
}

// mobileSMSCode sends the [SMS code] to the number bound now.
func (p *Pages) mobileSMSCode(w http.ResponseWriter, r *http.Request) error {
	f, ok := p.mobileFlowOf(w, r)
	if !ok {
		return nil
	}
	if f.kind != flow.MobileChange {
		return httphtml.Redirect(w, r, "/settings/mobile") // a bind has no old number
	}
	if _, err := p.Change.SendSMSCode(r.Context(), f.caller, f.id); err != nil {
		return p.mobileRefused(w, r, f, mobilePage{}, "sms", err, change.VerifyCurrent)
	}
	return httphtml.Redirect(w, r, "/settings/mobile")
}

// mobileVerify checks the codes of the first step: [Next].
func (p *Pages) mobileVerify(w http.ResponseWriter, r *http.Request) error {
	f, ok := p.mobileFlowOf(w, r)
	if !ok {
		return nil
	}
	email, sms := strings.TrimSpace(r.PostFormValue("email_code")), strings.TrimSpace(r.PostFormValue("sms_code"))
	if f.kind == flow.MobileBind {
		sms = ""
	}
	_, err := p.Change.Verify(r.Context(), f.caller, f.kind, f.id, email, sms)
	if err == nil {
		return httphtml.Redirect(w, r, "/settings/mobile")
	}
	e := apperr.As(err)
	if e.Code != apperr.InvalidCode && e.Code != apperr.CodeExpired && e.Code != apperr.InvalidRequest {
		return p.mobileRefused(w, r, f, mobilePage{}, "", err, f.machine().Initial)
	}
	// A right code was recorded even if the other was wrong; what is still
	// missing after the check failed. The service checks the email code
	// first and returns only the first refusal, so a second failed code
	// gets a message without its attempts left.
	after, serr := p.Change.Status(r.Context(), f.caller, f.kind, f.id)
	if serr != nil {
		return p.mobileRefused(w, r, f, mobilePage{}, "", serr, f.machine().Initial)
	}
	var d mobilePage
	if !after.EmailVerified {
		d.EmailError = fieldError(email, e, "email verification code")
		e = nil
	}
	if f.kind == flow.MobileChange && !after.SMSVerified {
		d.SMSError = fieldError(sms, e, "SMS code")
	}
	return p.mobileShow(w, r, f, apperr.As(err).Code.Status(), d, "")
}

// fieldError says why an entered code was not accepted; e is nil when the
// reason is not known.
func fieldError(entered string, e *apperr.Error, label string) string {
	switch {
	case entered == "":
		return "Enter the 6-digit " + label + "."
	case e == nil:
		return "This code was not accepted either. Check it, or get a new code."
	}
	return codeError(e)
}

// mobileConfirm checks the [SMS code] sent to the new number: [Next].
func (p *Pages) mobileConfirm(w http.ResponseWriter, r *http.Request) error {
	f, ok := p.mobileFlowOf(w, r)
	if !ok {
		return nil
	}
	entered := strings.TrimSpace(r.PostFormValue("sms_code"))
	if entered == "" {
		return p.mobileShow(w, r, f, http.StatusBadRequest, mobilePage{SMSError: "Enter the 6-digit SMS code."}, "")
	}
	_, err := p.Change.Confirm(r.Context(), f.caller, f.kind, f.id, entered)
	if apperr.Is(err, apperr.MobileUnavailable) {
		// Said only now that the code proved the phone is at hand, and
		// without saying whose it is.
		region, _, _ := p.newNumberOf(r)
		p.site.ClearCookie(w, p.numberCookie())
		d := mobilePage{page: "number", Region: region,
			NumberError: "This number cannot be bound to your account. Enter another number."}
		return p.mobileShow(w, r, f, http.StatusUnprocessableEntity, d, "")
	}
	if err != nil {
		return p.mobileRefused(w, r, f, mobilePage{}, "sms", err, change.ConfirmNew)
	}
	return httphtml.Redirect(w, r, "/settings/mobile")
}

// mobileCancel ends the change (or bind) and leaves it. A flow that has
// already ended needs nothing more.
func (p *Pages) mobileCancel(w http.ResponseWriter, r *http.Request) error {
	f, ok := p.mobileFlowOf(w, r)
	if !ok {
		return nil // sent to sign in or to the start
	}
	err := p.Change.Cancel(r.Context(), f.caller, f.kind, f.id)
	if err != nil && !apperr.Is(err, apperr.NotFound) && !apperr.Is(err, apperr.WrongState) && !apperr.Is(err, apperr.FlowExpired) {
		return err
	}
	p.clearMobile(w)
	return httphtml.Redirect(w, r, "/settings")
}
