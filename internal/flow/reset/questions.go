package reset

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/notify"
	"github.com/rebindhq/rebind/internal/quiz"
)

// StartQuiz issues security questions, using one of the account's chances.
// The flow moves first, in the same transaction: of concurrent requests for
// one flow only one gets past that conditional step, and a refused issue
// (no chance left, too little history) rolls the step back.
func (s *Service) StartQuiz(ctx context.Context, flowID string) (quiz.Issued, error) {
	if !s.QuizEnabled {
		return quiz.Issued{}, apperr.New(apperr.QuizUnavailable, "security questions are switched off; submit documents instead")
	}
	if _, err := s.Status(ctx, flowID); err != nil { // times out an expired quiz
		return quiz.Issued{}, err
	}
	f, err := s.Flows.Require(ctx, s.DB, Machine, flowID, MethodRequired)
	if err != nil {
		return quiz.Issued{}, err
	}
	var issued quiz.Issued
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.Flows.Fire(ctx, tx, Machine, f.ID, StartQuiz, nil); err != nil {
			return err
		}
		if issued, err = s.Quiz.Issue(ctx, tx, f.ID, f.AccountID); err != nil {
			return err
		}
		data := map[string]string{"quiz_id": issued.ID}
		if err := s.Flows.SetData(ctx, tx, f.ID, data); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: f.AccountID, Action: "mobile_reset_quiz_issued",
			Result: audit.OK, FlowID: f.ID, Detail: map[string]string{"chance": fmt.Sprint(issued.Chance)}})
	})
	if apperr.Is(err, apperr.QuizUnavailable) {
		s.Audit.Write(ctx, s.DB, audit.Event{Actor: audit.ActorUser, AccountID: f.AccountID, Action: "mobile_reset_quiz_issued",
			Result: audit.Refused, FlowID: f.ID, Detail: map[string]string{"reason": apperr.As(err).Message}})
	}
	return issued, err
}

// CurrentQuiz returns the quiz in progress, to show it again.
func (s *Service) CurrentQuiz(ctx context.Context, flowID string) (quiz.Issued, error) {
	f, err := s.Flows.Require(ctx, s.DB, Machine, flowID, QuizInProgress)
	if err != nil {
		return quiz.Issued{}, err
	}
	return s.Quiz.Live(ctx, s.DB, f.ID, f.Data["quiz_id"])
}

// Outcome is the result of answered questions.
type Outcome struct {
	Passed          bool
	State           flow.State
	QuizChancesLeft int
}

// Answer checks the answers to the quiz in progress. Passed, the reset is
// completed; failed, the flow goes back to choosing a method, and the owner
// is told by email. Failures look the same however many answers were right.
func (s *Service) Answer(ctx context.Context, flowID, quizID string, answers map[string][]string) (Outcome, error) {
	f, err := s.Flows.Require(ctx, s.DB, Machine, flowID, QuizInProgress)
	if err != nil {
		return Outcome{}, err
	}
	res, err := s.Quiz.Submit(ctx, s.DB, f.ID, quizID, answers)
	if err != nil {
		if apperr.Is(err, apperr.WrongState) {
			if _, terr := s.timeOut(ctx, f); terr != nil {
				return Outcome{}, terr
			}
		}
		return Outcome{}, err
	}
	if res.Passed {
		err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := s.Flows.Fire(ctx, tx, Machine, f.ID, QuizPassed, nil); err != nil {
				return err
			}
			return s.complete(ctx, tx, f, MethodQuestions)
		})
		return Outcome{Passed: true, State: "completed", QuizChancesLeft: s.Quiz.Rules().Chances}, err
	}
	var left int
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.Flows.Fire(ctx, tx, Machine, f.ID, QuizFailed, nil); err != nil {
			return err
		}
		if left, err = s.Quiz.ChancesLeft(ctx, tx, f.AccountID); err != nil {
			return err
		}
		a, err := s.Accounts.ByID(ctx, tx, f.AccountID)
		if err != nil {
			return err
		}
		link, err := s.StopLinks.Create(ctx, tx, a.ID, "mobile_reset_quiz_failed")
		if err != nil {
			return err
		}
		if err := s.Notifier.Notify(ctx, tx, a.Email, "", notify.Notice{Event: notify.QuizFailed, StopLink: link,
			At: s.Clock.Now(), IP: client.From(ctx).IP, ChancesLeft: left}); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: a.ID, Action: "mobile_reset_quiz_failed",
			Result: audit.Failed, FlowID: f.ID, Detail: map[string]string{"chance": fmt.Sprint(res.Chance), "chances_left": fmt.Sprint(left)}})
	})
	return Outcome{State: MethodRequired, QuizChancesLeft: left}, err
}
