package staff

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/rebindhq/rebind/internal/store"
)

// Reseal seals every member's TOTP secret again under the current server
// secret where it is under a previous one, so the previous secret can be
// dropped without locking staff out. Failed counts secrets no accepted
// secret opens.
func (s *Service) Reseal(ctx context.Context) (store.Rewritten, error) {
	return s.DB.Rewrite(ctx, "staff", "totp_sealed", func(id, v string) (string, bool, error) {
		raw, err := base64.RawStdEncoding.DecodeString(v)
		if err != nil {
			return "", false, fmt.Errorf("staff: sealed totp secret is malformed")
		}
		again, changed, err := s.seal.Reseal(raw, []byte("staff totp "+id))
		return base64.RawStdEncoding.EncodeToString(again), changed, err
	})
}
