package evidence

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/store"
)

// Reading an application's screenshots happens after its submission, in
// the background (internal/reset's ReadPending): OCR takes about a second
// a picture, too long to hold a submission's transaction or its request
// for, and a reading lost to a restart is taken up again.

// Claimed is an application taken to be read, and which attempt this is.
type Claimed struct {
	Application Application
	Attempt     int
}

// ClaimReading takes the oldest application whose screenshots wait to be
// read and whose earlier claim, if any, has lapsed, under a lease of
// lease, and returns it with its pictures; ok is false when none waits.
// One statement claims it: on PostgreSQL, readers on other instances skip
// a row another is claiming. The subquery is compared with "=", not "IN":
// PostgreSQL runs a scalar subquery once, while "IN" with a locking
// subquery may run it again for every row and claim them all.
func (s *Store) ClaimReading(ctx context.Context, db *store.DB, lease time.Duration) (c Claimed, ok bool, err error) {
	now := store.Millis(s.clock.Now())
	var id string
	err = db.QueryRowContext(ctx, `UPDATE applications SET read_attempts = read_attempts + 1, read_lease_until = $1
		WHERE id = (SELECT id FROM applications
			WHERE reading = $2 AND (read_lease_until IS NULL OR read_lease_until <= $3)
			ORDER BY submitted_at LIMIT 1`+db.SkipLocked()+`)
		AND reading = $2 AND (read_lease_until IS NULL OR read_lease_until <= $3)
		RETURNING id, read_attempts`, now+lease.Milliseconds(), ReadPending, now).Scan(&id, &c.Attempt)
	if store.IsNoRows(err) {
		return Claimed{}, false, nil
	}
	if err != nil {
		return Claimed{}, false, fmt.Errorf("evidence: claim a reading: %w", store.Translate(err))
	}
	c.Application, err = s.Get(ctx, db, id)
	return c, err == nil, err
}

// FinishReading appends fs to application id's findings and marks its
// reading done, in one conditional statement: only while the reading is
// pending and attempt is still the latest claim. ok is false, and nothing
// changed, otherwise. Appending is done on the stored JSON text (its
// closing bracket replaced), so findings another writer added meanwhile
// are kept, without reading them first.
func (s *Store) FinishReading(ctx context.Context, q store.Querier, id string, attempt int, fs []Finding) (ok bool, err error) {
	if fs == nil {
		fs = []Finding{}
	}
	add, err := json.Marshal(fs)
	if err != nil {
		return false, fmt.Errorf("evidence: reading's findings: %w", err)
	}
	res, err := q.ExecContext(ctx, `UPDATE applications SET reading = $1, read_lease_until = NULL,
		findings = CASE
			WHEN CAST($2 AS TEXT) = '[]' THEN findings
			WHEN findings IN ('null', '[]') THEN CAST($2 AS TEXT)
			ELSE SUBSTR(findings, 1, LENGTH(findings) - 1) || ',' || SUBSTR(CAST($2 AS TEXT), 2)
		END
		WHERE id = $3 AND reading = $4 AND read_attempts = $5`, ReadDone, string(add), id, ReadPending, attempt)
	if err != nil {
		return false, fmt.Errorf("evidence: finish a reading: %w", store.Translate(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("evidence: finish a reading: %w", err)
	}
	return n == 1, nil
}
