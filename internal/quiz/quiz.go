// Package quiz builds and checks the security questions of a mobile reset
// (SPEC §3.2 step 4): 4 questions about the account's own history, each
// with one or more correct options among 8, 3 chances per account in a
// 30-day window. Option sets are fixed per account, kind and window, so
// comparing chances reveals nothing; the answer key never leaves the
// server; chances are consumed by one conditional statement when questions
// are issued.
package quiz

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/store"
)

// Rules are the quiz's limits (SPEC §4).
type Rules struct {
	Chances   int           // per window
	Window    time.Duration // chances renew this long after the first is used
	Lifetime  time.Duration // of one issued quiz
	Questions int           // per quiz
}

// DefaultRules are SPEC §4's.
var DefaultRules = Rules{Chances: 3, Window: 30 * 24 * time.Hour, Lifetime: 10 * time.Minute, Questions: 4}

// Service issues and checks quizzes.
type Service struct {
	clock clock.Clock
	prf   []byte
	seal  *keys.Sealer
	kinds []Kind
	rules Rules
	cache rateCache
}

// New returns a quiz service. prfKey seeds option generation; seal protects
// answer keys at rest; kinds are the enabled kinds (nil: all).
func New(c clock.Clock, prfKey []byte, seal *keys.Sealer, kinds []Kind, rules Rules) *Service {
	if kinds == nil {
		for _, s := range Specs {
			kinds = append(kinds, s.Kind)
		}
	}
	return &Service{clock: c, prf: prfKey, seal: seal, kinds: kinds, rules: rules}
}

// Rules returns the rules in force.
func (s *Service) Rules() Rules { return s.rules }

// rng returns a generator seeded from the server's key and parts, so the
// same parts always give the same draws and nobody without the key can
// predict them.
func (s *Service) rng(parts ...string) *rand.Rand {
	m := hmac.New(sha256.New, s.prf)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	var seed [32]byte
	copy(seed[:], m.Sum(nil))
	return rand.New(rand.NewChaCha8(seed))
}

// MaxRate is the highest base rate a value may have to be asked about: a
// value nearly every account has proves nothing about this one. Such
// values are neither answers nor distractors. Below it, whether a popular
// value can be asked is for the balance of decoys to say (balance,
// calibrate): it was 0.4 before they could show a popular value right
// less often, and at 0.7 BTC/USDT and the like let 2 % more of the
// accounts with a trade take questions.
const MaxRate = 0.7

// Telling returns the account's facts of kind k that say something about
// it: those whose base rate is at most MaxRate (addresses always do).
func Telling(f Facts, k Kind, rates Rates) []string {
	vals := f.Values(k)
	if k == WithdrawalAddresses {
		return vals
	}
	out := vals[:0:0]
	for _, v := range vals {
		if rates[k][v] <= MaxRate {
			out = append(out, v)
		}
	}
	return out
}

// Available returns the kinds the account's telling facts are rich enough
// for.
func (s *Service) Available(f Facts, rates Rates) []Kind {
	var out []Kind
	for _, k := range s.kinds {
		if len(Telling(f, k, rates)) > 0 {
			out = append(out, k)
		}
	}
	return out
}

// Status says whether an account can take a quiz now.
type Status struct {
	ChancesLeft int
	// Enough reports whether the account has history for a quiz.
	Enough bool
}

// Status reads an account's chances and whether its history suffices.
func (s *Service) Status(ctx context.Context, q store.Querier, accountID string) (Status, error) {
	left, err := s.ChancesLeft(ctx, q, accountID)
	if err != nil {
		return Status{}, err
	}
	f, err := Load(ctx, q, accountID, s.clock.Now())
	if err != nil {
		return Status{}, err
	}
	rates, err := s.Rates(ctx, q)
	if err != nil {
		return Status{}, err
	}
	return Status{ChancesLeft: left, Enough: len(s.Available(f, rates)) >= s.rules.Questions}, nil
}

// ChancesLeft returns the chances the account has in its current window.
func (s *Service) ChancesLeft(ctx context.Context, q store.Querier, accountID string) (int, error) {
	var used int
	var start int64
	err := q.QueryRowContext(ctx, "SELECT quiz_used, quiz_window_start FROM accounts WHERE id = $1", accountID).Scan(&used, &start)
	if err != nil {
		return 0, fmt.Errorf("quiz: chances: %w", store.Translate(err))
	}
	if s.windowOver(start) {
		return s.rules.Chances, nil
	}
	return max(s.rules.Chances-used, 0), nil
}

func (s *Service) windowOver(start int64) bool {
	return start <= store.Millis(s.clock.Now().Add(-s.rules.Window))
}

// take uses one chance in one conditional statement: a window older than
// the rules' starts again at this chance. It returns the chance's number and
// the window it belongs to, or quiz_unavailable with no chance left.
func (s *Service) take(ctx context.Context, tx *sql.Tx, accountID string) (chance int, window int64, err error) {
	now := store.Millis(s.clock.Now())
	old := store.Millis(s.clock.Now().Add(-s.rules.Window))
	err = tx.QueryRowContext(ctx, `UPDATE accounts SET
			quiz_used = CASE WHEN quiz_window_start <= $2 THEN 1 ELSE quiz_used + 1 END,
			quiz_window_start = CASE WHEN quiz_window_start <= $2 THEN $3 ELSE quiz_window_start END
		WHERE id = $1 AND (quiz_used < $4 OR quiz_window_start <= $2)
		RETURNING quiz_used, quiz_window_start`, accountID, old, now, s.rules.Chances).Scan(&chance, &window)
	if store.IsNoRows(err) {
		return 0, 0, apperr.New(apperr.QuizUnavailable, "no security-question chances are left; submit documents instead")
	}
	if err != nil {
		return 0, 0, fmt.Errorf("quiz: take a chance: %w", store.Translate(err))
	}
	return chance, window, nil
}

// Renew gives the account its chances back (after a successful reset) and
// drops its stored option sets.
func (s *Service) Renew(ctx context.Context, q store.Querier, accountID string) error {
	if _, err := q.ExecContext(ctx, "UPDATE accounts SET quiz_used = 0, quiz_window_start = 0 WHERE id = $1", accountID); err != nil {
		return fmt.Errorf("quiz: renew: %w", store.Translate(err))
	}
	if _, err := q.ExecContext(ctx, "DELETE FROM quiz_options WHERE account_id = $1", accountID); err != nil {
		return fmt.Errorf("quiz: renew: %w", store.Translate(err))
	}
	return nil
}

// pickKinds chooses the window's question kinds: the same in every chance
// of a window, so chances show no more option sets than the first did.
func (s *Service) pickKinds(accountID string, window int64, available []Kind) []Kind {
	kinds := slices.Clone(available)
	s.rng(accountID, fmt.Sprint(window), "kinds").Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	return kinds
}

// storedDrafts reads the option sets the window's chances have shown.
// Rows stored before drafts were kept whole hold only the options; they
// count as drawn from a single fact, the most guessable case, so the bound
// never underrates them.
func (s *Service) storedDrafts(ctx context.Context, tx *sql.Tx, accountID string, window int64) (map[Kind]draft, error) {
	rows, err := tx.QueryContext(ctx, "SELECT kind, options FROM quiz_options WHERE account_id = $1 AND window_start = $2", accountID, window)
	if err != nil {
		return nil, fmt.Errorf("quiz: options: %w", store.Translate(err))
	}
	defer rows.Close()
	out := map[Kind]draft{}
	for rows.Next() {
		var kind, raw string
		if err := rows.Scan(&kind, &raw); err != nil {
			return nil, fmt.Errorf("quiz: options: %w", err)
		}
		d := draft{Kind: Kind(kind), Facts: 1}
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			if err := json.Unmarshal([]byte(raw), &d.Options); err != nil {
				return nil, fmt.Errorf("quiz: options: %w", err)
			}
		}
		out[d.Kind] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("quiz: options: %w", store.Translate(err))
	}
	return out, nil
}

// storeDrafts keeps the window's newly drawn option sets. A concurrent first
// draw of the same window cannot happen: issuing a quiz takes the account's
// chance row first, which serialises them.
func (s *Service) storeDrafts(ctx context.Context, tx *sql.Tx, accountID string, window int64, drafts []draft) error {
	for _, d := range drafts {
		b, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("quiz: store options: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO quiz_options (account_id, window_start, kind, options) VALUES ($1, $2, $3, $4)`,
			accountID, window, string(d.Kind), string(b)); err != nil {
			return fmt.Errorf("quiz: store options: %w", store.Translate(err))
		}
	}
	return nil
}
