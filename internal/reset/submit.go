package reset

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"math/big"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/consequence"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/notify"
	"github.com/rebindhq/rebind/internal/token"
	"github.com/rebindhq/rebind/internal/upload"
)

// ReviewRules are the promises and limits of a review by staff.
type ReviewRules struct {
	// Time is how soon staff decide, in words shown to users ("within 72
	// hours").
	Time string
	// Deadline is how long an application waits for a decision before it
	// expires.
	Deadline time.Duration
	// Retention is how long after an application ends its pictures are
	// kept; then they are destroyed (their hashes and findings stay).
	Retention time.Duration
	// Prepare is how long a reset stays open once its documents are asked
	// for: writing a statement and finding the ID take longer than the
	// 30 minutes of the online steps.
	Prepare time.Duration
	// SecondApprovalUSD is the value of balances above which an approval
	// needs a second one, by another supervisor; nil: never.
	SecondApprovalUSD *big.Rat
}

// DefaultReview is SPEC §4 and the defaults.
var DefaultReview = ReviewRules{Time: "within 72 hours", Deadline: 7 * 24 * time.Hour, Retention: 90 * 24 * time.Hour, Prepare: 24 * time.Hour,
	SecondApprovalUSD: big.NewRat(10_000, 1)}

// StatusPath is where an application's status page lives; its secret
// follows.
const StatusPath = "/reset-mobile/status/"

// statusSecret is the secret of application id's status link: the id and
// a MAC of it under the current key, so the link can be written again for
// every email without being stored.
func (s *Service) statusSecret(id string) string {
	return id + "." + base64.RawURLEncoding.EncodeToString(s.StatusKeys.MAC([]byte(id)))
}

// StatusLink is the absolute status link of application id.
func (s *Service) StatusLink(id string) string {
	return s.Notifier.Link(StatusPath+s.statusSecret(id), nil)
}

// Submitted is an application just sent.
type Submitted struct {
	Application evidence.Application
	StatusLink  string
}

// Submit sends flowID's documents for review: the pictures uploaded before
// and pics, and the typed transactions. Everything the class needs must be
// there. The reset then waits for staff until the review's deadline, and
// the owner is told by email and on the bound phone, with a "This wasn't
// me" link.
func (s *Service) Submit(ctx context.Context, flowID string, pics []Picture, txs []evidence.Transaction) (Submitted, error) {
	if _, err := s.Flows.Require(ctx, s.DB, Machine, flowID, MethodRequired); err != nil {
		return Submitted{}, err
	}
	if err := s.Uploads.Limits().CheckCount(len(pics)); err != nil {
		return Submitted{}, err
	}
	txs, err := evidence.CheckTransactions(txs)
	if err != nil {
		return Submitted{}, err
	}
	processed := make([]*processedPicture, len(pics))
	for i, p := range pics {
		out, err := s.process(ctx, p)
		if err != nil {
			return Submitted{}, apperr.As(err).With("part", i)
		}
		processed[i] = &processedPicture{kind: p.Kind, out: out}
	}
	var sub Submitted
	var put []string
	defer s.discard(ctx, &put)
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.Flows.Fire(ctx, tx, Machine, flowID, SubmitDocuments, nil)
		if err != nil {
			return err
		}
		sub, err = s.submit(ctx, tx, f, processed, txs, &put)
		return err
	})
	return sub, err
}

type processedPicture struct {
	kind evidence.Kind
	out  *upload.Processed
}

// submit stores the new pictures, checks the application is complete,
// computes its findings and records it, in tx.
func (s *Service) submit(ctx context.Context, tx *sql.Tx, f flow.Flow, pics []*processedPicture, txs []evidence.Transaction, put *[]string) (Submitted, error) {
	docs, err := s.documents(ctx, tx, f)
	if err != nil {
		return Submitted{}, err
	}
	// Everything is checked before anything is stored.
	planned := docs
	planned.Files = append([]evidence.File(nil), docs.Files...)
	for _, p := range pics {
		if err := s.room(ctx, tx, f, planned, p.kind, 1); err != nil {
			return Submitted{}, err
		}
		planned.Files = append(planned.Files, evidence.File{Kind: p.kind})
	}
	if err := complete(planned, txs); err != nil {
		return Submitted{}, err
	}
	now := s.Clock.Now()
	deadline := now.Add(s.Review.Deadline)
	for _, p := range pics {
		file, err := s.store(ctx, tx, f, p.kind, p.out, deadline.Add(s.Review.Retention), put)
		if err != nil {
			return Submitted{}, err
		}
		docs.Files = append(docs.Files, file)
	}
	for i, t := range txs {
		records, err := s.Accounts.TransfersByTxID(ctx, tx, f.AccountID, t.TXID)
		if err != nil {
			return Submitted{}, err
		}
		txs[i] = evidence.Match(t, records)
	}
	d := dataOf(f)
	app := evidence.Application{ID: token.NewID(), FlowID: f.ID, AccountID: f.AccountID, Class: docs.Class,
		StatementPhrase: docs.StatementPhrase, ReferenceCode: d.ReferenceCode,
		ApplicationDate: d.ApplicationDate, SubmittedAt: now, Deadline: deadline, Transactions: txs, Files: docs.Files}
	if app.Findings, err = s.Evidence.Assess(ctx, tx, app); err != nil {
		return Submitted{}, err
	}
	secret := s.statusSecret(app.ID)
	if app, err = s.Evidence.Create(ctx, tx, app, token.Digest(secret)); err != nil {
		return Submitted{}, err
	}
	if err := s.Flows.ExtendTo(ctx, tx, f.ID, deadline); err != nil {
		return Submitted{}, err
	}
	for _, file := range docs.Files {
		if err := s.Blobs.Schedule(ctx, tx, file.BlobID, deadline.Add(s.Review.Retention)); err != nil {
			return Submitted{}, err
		}
	}
	link := s.StatusLink(app.ID)
	a, err := s.Accounts.ByID(ctx, tx, f.AccountID)
	if err != nil {
		return Submitted{}, err
	}
	_, err = s.Consequences.Apply(ctx, tx, consequence.Change{AccountID: f.AccountID, FlowID: f.ID, Link: "mobile_reset_documents",
		Notice: notify.Notice{Event: notify.ApplicationSubmitted, Application: s.notice(app, link)}, Mobile: a.Mobile,
		Actor: audit.ActorUser, Action: audit.ApplicationSubmitted, Result: audit.OK,
		Detail: map[string]string{"application": app.ID, "class": string(app.Class), "files": fmt.Sprint(len(app.Files)),
			"flags": fmt.Sprint(flags(app.Findings))}})
	return Submitted{Application: app, StatusLink: link}, err
}

// complete refuses an application missing a kind of picture, or with
// transactions its class does not type (or without the ones it must).
func complete(docs Documents, txs []evidence.Transaction) error {
	for _, it := range docs.Items {
		n := 0
		for _, f := range docs.Files {
			if f.Kind == it.Kind {
				n++
			}
		}
		if n < it.Min {
			return apperr.New(apperr.InvalidRequest, fmt.Sprintf("at least %d %q picture%s needed", it.Min, it.Kind, plural(it.Min))).
				With("field", string(it.Kind))
		}
	}
	switch {
	case docs.Transactions && len(txs) == 0:
		return apperr.New(apperr.InvalidRequest, "type at least one transaction that your screenshots show").With("field", "transactions")
	case !docs.Transactions && len(txs) > 0:
		return apperr.New(apperr.InvalidRequest, "this account's documents do not include transactions").With("field", "transactions")
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return " is"
	}
	return "s are"
}

func flags(fs []evidence.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Flag {
			n++
		}
	}
	return n
}

// notice describes app for the owner's messages.
func (s *Service) notice(app evidence.Application, link string) notify.ApplicationNotice {
	n := notify.ApplicationNotice{StatusLink: link, Reference: app.ReferenceCode, ReviewTime: s.Review.Time, Deadline: app.Deadline}
	if app.State == evidence.Rejected {
		n.Reason, n.Note = evidence.Reasons[app.Reason], app.Note
	}
	return n
}
