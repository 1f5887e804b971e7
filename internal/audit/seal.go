package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/store"
)

// SealBatch is the most events one Seal links into the chain.
const SealBatch = 1000

// Seal links up to SealBatch committed, unsealed events into the chain, in
// the order of their numbers, and returns how many it sealed. It runs in
// one short transaction that holds the chain head: on PostgreSQL a row lock
// on audit_head taken with SKIP LOCKED, so when another instance is sealing
// Seal returns 0 at once instead of queueing; on SQLite the write
// transaction itself. The chain head moves only here. An event whose
// transaction commits after later ones were sealed is sealed by a later
// call, further along the chain.
func (l *Log) Seal(ctx context.Context, db *store.DB) (int, error) {
	return l.seal(ctx, db, false)
}

// SealAll seals until nothing committed is waiting, waiting for another
// sealer instead of giving way to it (`rebind audit seal`, shutdown, tests).
func (l *Log) SealAll(ctx context.Context, db *store.DB) (int, error) {
	total := 0
	for {
		n, err := l.seal(ctx, db, true)
		total += n
		if err != nil || n < SealBatch {
			return total, err
		}
	}
}

func (l *Log) seal(ctx context.Context, db *store.DB, wait bool) (int, error) {
	// A look without a lock first: an idle poll costs one read of an empty
	// partial index, and on SQLite takes no write lock.
	var waiting int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM audit_events WHERE chain_pos IS NULL LIMIT 1) w").
		Scan(&waiting); err != nil {
		return 0, fmt.Errorf("audit: look for unsealed events: %w", store.Translate(err))
	}
	if waiting == 0 {
		return 0, nil
	}
	var sealed int
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		sealed = 0
		pos, prev, held, err := lockHead(ctx, tx, db.Dialect, wait)
		if err != nil || !held {
			return err
		}
		rows, err := tx.QueryContext(ctx, selectRecord+" WHERE chain_pos IS NULL ORDER BY seq LIMIT $1", SealBatch)
		if err != nil {
			return fmt.Errorf("audit: read unsealed events: %w", store.Translate(err))
		}
		batch, err := scanRecords(rows)
		if err != nil || len(batch) == 0 {
			return err
		}
		for i := range batch {
			pos++
			batch[i].ChainPos, batch[i].PrevHash = pos, prev
			batch[i].Hash = batch[i].digest()
			prev = batch[i].Hash
		}
		if err := writeSeals(ctx, tx, db.Dialect, batch); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE audit_head SET chain_pos = $1, hash = $2 WHERE id = 1", pos, prev); err != nil {
			return fmt.Errorf("audit: move chain head: %w", store.Translate(err))
		}
		sealed = len(batch)
		return nil
	})
	return sealed, err
}

// lockHead reads the chain head and holds it until tx ends. held is false
// when another sealer has it and wait is false.
func lockHead(ctx context.Context, tx *sql.Tx, d store.Dialect, wait bool) (pos int64, hash string, held bool, err error) {
	q := "SELECT chain_pos, hash FROM audit_head WHERE id = 1"
	if d == store.Postgres {
		q += " FOR UPDATE"
		if !wait {
			q += " SKIP LOCKED"
		}
	}
	err = tx.QueryRowContext(ctx, q).Scan(&pos, &hash)
	if errors.Is(err, sql.ErrNoRows) && d == store.Postgres && !wait {
		// Skipped: either another sealer holds the head, or it is gone.
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM audit_head WHERE id = 1").Scan(&n); err != nil || n == 0 {
			return 0, "", false, fmt.Errorf("audit: chain head missing: %w", store.Translate(err))
		}
		return 0, "", false, nil
	}
	if err != nil {
		return 0, "", false, fmt.Errorf("audit: read chain head: %w", store.Translate(err))
	}
	return pos, hash, true, nil
}

// writeSeals stores the chain columns of a sealed batch: one statement on
// PostgreSQL, a prepared statement per event on SQLite (in-process, no
// round trips). Each update requires the event still unsealed, and the
// count must match, so a second sealer could never re-seal an event.
func writeSeals(ctx context.Context, tx *sql.Tx, d store.Dialect, batch []Record) error {
	var updated int64
	if d == store.Postgres {
		var b strings.Builder
		args := make([]any, 0, 4*len(batch))
		b.WriteString("UPDATE audit_events AS e SET chain_pos = v.pos, prev_hash = v.prev, hash = v.hash FROM (VALUES ")
		for i, r := range batch {
			if i > 0 {
				b.WriteString(", ")
			}
			n := 4 * i
			fmt.Fprintf(&b, "($%d::bigint, $%d::bigint, $%d::text, $%d::text)", n+1, n+2, n+3, n+4)
			args = append(args, r.Seq, r.ChainPos, r.PrevHash, r.Hash)
		}
		b.WriteString(") AS v(seq, pos, prev, hash) WHERE e.seq = v.seq AND e.chain_pos IS NULL")
		res, err := tx.ExecContext(ctx, b.String(), args...)
		if err != nil {
			return fmt.Errorf("audit: seal events: %w", store.Translate(err))
		}
		updated, _ = res.RowsAffected()
	} else {
		stmt, err := tx.PrepareContext(ctx, "UPDATE audit_events SET chain_pos = $1, prev_hash = $2, hash = $3 WHERE seq = $4 AND chain_pos IS NULL")
		if err != nil {
			return fmt.Errorf("audit: seal events: %w", store.Translate(err))
		}
		defer stmt.Close()
		for _, r := range batch {
			res, err := stmt.ExecContext(ctx, r.ChainPos, r.PrevHash, r.Hash, r.Seq)
			if err != nil {
				return fmt.Errorf("audit: seal event %d: %w", r.Seq, store.Translate(err))
			}
			n, _ := res.RowsAffected()
			updated += n
		}
	}
	if updated != int64(len(batch)) {
		return fmt.Errorf("audit: sealed %d of %d events: another sealer ran", updated, len(batch))
	}
	return nil
}

// Backlog is what waits to be sealed.
type Backlog struct {
	Events int64
	// Oldest is when the oldest unsealed event was recorded (zero when
	// none waits).
	Oldest time.Time
}

// Pending returns the events awaiting sealing. A few are normal (the
// sealer runs every fraction of a second); a growing backlog means no
// sealer runs.
func (l *Log) Pending(ctx context.Context, q store.Querier) (Backlog, error) {
	var b Backlog
	var oldest sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT count(*), min(at) FROM audit_events WHERE chain_pos IS NULL").
		Scan(&b.Events, &oldest); err != nil {
		return b, fmt.Errorf("audit: count unsealed events: %w", store.Translate(err))
	}
	if oldest.Valid {
		b.Oldest = store.Time(oldest.Int64)
	}
	return b, nil
}
