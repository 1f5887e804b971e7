package reset

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // the stored copies are JPEG or PNG
	_ "image/png"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/evidence"
)

// The screenshots of a submitted application are read with OCR after the
// submission has committed, not in it: a reading takes about a second a
// picture (two when it is read again enlarged), up to ten pictures, which
// no request or database transaction should wait for. Submit leaves the
// application's reading pending; ReadPending, run by the server's
// background work, claims pending applications one at a time, reads their
// pictures outside any transaction, and appends the findings in one
// conditional statement. A reviewer may open the application before: it
// shows the reading as pending.

// readLease is how long a reader holds an application: ten pictures read
// twice at the OCR time limit fit in it.
const readLease = 15 * time.Minute

// maxReadAttempts is how many claims an application gets before its
// screenshots are given up as unreadable (a reader that crashes on them).
const maxReadAttempts = 3

// recordsRead is how many of the account's latest deposits, and as many
// withdrawals, the screenshots are compared with.
const recordsRead = 1000

// ReadPending reads the screenshots of every application waiting for it
// and returns how many were finished.
func (s *Service) ReadPending(ctx context.Context) (int, error) {
	n := 0
	for {
		c, ok, err := s.Evidence.ClaimReading(ctx, s.DB, readLease)
		if err != nil || !ok {
			return n, err
		}
		fs, err := s.readFindings(ctx, c)
		if err != nil {
			return n, err // the lease lapses and the reading is tried again
		}
		done, err := s.finishReading(ctx, c, fs)
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
}

// readFindings reads the application's screenshots; an error leaves the
// reading to be tried again.
func (s *Service) readFindings(ctx context.Context, c evidence.Claimed) ([]evidence.Finding, error) {
	a := c.Application
	var files []evidence.File
	for _, f := range a.Files {
		if evidence.Readable(f.Kind) {
			files = append(files, f)
		}
	}
	switch {
	case len(files) == 0:
		return nil, nil
	case c.Attempt > maxReadAttempts:
		return notRead(files, fmt.Sprintf("reading failed %d times", maxReadAttempts)), nil
	case !s.OCR.Available():
		return []evidence.Finding{evidence.OCRUnavailable()}, nil
	}
	facts, err := s.readFacts(ctx, a)
	if err != nil {
		return nil, err
	}
	var out []evidence.Finding
	for _, f := range files {
		fs, err := s.readFile(ctx, f, facts)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// readFile reads one picture. A picture that cannot be read is a finding;
// only the end of ctx (the server stopping) is an error.
func (s *Service) readFile(ctx context.Context, f evidence.File, facts evidence.Facts) ([]evidence.Finding, error) {
	data, err := s.Blobs.Get(ctx, f.BlobID)
	if apperr.As(err).Code == apperr.NotFound {
		return notRead([]evidence.File{f}, "the picture was destroyed before it was read"), nil
	}
	if err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return notRead([]evidence.File{f}, "the stored picture does not decode"), nil
	}
	fs, err := evidence.ReadScreenshot(ctx, s.OCR, f, img, facts)
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		return notRead([]evidence.File{f}, "OCR took longer than its time limit"), nil
	case err != nil:
		if s.Log != nil {
			s.Log.Warn("ocr failed", "file", f.ID, "err", err) // the error carries no text of the picture
		}
		return notRead([]evidence.File{f}, "OCR failed (see the server's log)"), nil
	}
	return fs, nil
}

func notRead(files []evidence.File, why string) []evidence.Finding {
	out := make([]evidence.Finding, len(files))
	for i, f := range files {
		out[i] = evidence.NotRead(f, why)
	}
	return out
}

// readFacts are the account's facts the screenshots are compared with.
func (s *Service) readFacts(ctx context.Context, a evidence.Application) (evidence.Facts, error) {
	acc, err := s.Accounts.ByID(ctx, s.DB, a.AccountID)
	if err != nil {
		return evidence.Facts{}, err
	}
	facts := evidence.Facts{Class: a.Class, Email: acc.Email, Brand: s.Brand}
	for _, dir := range []string{"deposit", "withdrawal"} {
		ts, err := s.Accounts.RecentTransfers(ctx, s.DB, a.AccountID, dir, recordsRead)
		if err != nil {
			return evidence.Facts{}, err
		}
		facts.Records = append(facts.Records, records(dir, ts)...)
	}
	return facts, nil
}

func records(dir string, ts []account.Transfer) []evidence.Record {
	out := make([]evidence.Record, len(ts))
	for i, t := range ts {
		out[i] = evidence.Record{Direction: dir, Coin: t.Coin, Network: t.Network, Amount: t.Amount, Address: t.Address, TXID: t.TxID}
	}
	return out
}

// finishReading appends the findings and audits the reading, in one
// transaction; false when another reader took the application over.
func (s *Service) finishReading(ctx context.Context, c evidence.Claimed, fs []evidence.Finding) (bool, error) {
	done := false
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if done, err = s.Evidence.FinishReading(ctx, tx, c.Application.ID, c.Attempt, fs); err != nil || !done {
			return err
		}
		flagged := 0
		for _, f := range fs {
			if f.Flag {
				flagged++
			}
		}
		return s.Audit.Append(ctx, tx, audit.Event{Actor: audit.ActorSystem, AccountID: c.Application.AccountID,
			Action: audit.ApplicationRead, Result: audit.OK, FlowID: c.Application.FlowID,
			Detail: map[string]string{"application": c.Application.ID, "findings": fmt.Sprint(len(fs)), "flags": fmt.Sprint(flagged),
				"ocr": fmt.Sprint(s.OCR.Available())}})
	})
	return done, err
}
