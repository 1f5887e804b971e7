package reset

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/upload"
)

// Documents is what a reset by documents asks of its user.
type Documents struct {
	Class evidence.Class
	// StatementPhrase, ApplicationDate and ReferenceCode are what a KYC
	// user writes by hand (shown to every class, used by KYC).
	StatementPhrase, ApplicationDate, ReferenceCode string
	Items                                           []evidence.Item
	Transactions                                    bool // the class types its transactions
	// Files are the pictures uploaded so far and not removed.
	Files []evidence.File
	// ReviewTime is how soon staff decide, in words.
	ReviewTime string
	MaxFiles   int
	// ExpiresAt is when the reset closes unless submitted.
	ExpiresAt time.Time
}

// referenceAlphabet leaves out letters and digits that look alike.
const referenceAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// newReference returns a short reference code, XXXX-XXXX: 40 random bits,
// enough that an old photo of a statement cannot be replayed.
func newReference() string {
	b := make([]byte, 8)
	rand.Read(b)
	for i := range b {
		b[i] = referenceAlphabet[int(b[i])%len(referenceAlphabet)]
	}
	return string(b[:4]) + "-" + string(b[4:])
}

// Documents returns what flowID's account must send, and what it has
// uploaded so far. The reset must be choosing its method. Asking for the
// documents keeps the reset open for Review.Prepare from now, so the user
// has time to write the statement and take the pictures.
func (s *Service) Documents(ctx context.Context, flowID string) (Documents, error) {
	if _, err := s.Status(ctx, flowID); err != nil { // times out an expired quiz
		return Documents{}, err
	}
	f, err := s.Flows.Require(ctx, s.DB, Machine, flowID, MethodRequired)
	if err != nil {
		return Documents{}, err
	}
	if until := s.Clock.Now().Add(s.Review.Prepare); f.ExpiresAt.Before(until) {
		if err := s.Flows.ExtendTo(ctx, s.DB, f.ID, until); err != nil {
			return Documents{}, err
		}
		f.ExpiresAt = until
	}
	return s.documents(ctx, s.DB, f)
}

func (s *Service) documents(ctx context.Context, q store.Querier, f flow.Flow) (Documents, error) {
	a, err := s.Accounts.ByID(ctx, q, f.AccountID)
	if err != nil {
		return Documents{}, err
	}
	class, err := s.documentClass(ctx, a)
	if err != nil {
		return Documents{}, err
	}
	files, _, err := s.Evidence.Drafts(ctx, q, f.ID)
	if err != nil {
		return Documents{}, err
	}
	d := dataOf(f)
	return Documents{Class: class, StatementPhrase: evidence.StatementPhrase(s.Brand), ApplicationDate: d.ApplicationDate,
		ReferenceCode: d.ReferenceCode, Items: evidence.Items(class), Transactions: evidence.NeedsTransactions(class),
		Files: files, ReviewTime: s.Review.Time, MaxFiles: s.Uploads.Limits().MaxFiles, ExpiresAt: f.ExpiresAt}, nil
}

// Picture is one uploaded picture, before it is checked.
type Picture struct {
	Kind evidence.Kind
	Data []byte
}

// maxUploadsPerFlow bounds the pictures one reset may upload, removed ones
// included, so that uploading and removing cannot keep the decoders busy.
func (s *Service) maxUploadsPerFlow() int { return 3 * s.Uploads.Limits().MaxFiles }

// Upload checks, re-encodes and stores one picture for flowID's
// application-to-be and returns it. The kind must be one the account's
// class sends, with room left for it.
func (s *Service) Upload(ctx context.Context, flowID string, p Picture) (evidence.File, error) {
	f, err := s.Flows.Require(ctx, s.DB, Machine, flowID, MethodRequired)
	if err != nil {
		return evidence.File{}, err
	}
	processed, err := s.process(ctx, p)
	if err != nil {
		return evidence.File{}, err
	}
	var file evidence.File
	var put []string
	defer s.discard(ctx, &put)
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		// The flow row is the lock that serializes this flow's uploads, so
		// the counts below hold under concurrent requests.
		f, err := s.Flows.Lock(ctx, tx, Machine, f.ID, MethodRequired)
		if err != nil {
			return err
		}
		docs, err := s.documents(ctx, tx, f)
		if err != nil {
			return err
		}
		if err := s.room(ctx, tx, f, docs, p.Kind, 1); err != nil {
			return err
		}
		file, err = s.store(ctx, tx, f, p.Kind, processed, f.ExpiresAt.Add(draftGrace), &put)
		return err
	})
	return file, err
}

// draftGrace is how long after its reset ends an unsubmitted picture is
// kept before the janitor destroys it.
const draftGrace = time.Hour

// process runs the upload pipeline and refuses pictures too small to read.
func (s *Service) process(ctx context.Context, p Picture) (*upload.Processed, error) {
	processed, err := s.Uploads.Process(ctx, p.Data)
	if err != nil {
		return nil, err
	}
	if min(processed.Width, processed.Height) < evidence.MinSide {
		return nil, apperr.New(apperr.InvalidRequest, fmt.Sprintf("the picture is too small to read: it needs at least %d pixels on its shorter side, this one has %d",
			evidence.MinSide, min(processed.Width, processed.Height))).With("field", string(p.Kind))
	}
	return processed, nil
}

// room refuses n more pictures of kind when the class does not send that
// kind, or they would pass its maximum, the application's or the flow's.
func (s *Service) room(ctx context.Context, q store.Querier, f flow.Flow, docs Documents, kind evidence.Kind, n int) error {
	var item *evidence.Item
	for i := range docs.Items {
		if docs.Items[i].Kind == kind {
			item = &docs.Items[i]
		}
	}
	if item == nil {
		return apperr.New(apperr.InvalidRequest, fmt.Sprintf("this account does not send %q pictures", kind)).With("field", string(kind))
	}
	have := 0
	for _, file := range docs.Files {
		if file.Kind == kind {
			have++
		}
	}
	switch {
	case have+n > item.Max:
		return apperr.New(apperr.FileTooLarge, fmt.Sprintf("at most %d pictures of this kind; remove one first", item.Max)).With("field", string(kind))
	case len(docs.Files)+n > docs.MaxFiles:
		return apperr.New(apperr.FileTooLarge, fmt.Sprintf("at most %d pictures in all; remove one first", docs.MaxFiles)).With("field", string(kind))
	}
	_, uploaded, err := s.Evidence.Drafts(ctx, q, f.ID)
	if err != nil {
		return err
	}
	for _, file := range docs.Files {
		if file.ID == "" { // planned in this request, not stored yet
			uploaded++
		}
	}
	if uploaded+n > s.maxUploadsPerFlow() {
		secs := int(f.ExpiresAt.Sub(s.Clock.Now()).Seconds()) + 1
		return apperr.New(apperr.RateLimited, "too many pictures were uploaded in this reset; start a new one").
			With("retry_after_seconds", max(secs, 1)).With("limit", "document_uploads")
	}
	return nil
}

// store seals a processed picture and records it as a draft of flow f,
// to be destroyed at destroyAt unless an application takes it. The
// object's id is added to put, for discard.
func (s *Service) store(ctx context.Context, tx *sql.Tx, f flow.Flow, kind evidence.Kind, p *upload.Processed, destroyAt time.Time, put *[]string) (evidence.File, error) {
	blobID, err := s.Blobs.Put(ctx, tx, p.Bytes)
	if err != nil {
		return evidence.File{}, err
	}
	*put = append(*put, blobID)
	if err := s.Blobs.Schedule(ctx, tx, blobID, destroyAt); err != nil {
		return evidence.File{}, err
	}
	return s.Evidence.AddFile(ctx, tx, evidence.FromUpload(p, f.ID, f.AccountID, kind, blobID))
}

// discard deletes the objects written by transactions that did not commit
// (a refused submission, a retried transaction's first attempt); committed
// ones are left alone. Failures only leave unreadable objects behind, so
// they are logged by the caller's error path, not returned.
func (s *Service) discard(ctx context.Context, put *[]string) {
	for _, id := range *put {
		s.Blobs.Discard(context.WithoutCancel(ctx), id)
	}
}

// RemoveFile removes an uploaded picture that has not been submitted and
// destroys its stored copy.
func (s *Service) RemoveFile(ctx context.Context, flowID, fileID string) error {
	f, err := s.Flows.Require(ctx, s.DB, Machine, flowID, MethodRequired)
	if err != nil {
		return err
	}
	file, err := s.Evidence.RemoveFile(ctx, s.DB, f.ID, fileID)
	if err != nil {
		return err
	}
	return s.Blobs.Destroy(ctx, file.BlobID)
}
