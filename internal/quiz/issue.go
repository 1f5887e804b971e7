package quiz

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// ShownOption is an option as the caller sees it: an opaque id and a text.
type ShownOption struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Question is a question as the caller sees it. Nothing in it tells how
// many options are correct.
type Question struct {
	ID      string        `json:"id"`
	Text    string        `json:"text"`
	Options []ShownOption `json:"options"`
}

// Issued is a quiz handed out.
type Issued struct {
	ID        string     `json:"quiz_id"`
	ExpiresAt time.Time  `json:"expires_at"`
	Questions []Question `json:"questions"`
	// Chance is which of the window's chances this quiz uses (1-based).
	Chance int `json:"-"`
}

// answerKey maps question ids to the ids of their correct options.
type answerKey map[string][]string

// Issue uses one of the account's chances and hands out a quiz for flow, in
// tx. Without history for enough questions it is quiz_unavailable and uses
// nothing (the caller rolls tx back on any error).
func (s *Service) Issue(ctx context.Context, tx *sql.Tx, flowID, accountID string) (Issued, error) {
	now := s.clock.Now()
	facts, err := Load(ctx, tx, accountID, now)
	if err != nil {
		return Issued{}, err
	}
	rates, err := s.Rates(ctx, tx)
	if err != nil {
		return Issued{}, err
	}
	if len(s.Available(facts, rates)) < s.rules.Questions {
		return Issued{}, apperr.New(apperr.QuizUnavailable, "this account does not have enough history for security questions; submit documents instead")
	}
	chance, window, err := s.take(ctx, tx, accountID)
	if err != nil {
		return Issued{}, err
	}
	qs, key, err := s.questions(ctx, tx, accountID, window, facts, rates)
	if err != nil {
		return Issued{}, err
	}
	issued := Issued{ID: token.NewID(), ExpiresAt: now.Add(s.rules.Lifetime).Truncate(time.Millisecond), Questions: qs, Chance: chance}
	if err := s.store(ctx, tx, issued, flowID, accountID, key); err != nil {
		return Issued{}, err
	}
	return issued, nil
}

// questions builds the quiz: the window's kinds in order, skipping any
// whose stored options no longer include a correct one (the account's facts
// changed since), until Questions are found. Ids and order are fresh random
// values for every quiz; the option sets are not.
func (s *Service) questions(ctx context.Context, tx *sql.Tx, accountID string, window int64, f Facts, rates Rates) ([]Question, answerKey, error) {
	shuffle := mrand.New(mrand.NewChaCha8(randomSeed()))
	key := answerKey{}
	var out []Question
	for _, k := range s.pickKinds(accountID, window, s.Available(f, rates)) {
		if len(out) == s.rules.Questions {
			break
		}
		spec, _ := SpecOf(k)
		opts, err := s.optionSet(ctx, tx, accountID, window, k, func() []Option {
			return s.build(spec, f, rates[k], accountID, window)
		})
		if err != nil {
			return nil, nil, err
		}
		q, correct := present(spec, opts, f.Values(k), shuffle)
		if len(correct) == 0 {
			continue
		}
		key[q.ID] = correct
		out = append(out, q)
	}
	if len(out) < s.rules.Questions {
		return nil, nil, apperr.New(apperr.QuizUnavailable, "this account does not have enough history for security questions; submit documents instead")
	}
	shuffle.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, key, nil
}

// build makes a kind's option set from the window's seeded generator.
func (s *Service) build(spec Spec, f Facts, rates map[string]float64, accountID string, window int64) []Option {
	networks := map[string]string{}
	for _, a := range f.Addresses {
		networks[a.Address] = a.Network
	}
	return buildOptions(spec, Telling(f, spec.Kind, Rates{spec.Kind: rates}), telling(rates), networks, s.rng(accountID, fmt.Sprint(window), string(spec.Kind)))
}

// present gives a question fresh ids and order and returns the ids of its
// correct options.
func present(spec Spec, opts []Option, facts []string, rng *mrand.Rand) (Question, []string) {
	q := Question{ID: token.NewID(), Text: spec.Text}
	var correct []string
	for _, i := range rng.Perm(len(opts)) {
		o := ShownOption{ID: token.NewID(), Text: opts[i].Text}
		q.Options = append(q.Options, o)
		if slices.Contains(facts, opts[i].Value) {
			correct = append(correct, o.ID)
		}
	}
	return q, correct
}

func randomSeed() [32]byte {
	var b [32]byte
	rand.Read(b[:])
	return b
}

// stored is a quiz row's public part.
type stored struct {
	Questions []Question `json:"questions"`
}

func (s *Service) store(ctx context.Context, tx *sql.Tx, q Issued, flowID, accountID string, key answerKey) error {
	pub, _ := json.Marshal(stored{Questions: q.Questions})
	sealed, err := s.sealKey(q.ID, key)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO quizzes (id, flow_id, account_id, chance, questions, sealed_key, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, q.ID, flowID, accountID, q.Chance, string(pub), sealed,
		store.Millis(s.clock.Now()), store.Millis(q.ExpiresAt))
	if err != nil {
		return fmt.Errorf("quiz: store: %w", store.Translate(err))
	}
	return nil
}
