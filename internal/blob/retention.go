package blob

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gocloud.dev/gcerrors"

	"github.com/rebindhq/rebind/internal/store"
)

// purgeBatch bounds how many due ids one query returns (a variable for tests).
var purgeBatch = 500

// Schedule sets when object id is to be destroyed, through q (the decision's
// transaction). An unknown or already destroyed id is not_found.
func (s *Store) Schedule(ctx context.Context, q store.Querier, id string, at time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE blob_keys SET destroy_after = $2 WHERE id = $1 AND destroyed_at IS NULL`,
		id, store.Millis(at))
	if err != nil {
		return fmt.Errorf("blob: schedule: %w", store.Translate(err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return notFound()
	}
	return nil
}

// Destroy erases object id's key now and deletes the object. Destroying it
// again does nothing; an unknown id is not_found.
func (s *Store) Destroy(ctx context.Context, id string) error {
	_, err := s.destroy(ctx, id, s.clock.Now(), false)
	if errors.Is(err, errGone) {
		return nil
	}
	return err
}

// Purge destroys every object whose time has come by now and returns how
// many this call destroyed; calling it again finds nothing. Instances may
// purge at once: a key is erased by one conditional update, and only the
// caller whose update took it deletes the object and counts it.
func (s *Store) Purge(ctx context.Context, now time.Time) (int, error) {
	done := 0
	for {
		ids, err := s.due(ctx, now)
		if err != nil || len(ids) == 0 {
			return done, err
		}
		n, err := s.destroyAll(ctx, ids, now)
		done += n
		if err != nil {
			return done, err
		}
	}
}

// due lists ids whose destroy_after has come and whose key is not yet erased.
func (s *Store) due(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM blob_keys WHERE destroyed_at IS NULL AND destroy_after <= $1
		ORDER BY destroy_after LIMIT $2`, store.Millis(now), purgeBatch)
	if err != nil {
		return nil, fmt.Errorf("blob: list due: %w", store.Translate(err))
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("blob: list due: %w", store.Translate(err))
		}
		ids = append(ids, id)
	}
	return ids, store.Translate(rows.Err())
}

// destroyAll destroys the due ids another instance has not taken. The key
// goes first: once it is erased no copy of the object opens, so an object
// whose deletion failed is noise, reported but not retried.
func (s *Store) destroyAll(ctx context.Context, ids []string, now time.Time) (int, error) {
	n := 0
	var errs []error
	for _, id := range ids {
		taken, err := s.destroy(ctx, id, now, true)
		if taken {
			n++
		}
		if err != nil && !errors.Is(err, errGone) {
			errs = append(errs, err)
			if !taken {
				break // the database failed; the next purge retries
			}
		}
	}
	return n, errors.Join(errs...)
}

// destroy erases id's key, only while it is not erased yet (and, for a
// purge, only once it is due), then deletes the object. taken says whether
// this call's update erased the key.
func (s *Store) destroy(ctx context.Context, id string, now time.Time, dueOnly bool) (taken bool, err error) {
	query := `UPDATE blob_keys SET wrapped_key = NULL, destroyed_at = $2 WHERE id = $1 AND destroyed_at IS NULL`
	if dueOnly {
		query += ` AND destroy_after <= $2`
	}
	res, err := s.db.ExecContext(ctx, query, id, store.Millis(now))
	if err != nil {
		return false, fmt.Errorf("blob: erase key: %w", store.Translate(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, fmt.Errorf("blob: erase key: %w", store.Translate(err))
	} else if n == 0 {
		if _, err := s.Info(ctx, s.db, id); err != nil {
			return false, err // not_found
		}
		return false, errGone
	}
	if err := s.bucket.Delete(ctx, id); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return true, fmt.Errorf("blob: delete object %s (its key is erased): %w", id, err)
	}
	return true, nil
}
