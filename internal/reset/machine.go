// Package reset runs "reset mobile verification" (SPEC §3.2): email and
// password, an email code, then security questions (or, later, documents
// reviewed by staff); on success the number is unbound, withdrawals are
// held, every session ends and the owner is told, in one transaction.
package reset

import (
	"time"

	"github.com/rebindhq/rebind/internal/flow"
)

// States of a reset (SPEC §5).
const (
	EmailCodeRequired flow.State = "email_code_required"
	MethodRequired    flow.State = "method_required"
	QuizInProgress    flow.State = "quiz_in_progress"
	UnderReview       flow.State = "under_review"
)

// Events of a reset.
const (
	VerifyEmail     flow.Event = "verify_email"
	StartQuiz       flow.Event = "start_quiz"
	QuizPassed      flow.Event = "quiz_passed"
	QuizFailed      flow.Event = "quiz_failed"
	QuizTimedOut    flow.Event = "quiz_timed_out"
	SubmitDocuments flow.Event = "submit_documents"
	Approve         flow.Event = "approve"
	Reject          flow.Event = "reject"
)

// Machine is the reset flow: one open per account, 30 minutes online.
//
//	email_code_required --verify_email--> method_required
//	method_required --start_quiz--> quiz_in_progress
//	quiz_in_progress --quiz_passed--> completed
//	quiz_in_progress --quiz_failed | quiz_timed_out--> method_required
//	method_required --submit_documents--> under_review
//	under_review --approve--> completed, --reject--> rejected
var Machine = &flow.Machine{
	Kind:     flow.MobileReset,
	Initial:  EmailCodeRequired,
	Lifetime: 30 * time.Minute,
	Transitions: map[flow.Event]flow.Transition{
		VerifyEmail:     {From: []flow.State{EmailCodeRequired}, To: MethodRequired},
		StartQuiz:       {From: []flow.State{MethodRequired}, To: QuizInProgress},
		QuizPassed:      {From: []flow.State{QuizInProgress}, To: flow.Completed},
		QuizFailed:      {From: []flow.State{QuizInProgress}, To: MethodRequired},
		QuizTimedOut:    {From: []flow.State{QuizInProgress}, To: MethodRequired},
		SubmitDocuments: {From: []flow.State{MethodRequired}, To: UnderReview},
		Approve:         {From: []flow.State{UnderReview}, To: flow.Completed},
		Reject:          {From: []flow.State{UnderReview}, To: flow.Rejected},
	},
	Terminal:  []flow.State{flow.Completed, flow.Rejected},
	Exclusive: true,
}
