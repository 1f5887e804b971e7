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
	// Odds is the bound's chance that a best guess at this question is
	// right (draft.odds). It never leaves the server.
	Odds float64 `json:"-"`
}

// Issued is a quiz handed out.
type Issued struct {
	ID        string     `json:"quiz_id"`
	ExpiresAt time.Time  `json:"expires_at"`
	Questions []Question `json:"questions"`
	// Chance is which of the window's chances this quiz uses (1-based).
	Chance int `json:"-"`
	// Guessability is the bound's chance that one attempt at this quiz
	// passes (guessability). It never leaves the server.
	Guessability float64 `json:"-"`
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
	e, err := s.estimates(ctx, tx)
	if err != nil {
		return Issued{}, err
	}
	if len(s.Available(facts, e.rates)) < s.rules.Questions {
		return Issued{}, apperr.New(apperr.QuizUnavailable, "this account does not have enough history for security questions; submit documents instead")
	}
	chance, window, err := s.take(ctx, tx, accountID)
	if err != nil {
		return Issued{}, err
	}
	qs, key, err := s.questions(ctx, tx, accountID, window, facts, e)
	if err != nil {
		return Issued{}, err
	}
	issued := Issued{ID: token.NewID(), ExpiresAt: now.Add(s.rules.Lifetime).Truncate(time.Millisecond), Questions: qs, Chance: chance,
		Guessability: 1}
	for _, q := range qs {
		issued.Guessability *= q.Odds
	}
	if err := s.store(ctx, tx, issued, flowID, accountID, key); err != nil {
		return Issued{}, err
	}
	return issued, nil
}

// questions builds the quiz and its answer key. Ids and order are fresh
// random values for every quiz; the option sets are not (assemble).
func (s *Service) questions(ctx context.Context, tx *sql.Tx, accountID string, window int64, f Facts, e estimates) ([]Question, answerKey, error) {
	drafts, err := s.assemble(ctx, tx, accountID, window, f, e)
	if err != nil {
		return nil, nil, err
	}
	shuffle := mrand.New(mrand.NewChaCha8(randomSeed()))
	key := answerKey{}
	var out []Question
	odds := quizOdds(drafts, e)
	for i, d := range drafts {
		spec, _ := SpecOf(d.Kind)
		q, correct := present(spec, d.Options, f.Values(d.Kind), shuffle)
		q.Odds = odds[i]
		key[q.ID] = correct
		out = append(out, q)
	}
	shuffle.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, key, nil
}

// estimates are what the population tells about values: base rates, decoy
// weights, each value's chance of being right when shown, and how much
// more likely an option is right when other questions of its quiz name
// its assets.
type estimates struct {
	rates, weights, right Rates
	// show weighs how readily each fact is shown as a right option
	// (weightedOrder); a value missing from it weighs 1.
	show Rates
	// models score options for the bound (optionModel); a kind without
	// one has options alike.
	models map[Kind]*optionModel
	// pools are the decoy weights of each kind in a fixed order, so a
	// seeded draw is reproducible (sortPools).
	pools map[Kind][]value
}

// chance is the chance that value v of kind k is right when it is shown,
// or, for a value the simulated quizzes never showed, its kind's average.
func (e estimates) chance(k Kind, v string) float64 {
	if p, ok := e.right[k][v]; ok {
		return p
	}
	return e.right[k][""]
}

// sortPools lists every kind's decoy weights in a fixed order.
func (e *estimates) sortPools() {
	e.pools = map[Kind][]value{}
	for k, w := range e.weights {
		e.pools[k] = sortedWeights(w)
	}
}

// pool returns the decoy weights of kind k in a fixed order.
func (e estimates) pool(k Kind) []value {
	if p, ok := e.pools[k]; ok {
		return p
	}
	return sortedWeights(e.weights[k])
}

// maxDraws is how many times a window's quiz is drawn again when a draw is
// too guessable, before the account is sent to documents. More finds no
// more: over 3,000 demo accounts, 32, 64 and 128 draws admitted the same
// accounts within one or two.
const maxDraws = 32

// assemble returns the window's questions. A question shown in an earlier
// chance of the window is shown again with exactly the same options while
// it still has a right one (the account's facts may have changed since);
// the rest are drawn now, from the window's kinds in their fixed order, so
// that no two questions name the same asset, and stored. A draw whose
// guessability is over MaxGuessability is drawn again; after maxDraws the
// quiz is unavailable.
func (s *Service) assemble(ctx context.Context, tx *sql.Tx, accountID string, window int64, f Facts, e estimates) ([]draft, error) {
	stored, err := s.storedDrafts(ctx, tx, accountID, window)
	if err != nil {
		return nil, err
	}
	networks := f.networks()
	order := s.pickKinds(accountID, window, s.Available(f, e.rates))
	var kept []draft
	for _, k := range order {
		if d, ok := stored[k]; ok && len(kept) < s.rules.Questions && answerable(d, f) {
			kept = append(kept, d)
		}
	}
	if len(kept) == s.rules.Questions {
		return kept, nil
	}
	for attempt := range maxDraws {
		drafts, fresh := slices.Clone(kept), []draft(nil)
		if attempt > 0 {
			// Another draw may take other kinds: some mixes of an
			// account's kinds are guessable and others are not.
			order = slices.Clone(order)
			s.rng(accountID, fmt.Sprint(window), "kinds", fmt.Sprint(attempt)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		for _, k := range order {
			if len(drafts) == s.rules.Questions {
				break
			}
			if _, ok := stored[k]; ok {
				continue // shown before: never drawn anew in this window
			}
			spec, _ := SpecOf(k)
			rng := s.rng(accountID, fmt.Sprint(window), string(k), fmt.Sprint(attempt))
			d, ok := s.draw(spec, f, e, networks, namedBy(drafts), rng)
			if !ok {
				continue
			}
			drafts, fresh = append(drafts, d), append(fresh, d)
		}
		if len(drafts) < s.rules.Questions {
			break
		}
		if guessability(drafts, e) > MaxGuessability {
			continue
		}
		if err := s.storeDrafts(ctx, tx, accountID, window, fresh); err != nil {
			return nil, err
		}
		return drafts, nil
	}
	return nil, apperr.New(apperr.QuizUnavailable, "this account does not have enough history for security questions; submit documents instead")
}

// draw builds a question of kind spec.
func (s *Service) draw(spec Spec, f Facts, e estimates, networks map[string]string, named map[string]bool, rng *mrand.Rand) (draft, bool) {
	return buildOptions(spec, Telling(f, spec.Kind, e.rates), e, networks, f.barred(spec.Kind), named, rng)
}

// answerable reports whether a stored question still has a right option.
func answerable(d draft, f Facts) bool {
	facts := f.Values(d.Kind)
	for _, o := range d.Options {
		if slices.Contains(facts, o.Value) {
			return true
		}
	}
	return false
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
