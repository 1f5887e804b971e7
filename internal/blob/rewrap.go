package blob

import (
	"context"
	"encoding/base64"
	"errors"

	"github.com/rebindhq/rebind/internal/store"
)

// Rewrap wraps every live document's data key again under the current
// server secret where it is under a previous one, so the previous secret
// can be dropped without losing documents. Only the wrapped keys change:
// the objects in the bucket, sealed under their own data keys, stay as
// they are. Failed counts keys no accepted secret unwraps.
func (s *Store) Rewrap(ctx context.Context) (store.Rewritten, error) {
	return s.db.Rewrite(ctx, "blob_keys", "wrapped_key", func(id, v string) (string, bool, error) {
		raw, err := base64.RawStdEncoding.DecodeString(v)
		if err != nil {
			return "", false, errors.New("blob: wrapped key is damaged")
		}
		again, changed, err := s.wrap.Reseal(raw, []byte(id))
		return base64.RawStdEncoding.EncodeToString(again), changed, err
	})
}
