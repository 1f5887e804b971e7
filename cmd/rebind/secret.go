package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/blob"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/outbox"
)

const secretUsage = `usage: rebind secret rekey

rekey seals again, under REBIND_SECRET, the long-lived values still sealed
under a secret of REBIND_SECRET_PREVIOUS (staff TOTP secrets, the keys of
uploaded documents), and counts the messages waiting to be sent that still
need a previous secret. Run it once every instance has the new secret
current; see docs/operations.md, "Rotating the server secret".`

// secretCmd is the operator's part of a rotation of the server secret.
func secretCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		return &helpError{secretUsage + "\n"}
	}
	if len(args) == 0 || args[0] != "rekey" {
		return errors.New(secretUsage)
	}
	cfg, err := load("secret rekey", args[1:], getenv, nil)
	if err != nil {
		return err
	}
	if cfg.Secret == nil {
		return errors.New("secret rekey: REBIND_SECRET is not set")
	}
	db, err := openReady(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(stdout, "current secret %s; previous secrets accepted: %s\n", cfg.Secret.ID(), orNone(cfg.Secret.IDs()[1:]))
	s, err := staffService(cfg, db)
	if err != nil {
		return err
	}
	staffDone, err := s.Reseal(ctx)
	if err != nil {
		return err
	}
	bucket, err := blob.OpenBucket(ctx, cfg.BlobURL)
	if err != nil {
		return fmt.Errorf("REBIND_BLOB_URL: %w", err)
	}
	defer bucket.Close()
	blobs, err := blob.New(db, bucket, clock.Real{}, cfg.Secret.Set(keys.DocumentKey))
	if err != nil {
		return err
	}
	docsDone, err := blobs.Rewrap(ctx)
	if err != nil {
		return err
	}
	q, err := outbox.NewQueue(clock.Real{}, cfg.Secret.Set(keys.OutboxSeal))
	if err != nil {
		return err
	}
	waiting, err := q.Previous(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "staff TOTP secrets: %d sealed again, %d already under the current secret, %d open under no accepted secret\n",
		staffDone.Changed, staffDone.Kept, staffDone.Failed)
	fmt.Fprintf(stdout, "document keys: %d wrapped again, %d already under the current secret, %d unwrap under no accepted secret\n",
		docsDone.Changed, docsDone.Kept, docsDone.Failed)
	fmt.Fprintf(stdout, "messages waiting to be sent under a previous secret: %d\n", waiting)
	result := audit.OK
	if staffDone.Failed+docsDone.Failed > 0 {
		result = audit.Failed
	}
	// A key operation is on the record: who (the operator), under which
	// secret, and what it changed.
	if err := db.Tx(ctx, func(tx *sql.Tx) error {
		return audit.New(clock.Real{}).Append(ctx, tx, audit.Event{Actor: audit.ActorOperator, Action: audit.SecretRekeyed, Result: result,
			Detail: map[string]string{"secret": cfg.Secret.ID(), "previous": orNone(cfg.Secret.IDs()[1:]),
				"staff_sealed": strconv.Itoa(staffDone.Changed), "staff_kept": strconv.Itoa(staffDone.Kept), "staff_failed": strconv.Itoa(staffDone.Failed),
				"documents_wrapped": strconv.Itoa(docsDone.Changed), "documents_kept": strconv.Itoa(docsDone.Kept),
				"documents_failed": strconv.Itoa(docsDone.Failed)}})
	}); err != nil {
		return fmt.Errorf("secret rekey: recording it in the audit trail: %w", err)
	}
	if staffDone.Failed+docsDone.Failed > 0 {
		return fmt.Errorf("secret rekey: %d values open under no accepted secret: was a secret dropped too early? (see docs/operations.md)",
			staffDone.Failed+docsDone.Failed)
	}
	return nil
}

func orNone(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}
