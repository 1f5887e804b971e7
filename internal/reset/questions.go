package reset

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/consequence"
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
		d := dataOf(f)
		d.QuizID = issued.ID
		if err := s.Flows.SetData(ctx, tx, f.ID, d.fields()); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: f.AccountID, Action: audit.ResetQuizIssued,
			Result: audit.OK, FlowID: f.ID, Detail: map[string]string{"chance": fmt.Sprint(issued.Chance)}})
	})
	if apperr.Is(err, apperr.QuizUnavailable) {
		s.Audit.Write(ctx, s.DB, audit.Event{Actor: audit.ActorUser, AccountID: f.AccountID, Action: audit.ResetQuizIssued,
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
	return s.Quiz.Live(ctx, s.DB, f.ID, dataOf(f).QuizID)
}

// Outcome is the result of answered questions.
type Outcome struct {
	Passed          bool
	State           flow.State
	QuizChancesLeft int
	// HoldUntil is the end of the withdrawal hold a passed quiz started.
	HoldUntil time.Time
}

// Answer checks the answers to the quiz in progress. Passed, the reset is
// completed; failed, the flow goes back to choosing a method, and the owner
// is told by email. Failures look the same however many answers were right.
// The quiz is claimed in the transaction that moves the flow, so a quiz is
// never used up without its outcome.
func (s *Service) Answer(ctx context.Context, flowID, quizID string, answers map[string][]string) (Outcome, error) {
	f, err := s.Flows.Require(ctx, s.DB, Machine, flowID, QuizInProgress)
	if err != nil {
		return Outcome{}, err
	}
	var out Outcome
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := s.Quiz.Submit(ctx, tx, f.ID, quizID, answers)
		if err != nil {
			return err
		}
		if res.Passed {
			out = Outcome{Passed: true, State: flow.Completed, QuizChancesLeft: s.Quiz.Rules().Chances}
			if _, err := s.Flows.Fire(ctx, tx, Machine, f.ID, QuizPassed, nil); err != nil {
				return err
			}
			out.HoldUntil, err = s.complete(ctx, tx, f, MethodQuestions, audit.ActorUser, notify.ApplicationNotice{})
			return err
		}
		out = Outcome{State: MethodRequired}
		out.QuizChancesLeft, err = s.failed(ctx, tx, f, res.Chance)
		return err
	})
	if apperr.Is(err, apperr.WrongState) {
		if _, terr := s.timeOut(ctx, f); terr != nil {
			return Outcome{}, terr
		}
	}
	return out, err
}

// failed records a failed quiz in tx and tells the owner; it returns the
// chances left.
func (s *Service) failed(ctx context.Context, tx *sql.Tx, f flow.Flow, chance int) (int, error) {
	if _, err := s.Flows.Fire(ctx, tx, Machine, f.ID, QuizFailed, nil); err != nil {
		return 0, err
	}
	left, err := s.Quiz.ChancesLeft(ctx, tx, f.AccountID)
	if err != nil {
		return 0, err
	}
	a, err := s.Accounts.ByID(ctx, tx, f.AccountID)
	if err != nil {
		return 0, err
	}
	// The bound phone hears of it too: when an attacker is the one
	// answering, the owner usually still holds it.
	mobile := ""
	if a.MobileVerification {
		mobile = a.Mobile
	}
	_, err = s.Consequences.Apply(ctx, tx, consequence.Change{AccountID: a.ID, FlowID: f.ID, Link: "mobile_reset_quiz_failed",
		Notice: notify.Notice{Event: notify.QuizFailed, ChancesLeft: left}, Mobile: mobile,
		Actor: audit.ActorUser, Action: audit.ResetQuizFailed, Result: audit.Failed,
		Detail: map[string]string{"chance": fmt.Sprint(chance), "chances_left": fmt.Sprint(left)}})
	return left, err
}

// Cancel ends a reset at its user's request ("start over").
func (s *Service) Cancel(ctx context.Context, flowID string) error {
	_, err := s.Flows.Step(ctx, s.DB, Machine, flowID, flow.Cancel, nil, s.cancelled)
	return err
}

// cancelled is Cancel's effect: the audit event.
func (s *Service) cancelled(ctx context.Context, tx *sql.Tx, f flow.Flow) error {
	return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: f.AccountID, Action: audit.ResetCancelled,
		Result: audit.OK, FlowID: f.ID})
}
