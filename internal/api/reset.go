package api

import (
	"net/http"
	"time"

	"github.com/rebindhq/rebind/internal/credential"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/reset"
)

// resetView is a reset's state as the API shows it.
func (a *API) resetView(v reset.View) map[string]any {
	out := map[string]any{"flow_id": v.FlowID, "state": v.State, "expires_at": v.ExpiresAt}
	if v.Methods != nil {
		out["methods"] = v.Methods
		out["quiz_chances_left"] = v.QuizChancesLeft
		out["document_class"] = v.DocumentClass
	}
	if v.QuizID != "" && v.State == reset.QuizInProgress {
		out["quiz_id"] = v.QuizID
	}
	if v.Application != nil {
		out["application"] = a.applicationView(*v.Application)
	}
	return out
}

func (a *API) startReset(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Agree    *bool  `json:"agree"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.Email == "":
		return httpjson.Missing("email")
	case req.Password == "":
		return httpjson.Missing("password")
	}
	v, err := a.Reset.Start(r.Context(), credential.Credentials{Email: req.Email, Password: req.Password, Device: r.Header.Get(credential.DeviceHeader)},
		req.Agree != nil && *req.Agree)
	if err != nil {
		return err
	}
	out := a.resetView(v)
	out["sent_to"] = v.SentTo
	out["resend_after_seconds"] = a.until(v.ResendAt)
	httpjson.Write(w, http.StatusCreated, out)
	return nil
}

func (a *API) until(t time.Time) int {
	return max(int(t.Sub(a.Clock.Now()).Seconds()+0.999), 0)
}

func (a *API) resetStatus(w http.ResponseWriter, r *http.Request) error {
	v, err := a.Reset.Status(r.Context(), r.PathValue("flow_id"))
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, a.resetView(v))
	return nil
}

func (a *API) resendResetCode(w http.ResponseWriter, r *http.Request) error {
	v, err := a.Reset.ResendEmailCode(r.Context(), r.PathValue("flow_id"))
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusAccepted, map[string]any{"sent_to": v.SentTo, "resend_after_seconds": a.until(v.ResendAt)})
	return nil
}

func (a *API) verifyResetCode(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	if req.Code == "" {
		return httpjson.Missing("code")
	}
	v, err := a.Reset.VerifyEmailCode(r.Context(), r.PathValue("flow_id"), req.Code)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, a.resetView(v))
	return nil
}

func (a *API) startQuiz(w http.ResponseWriter, r *http.Request) error {
	q, err := a.Reset.StartQuiz(r.Context(), r.PathValue("flow_id"))
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, q)
	return nil
}

func (a *API) answerQuiz(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Answers map[string][]string `json:"answers"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	if req.Answers == nil {
		return httpjson.Missing("answers")
	}
	out, err := a.Reset.Answer(r.Context(), r.PathValue("flow_id"), r.PathValue("quiz_id"), req.Answers)
	if err != nil {
		return err
	}
	if out.Passed {
		httpjson.Write(w, http.StatusOK, map[string]any{"result": "passed", "state": out.State, "withdrawals_held_until": out.HoldUntil})
		return nil
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"result": "failed", "quiz_chances_left": out.QuizChancesLeft, "state": out.State})
	return nil
}

func (a *API) startPasswordReset(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email string `json:"email"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	if req.Email == "" {
		return httpjson.Missing("email")
	}
	id, err := a.PwReset.Start(r.Context(), req.Email)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusAccepted, map[string]any{"flow_id": id})
	return nil
}

func (a *API) resendPasswordResetCode(w http.ResponseWriter, r *http.Request) error {
	if err := a.PwReset.Resend(r.Context(), r.PathValue("flow_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func (a *API) confirmPasswordReset(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Code        string `json:"code"`
		NewPassword string `json:"new_password"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.Code == "":
		return httpjson.Missing("code")
	case req.NewPassword == "":
		return httpjson.Missing("new_password")
	}
	if err := a.PwReset.Confirm(r.Context(), r.PathValue("flow_id"), req.Code, req.NewPassword); err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"state": "completed"})
	return nil
}

func (a *API) stop(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Token string `json:"token"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	if req.Token == "" {
		return httpjson.Missing("token")
	}
	if _, err := a.Stop.Use(r.Context(), req.Token); err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"frozen": true})
	return nil
}
