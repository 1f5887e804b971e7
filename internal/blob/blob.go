// Package blob keeps uploaded documents sealed in a bucket (a private local
// folder by default). Each object has its own random AES-256 data key: the
// object is sealed with AES-256-GCM under it, and the key is wrapped under a
// key derived from the server secret and kept in the database (blob_keys),
// both bound to the object's random id. So a copied bucket reveals nothing,
// a copied database as well needs the secret, and destroying the key in its
// row makes every surviving copy of the object noise. Which account may see
// which object is the caller's business; Serve sends one safely.
package blob

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	gcblob "gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// Store seals objects into a bucket and keeps their keys in the database.
type Store struct {
	db     *store.DB
	bucket *gcblob.Bucket
	clock  clock.Clock
	wrap   *keys.Sealer
}

// New returns a store over bucket whose data keys are wrapped under the
// current key of wrapKeys (keys.DocumentKey) and unwrap under any of them.
func New(db *store.DB, bucket *gcblob.Bucket, c clock.Clock, wrapKeys keys.Set) (*Store, error) {
	for _, k := range wrapKeys {
		if len(k) != dataKeySize {
			return nil, fmt.Errorf("blob: wrapping key must be %d bytes", dataKeySize)
		}
	}
	wrap, err := keys.NewSealer(wrapKeys)
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	return &Store{db: db, bucket: bucket, clock: c, wrap: wrap}, nil
}

// Put seals plain into a new object under a random id and records its key
// through q, which should be the transaction that records the document, so
// the two commit together. The object is written first; if the transaction
// then rolls back, the object is left without a key, unreadable.
func (s *Store) Put(ctx context.Context, q store.Querier, plain []byte) (id string, err error) {
	id = token.NewID()
	object, wrapped := sealObject(s.wrap, plain, id)
	if err := s.write(ctx, id, object); err != nil {
		return "", err
	}
	sum := sha256.Sum256(plain)
	_, err = q.ExecContext(ctx, `INSERT INTO blob_keys (id, wrapped_key, sha256, created_at) VALUES ($1, $2, $3, $4)`,
		id, wrapped, hex.EncodeToString(sum[:]), store.Millis(s.clock.Now()))
	if err != nil {
		s.bucket.Delete(context.WithoutCancel(ctx), id) // best effort: keyless, it is noise anyway
		return "", fmt.Errorf("blob: record key: %w", store.Translate(err))
	}
	return id, nil
}

func (s *Store) write(ctx context.Context, id string, object []byte) error {
	err := s.bucket.WriteAll(ctx, id, object, &gcblob.WriterOptions{
		ContentType: "application/octet-stream",
		IfNotExist:  true,
		BeforeWrite: privateFile,
	})
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, "document storage is unavailable", fmt.Errorf("blob: write %s: %w", id, err))
	}
	return nil
}

// Get returns the plain content of object id. An id that is unknown,
// malformed or destroyed is not_found.
func (s *Store) Get(ctx context.Context, id string) ([]byte, error) {
	if !token.ValidID(id) {
		return nil, notFound()
	}
	var wrapped sql.NullString
	var sum string
	err := s.db.QueryRowContext(ctx, `SELECT wrapped_key, sha256 FROM blob_keys WHERE id = $1 AND destroyed_at IS NULL`, id).
		Scan(&wrapped, &sum)
	if store.IsNoRows(err) || (err == nil && !wrapped.Valid) {
		return nil, notFound()
	}
	if err != nil {
		return nil, fmt.Errorf("blob: read key: %w", store.Translate(err))
	}
	object, err := s.bucket.ReadAll(ctx, id)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, notFound() // destroyed since the key was read
	}
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, "document storage is unavailable", fmt.Errorf("blob: read %s: %w", id, err))
	}
	plain, err := openObject(s.wrap, object, wrapped.String, id)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, id)
	}
	got := sha256.Sum256(plain)
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(got[:])), []byte(sum)) != 1 {
		return nil, fmt.Errorf("blob: object %s does not match its recorded hash", id)
	}
	return plain, nil
}

// Info is what is known of an object without opening it; it outlives the
// object.
type Info struct {
	SHA256       string
	CreatedAt    time.Time
	DestroyAfter time.Time // zero while unscheduled
	DestroyedAt  time.Time // zero while the object can be read
}

// Info returns what is recorded of object id; unknown is not_found.
func (s *Store) Info(ctx context.Context, q store.Querier, id string) (Info, error) {
	var in Info
	var created int64
	var after, destroyed sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT sha256, created_at, destroy_after, destroyed_at FROM blob_keys WHERE id = $1`, id).
		Scan(&in.SHA256, &created, &after, &destroyed)
	if store.IsNoRows(err) {
		return Info{}, notFound()
	}
	if err != nil {
		return Info{}, fmt.Errorf("blob: read info: %w", store.Translate(err))
	}
	in.CreatedAt = store.Time(created)
	if after.Valid {
		in.DestroyAfter = store.Time(after.Int64)
	}
	if destroyed.Valid {
		in.DestroyedAt = store.Time(destroyed.Int64)
	}
	return in, nil
}

func notFound() error { return apperr.New(apperr.NotFound, "no such document") }

var errGone = errors.New("blob: object already destroyed")

// Discard deletes the object of a Put whose transaction did not commit (it
// has no key, so it is unreadable noise). An object whose key was committed
// is left alone: destroying a document is Destroy's work.
func (s *Store) Discard(ctx context.Context, id string) error {
	_, err := s.Info(ctx, s.db, id)
	if err == nil {
		return nil
	}
	if !apperr.Is(err, apperr.NotFound) {
		return err
	}
	if err := s.bucket.Delete(ctx, id); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("blob: discard %s: %w", id, err)
	}
	return nil
}
