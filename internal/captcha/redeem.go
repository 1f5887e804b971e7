package captcha

import (
	"context"
	"errors"
	"fmt"

	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// issue stores the token of a solved challenge, as a digest, with the
// challenge's binding.
func (s *Slider) issue(ctx context.Context, q store.Querier, tok, challengeID string, b Binding) error {
	now := s.clock.Now()
	_, err := q.ExecContext(ctx, `INSERT INTO captcha_tokens
		(token_hash, challenge_id, flow_id, number, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		token.Digest(tok), challengeID, b.FlowID, b.Number, store.Millis(now), store.Millis(now.Add(s.tokenLifetime)))
	if err != nil {
		return fmt.Errorf("captcha: store token: %w", store.Translate(err))
	}
	return nil
}

// Redeem uses a token once, for b, in one conditional statement: the token
// must be unused and unexpired, and every field bound when the challenge
// was made must equal b's; fields left empty then take b's values now.
// Of many redemptions at once, exactly one succeeds. A refused redemption
// leaves the token as it was. Call it in the transaction of the send it
// guards.
func (s *Slider) Redeem(ctx context.Context, q store.Querier, tok string, b Binding) error {
	if !token.ValidID(tok) {
		return invalid(errors.New("captcha: malformed token"))
	}
	var challengeID string
	err := q.QueryRowContext(ctx, `UPDATE captcha_tokens SET used_at = $1,
			flow_id = CASE WHEN flow_id = '' THEN $2 ELSE flow_id END,
			number = CASE WHEN number = '' THEN $3 ELSE number END
		WHERE token_hash = $4 AND used_at IS NULL AND expires_at > $1
			AND (flow_id = '' OR flow_id = $2) AND (number = '' OR number = $3)
		RETURNING challenge_id`,
		store.Millis(s.clock.Now()), b.FlowID, b.Number, token.Digest(tok)).Scan(&challengeID)
	if store.IsNoRows(err) {
		return invalid(errors.New("captcha: token unknown, expired, used or bound elsewhere"))
	}
	if err != nil {
		return fmt.Errorf("captcha: redeem: %w", store.Translate(err))
	}
	return nil
}

// Purge deletes what can no longer be used: answered or expired challenges
// and used or expired tokens. It returns how many rows went.
func (s *Slider) Purge(ctx context.Context, q store.Querier) (int64, error) {
	now := store.Millis(s.clock.Now())
	var n int64
	for _, stmt := range []string{
		"DELETE FROM captcha_tokens WHERE used_at IS NOT NULL OR expires_at <= $1",
		"DELETE FROM captcha_challenges WHERE answered_at IS NOT NULL OR expires_at <= $1",
	} {
		res, err := q.ExecContext(ctx, stmt, now)
		if err != nil {
			return n, fmt.Errorf("captcha: purge: %w", store.Translate(err))
		}
		m, _ := res.RowsAffected()
		n += m
	}
	return n, nil
}
