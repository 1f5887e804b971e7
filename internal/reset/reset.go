package reset

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/blob"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/consequence"
	"github.com/rebindhq/rebind/internal/credential"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/notify"
	"github.com/rebindhq/rebind/internal/ocr"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/upload"
)

// Methods of proving the account is yours.
const (
	MethodQuestions = "questions"
	MethodDocuments = "documents"
)

// Service runs resets.
type Service struct {
	DB       *store.DB
	Clock    clock.Clock
	Check    *credential.Checker // checks email and password
	Accounts *account.Store
	Codes    *code.Service
	Flows    *flow.Store
	Quiz     *quiz.Service
	Audit    *audit.Log
	// Consequences applies a reset's outcome and tells the owner of each
	// step.
	Consequences *consequence.Service
	// Hold is how long withdrawals are held after a reset.
	Hold time.Duration
	// QuizEnabled offers security questions; off, documents are the only
	// method.
	QuizEnabled bool

	// Evidence keeps applications, Blobs their sealed pictures, Uploads
	// checks and re-encodes each picture.
	Evidence *evidence.Store
	Blobs    *blob.Store
	Uploads  *upload.Processor
	Review   ReviewRules
	// Brand is in the statement a KYC user writes.
	Brand string
	// StatusKey makes the secrets of status links; Notifier writes the
	// links.
	StatusKeys keys.Set
	Notifier   *notify.Notifier
	// OCR reads the screenshots after submission (ReadPending); nil or
	// not installed, their findings say so.
	OCR *ocr.Reader
	Log *slog.Logger
}

// View is where a reset stands, for the caller.
type View struct {
	FlowID    string
	State     flow.State
	ExpiresAt time.Time
	// SentTo is the masked email the code went to.
	SentTo   string
	ResendAt time.Time
	// Methods, QuizChancesLeft and DocumentClass are set once the email
	// code is verified.
	Methods         []string
	QuizChancesLeft int
	DocumentClass   evidence.Class
	// QuizID is the quiz in progress, if any.
	QuizID string
	// Application is the flow's document application, once submitted.
	Application *evidence.Application
}

// Start checks that the user agreed to the reset's instructions (the
// article's first step; refused with the field "agree" before anything is
// counted), then email and password (same answer for a wrong one and an
// unknown email), opens a reset (cancelling an older open one) and sends
// the email code.
func (s *Service) Start(ctx context.Context, c credential.Credentials, agreed bool) (View, error) {
	if !agreed {
		return View{}, apperr.New(apperr.InvalidRequest, "read the reset instructions and agree to them first").With("field", "agree")
	}
	a, err := s.Check.Check(ctx, c)
	if err != nil {
		return View{}, err
	}
	if a.Mobile == "" || !a.MobileVerification {
		return View{}, apperr.New(apperr.WrongState, "mobile verification is not on for this account; sign in with an email code and bind a mobile number")
	}
	var v View
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.Flows.Create(ctx, tx, Machine, a.ID, client.From(ctx).IP, map[string]string{})
		if err != nil {
			return err
		}
		// The code first: a transaction takes the send counters before
		// the audit chain's head, in the same order as every other send,
		// so two of them cannot wait for each other.
		if v, err = s.sendCode(ctx, tx, f, a); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: a.ID, Action: audit.ResetStarted,
			Result: audit.OK, FlowID: f.ID})
	})
	return v, err
}

func (s *Service) sendCode(ctx context.Context, tx *sql.Tx, f flow.Flow, a account.Account) (View, error) {
	sent, err := s.Codes.Send(ctx, tx, code.Request{FlowID: f.ID, Purpose: code.ResetEmail, Channel: outbox.Email, To: a.Email, AccountID: a.ID})
	if err != nil {
		return View{}, err
	}
	err = s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorUser, AccountID: a.ID, Action: audit.AuthnCodeSent, Result: audit.OK,
		FlowID: f.ID, Detail: map[string]string{"channel": "email", "purpose": string(code.ResetEmail)}})
	return View{FlowID: f.ID, State: f.State, ExpiresAt: f.ExpiresAt, SentTo: account.MaskEmail(a.Email), ResendAt: sent.ResendAt}, err
}

// ResendEmailCode sends a new email code.
func (s *Service) ResendEmailCode(ctx context.Context, flowID string) (View, error) {
	f, err := s.Flows.Require(ctx, s.DB, Machine, flowID, EmailCodeRequired)
	if err != nil {
		return View{}, err
	}
	var v View
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		a, err := s.Accounts.ByID(ctx, tx, f.AccountID)
		if err != nil {
			return err
		}
		v, err = s.sendCode(ctx, tx, f, a)
		return err
	})
	return v, err
}

// VerifyEmailCode checks the email code; the reset then waits for a method.
// The bound mobile is told a reset has begun, with a "This wasn't me" link:
// if its owner still holds the phone, they can stop it.
func (s *Service) VerifyEmailCode(ctx context.Context, flowID, entered string) (View, error) {
	f, err := s.Flows.Require(ctx, s.DB, Machine, flowID, EmailCodeRequired)
	if err != nil {
		return View{}, err
	}
	check := func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.Codes.Check(ctx, tx, f.ID, code.ResetEmail, entered)
		return err
	}
	d := dataOf(f)
	d.ReferenceCode, d.ApplicationDate = newReference(), s.Clock.Now().UTC().Format(time.DateOnly)
	moved, err := s.Flows.StepChecked(ctx, s.DB, Machine, f.ID, VerifyEmail, d.fields(), check, code.Refused, s.emailVerified)
	if code.Refused(err) {
		s.Audit.Write(ctx, s.DB, audit.Event{Actor: audit.ActorUser, AccountID: f.AccountID, Action: audit.AuthnCodeFail,
			Result: audit.Failed, FlowID: f.ID, Detail: map[string]string{"purpose": string(code.ResetEmail), "error": string(apperr.As(err).Code)}})
	}
	if err != nil {
		return View{}, err
	}
	f = moved
	return s.view(ctx, f)
}

// emailVerified is VerifyEmail's effect: the bound phone is told, with a
// "This wasn't me" link (only the phone: the email's owner is the one who
// just proved it).
func (s *Service) emailVerified(ctx context.Context, tx *sql.Tx, f flow.Flow) error {
	a, err := s.Accounts.ByID(ctx, tx, f.AccountID)
	if err != nil {
		return err
	}
	_, err = s.Consequences.Apply(ctx, tx, consequence.Change{AccountID: a.ID, FlowID: f.ID, Link: "mobile_reset_requested",
		Notice: notify.Notice{Event: notify.ResetRequested}, Mobile: a.Mobile, SMSOnly: true,
		Actor: audit.ActorUser, Action: audit.ResetEmailVerified, Result: audit.OK})
	return err
}

// Status returns where a reset stands.
func (s *Service) Status(ctx context.Context, flowID string) (View, error) {
	f, err := s.Flows.Get(ctx, s.DB, Machine, flowID)
	if err != nil {
		return View{}, err
	}
	if f, err = s.timeOut(ctx, f); err != nil {
		return View{}, err
	}
	return s.view(ctx, f)
}

// timeOut moves a flow whose quiz ran out of time unanswered back to
// choosing a method. The chance it used stays used.
func (s *Service) timeOut(ctx context.Context, f flow.Flow) (flow.Flow, error) {
	if f.State != QuizInProgress || !f.Open(Machine, s.Clock.Now()) {
		return f, nil
	}
	gone, err := s.Quiz.Abandoned(ctx, s.DB, f.ID, dataOf(f).QuizID)
	if err != nil || !gone {
		return f, err
	}
	moved, err := s.Flows.Fire(ctx, s.DB, Machine, f.ID, QuizTimedOut, nil)
	if apperr.Is(err, apperr.WrongState) {
		return s.Flows.Get(ctx, s.DB, Machine, f.ID) // moved meanwhile
	}
	return moved, err
}

// view describes f; past the email step it includes the methods on offer.
func (s *Service) view(ctx context.Context, f flow.Flow) (View, error) {
	v := View{FlowID: f.ID, State: f.Shown(Machine, s.Clock.Now()), ExpiresAt: f.ExpiresAt, QuizID: dataOf(f).QuizID}
	a, err := s.Accounts.ByID(ctx, s.DB, f.AccountID)
	if err != nil {
		return View{}, err
	}
	v.SentTo = account.MaskEmail(a.Email)
	if f.State == EmailCodeRequired {
		v.ResendAt, err = s.Codes.ResendAt(ctx, s.DB, f.ID, code.ResetEmail)
		return v, err
	}
	switch app, err := s.Evidence.ByFlow(ctx, s.DB, f.ID); {
	case err == nil:
		v.Application = &app
	case !apperr.Is(err, apperr.NotFound):
		return View{}, err
	}
	if v.DocumentClass, err = s.documentClass(ctx, a); err != nil {
		return View{}, err
	}
	v.Methods = []string{MethodDocuments}
	if s.QuizEnabled {
		st, err := s.Quiz.Status(ctx, s.DB, a.ID)
		if err != nil {
			return View{}, err
		}
		v.QuizChancesLeft = st.ChancesLeft
		if st.Enough && st.ChancesLeft > 0 {
			v.Methods = []string{MethodQuestions, MethodDocuments}
		}
	}
	return v, nil
}

func (s *Service) documentClass(ctx context.Context, a account.Account) (evidence.Class, error) {
	if a.KYC {
		return evidence.KYC, nil
	}
	records, err := s.Accounts.HasTransfers(ctx, s.DB, a.ID)
	if err != nil {
		return "", err
	}
	if records {
		return evidence.NonKYCWithRecords, nil
	}
	return evidence.NonKYCNoRecords, nil
}
