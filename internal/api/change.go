package api

import (
	"net/http"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/change"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/httpjson"
)

// caller returns the signed-in caller of a change or bind, with the
// account the session lookup read, which the service then does not read
// again.
func (a *API) caller(r *http.Request) (change.Caller, error) {
	s, acc, err := a.current(r)
	if err != nil {
		return change.Caller{}, err
	}
	return change.Caller{AccountID: s.AccountID, SessionID: s.ID, Account: acc}, nil
}

func (a *API) changeView(v change.View) map[string]any {
	out := map[string]any{"flow_id": v.FlowID, "state": v.State, "expires_at": v.ExpiresAt}
	if v.Kind == flow.MobileChange {
		out["current"] = v.Current
		out["email_verified"], out["sms_verified"] = v.EmailVerified, v.SMSVerified
	} else {
		out["email_verified"] = v.EmailVerified
	}
	if v.NewNumber != "" {
		out["new_number"] = v.NewNumber
	}
	return out
}

// changeRoutes registers the change and bind endpoints for one kind.
func (a *API) changeRoutes(handle func(string, httpjson.Handler), kind flow.Kind) {
	base := "/api/v1/mobile-change"
	if kind == flow.MobileBind {
		base = "/api/v1/mobile-bind"
	}
	handle("POST "+base, func(w http.ResponseWriter, r *http.Request) error {
		c, err := a.caller(r)
		if err != nil {
			return err
		}
		v, err := a.Change.Start(r.Context(), c, kind)
		if err != nil {
			return err
		}
		httpjson.Write(w, http.StatusCreated, a.changeView(v))
		return nil
	})
	handle("GET "+base+"/{flow_id}", func(w http.ResponseWriter, r *http.Request) error {
		c, err := a.caller(r)
		if err != nil {
			return err
		}
		v, err := a.Change.Status(r.Context(), c, kind, r.PathValue("flow_id"))
		if err != nil {
			return err
		}
		httpjson.Write(w, http.StatusOK, a.changeView(v))
		return nil
	})
	handle("POST "+base+"/{flow_id}/email-code", func(w http.ResponseWriter, r *http.Request) error {
		c, err := a.caller(r)
		if err != nil {
			return err
		}
		sent, err := a.Change.SendEmailCode(r.Context(), c, kind, r.PathValue("flow_id"))
		return a.sent(w, sent, err)
	})
	handle("POST "+base+"/{flow_id}/verify", func(w http.ResponseWriter, r *http.Request) error {
		return a.verifyChange(w, r, kind)
	})
	handle("POST "+base+"/{flow_id}/new-number", func(w http.ResponseWriter, r *http.Request) error {
		return a.newNumber(w, r, kind)
	})
	handle("POST "+base+"/{flow_id}/confirm", func(w http.ResponseWriter, r *http.Request) error {
		return a.confirmNumber(w, r, kind)
	})
}

func (a *API) sent(w http.ResponseWriter, sent code.Sent, err error) error {
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusAccepted, map[string]any{"resend_after_seconds": a.until(sent.ResendAt)})
	return nil
}

func (a *API) sendChangeSMS(w http.ResponseWriter, r *http.Request) error {
	c, err := a.caller(r)
	if err != nil {
		return err
	}
	sent, err := a.Change.SendSMSCode(r.Context(), c, r.PathValue("flow_id"))
	return a.sent(w, sent, err)
}

func (a *API) verifyChange(w http.ResponseWriter, r *http.Request, kind flow.Kind) error {
	c, err := a.caller(r)
	if err != nil {
		return err
	}
	var req struct {
		EmailCode string `json:"email_code"`
		SMSCode   string `json:"sms_code"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	if kind == flow.MobileBind && req.SMSCode != "" {
		return apperr.New(apperr.InvalidRequest, "a bind has no SMS code in its first step")
	}
	v, err := a.Change.Verify(r.Context(), c, kind, r.PathValue("flow_id"), req.EmailCode, req.SMSCode)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, a.changeView(v))
	return nil
}

func (a *API) newNumber(w http.ResponseWriter, r *http.Request, kind flow.Kind) error {
	c, err := a.caller(r)
	if err != nil {
		return err
	}
	var req struct {
		Country      string `json:"country"`
		Number       string `json:"number"`
		CaptchaToken string `json:"captcha_token"`
		// NoPuzzle sends the code without the puzzle, for users who
		// cannot do it, from a stricter quota.
		NoPuzzle bool `json:"no_puzzle"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.Country == "":
		return httpjson.Missing("country")
	case req.Number == "":
		return httpjson.Missing("number")
	case req.NoPuzzle && req.CaptchaToken != "":
		return apperr.New(apperr.InvalidRequest, "give \"captcha_token\" or \"no_puzzle\", not both")
	}
	var v change.View
	if req.NoPuzzle {
		v, err = a.Change.NewNumberWithoutPuzzle(r.Context(), c, kind, r.PathValue("flow_id"), req.Country, req.Number)
	} else {
		v, err = a.Change.NewNumber(r.Context(), c, kind, r.PathValue("flow_id"), req.Country, req.Number, req.CaptchaToken)
	}
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusAccepted, map[string]any{"state": v.State, "sent_to": v.NewNumber, "resend_after_seconds": 60})
	return nil
}

func (a *API) confirmNumber(w http.ResponseWriter, r *http.Request, kind flow.Kind) error {
	c, err := a.caller(r)
	if err != nil {
		return err
	}
	var req struct {
		SMSCode string `json:"sms_code"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	if req.SMSCode == "" {
		return httpjson.Missing("sms_code")
	}
	v, err := a.Change.Confirm(r.Context(), c, kind, r.PathValue("flow_id"), req.SMSCode)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"state": v.State, "mobile": v.Current})
	return nil
}

func (a *API) newCaptcha(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		FlowID  string `json:"flow_id"`
		Country string `json:"country"`
		Number  string `json:"number"`
	}
	if r.ContentLength != 0 {
		if err := httpjson.Decode(w, r, &req); err != nil {
			return err
		}
	}
	number := ""
	if req.Number != "" {
		n, err := change.ParseNumber(req.Country, req.Number)
		if err != nil {
			return err
		}
		number = n.E164()
	}
	// A puzzle for a flow is only for its signed-in owner.
	var c change.Caller
	if req.FlowID != "" {
		var err error
		if c, err = a.caller(r); err != nil {
			return err
		}
	}
	ch, err := a.Change.Puzzle(r.Context(), c, req.FlowID, number)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, map[string]any{"captcha_id": ch.ID, "background": ch.Background, "piece": ch.Piece,
		"piece_y": ch.PieceY, "width": ch.Width, "height": ch.Height, "expires_at": ch.ExpiresAt})
	return nil
}

func (a *API) solveCaptcha(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		X     *int     `json:"x"`
		Trail [][3]int `json:"trail"`
		// Keys is a keyboard answer instead of a drag: [[ms, x], …].
		Keys [][2]int `json:"keys"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.X == nil:
		return httpjson.Missing("x")
	case req.Keys != nil && req.Trail != nil:
		return apperr.New(apperr.InvalidRequest, "give \"trail\" or \"keys\", not both")
	}
	var tok string
	var err error
	if req.Keys != nil {
		keys := make([]captcha.Key, len(req.Keys))
		for i, k := range req.Keys {
			keys[i] = captcha.Key{T: k[0], X: k[1]}
		}
		tok, err = a.Captcha.SolveKeys(r.Context(), r.PathValue("captcha_id"), *req.X, keys)
	} else {
		trail := make([]captcha.Point, len(req.Trail))
		for i, p := range req.Trail {
			trail[i] = captcha.Point{T: p[0], X: p[1], Y: p[2]}
		}
		tok, err = a.Captcha.Solve(r.Context(), r.PathValue("captcha_id"), *req.X, trail)
	}
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"captcha_token": tok})
	return nil
}
