package quiz

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/rebindhq/rebind/internal/store"
)

// Rates are base rates: for each kind, the share of accounts (among those
// with facts of that kind) that have each value.
type Rates map[Kind]map[string]float64

// sampleSize is how many random accounts the base rates are estimated
// from: enough for a margin of about ±3 points on any one value.
const sampleSize = 1000

// priorWeight is how many sampled accounts the fallback list counts for,
// so a new installation with few accounts leans on it and a large one
// hardly at all.
const priorWeight = 50

// ratesTTL is how long estimated base rates are used before they are
// estimated again.
const ratesTTL = time.Hour

type rateCache struct {
	mu                    sync.Mutex
	rates, weights, right Rates
	at                    time.Time
}

// Rates returns the base rates, estimating them when they are missing or
// older than an hour.
func (s *Service) Rates(ctx context.Context, q store.Querier) (Rates, error) {
	r, _, _, err := s.estimates(ctx, q)
	return r, err
}

// estimates returns the base rates, the decoy weights and each value's
// chance of being right when shown, estimating them when they are missing
// or older than an hour.
func (s *Service) estimates(ctx context.Context, q store.Querier) (rates, weights, right Rates, err error) {
	now := s.clock.Now()
	s.cache.mu.Lock()
	r, w, p, at := s.cache.rates, s.cache.weights, s.cache.right, s.cache.at
	s.cache.mu.Unlock()
	if r != nil && now.Sub(at) < ratesTTL {
		return r, w, p, nil
	}
	// Estimated outside the lock: a request never waits on another's
	// estimate, at worst it makes its own.
	r, w, p, err = estimate(ctx, q, rand.New(rand.NewPCG(uint64(now.UnixNano()), 7)), now, sampleSize)
	if err != nil {
		return nil, nil, nil, err
	}
	s.cache.mu.Lock()
	s.cache.rates, s.cache.weights, s.cache.right, s.cache.at = r, w, p, now
	s.cache.mu.Unlock()
	return r, w, p, nil
}

// EstimateRates loads the facts of up to n random accounts (random points
// in the id space, each found by one index probe) and blends their value
// shares with the fallback list's.
func EstimateRates(ctx context.Context, q store.Querier, rng *rand.Rand, now time.Time, n int) (Rates, error) {
	r, _, _, err := estimate(ctx, q, rng, now, n)
	return r, err
}

// estimate returns the base rates and, for every kind whose decoys are
// drawn, the decoys' weights (decoyWeights).
func estimate(ctx context.Context, q store.Querier, rng *rand.Rand, now time.Time, n int) (rates, weights, right Rates, err error) {
	counts := Rates{}
	totals := map[Kind]float64{}
	seen := map[string]bool{}
	var sampled []Facts
	for probe := 0; probe < 2*n && len(seen) < n; probe++ {
		var id *string
		if err := q.QueryRowContext(ctx, "SELECT min(id) FROM accounts WHERE id >= $1", randomID(rng)).Scan(&id); err != nil {
			return nil, nil, nil, err
		}
		if id == nil || seen[*id] {
			continue
		}
		seen[*id] = true
		f, err := Load(ctx, q, *id, now)
		if err != nil {
			return nil, nil, nil, err
		}
		sampled = append(sampled, f)
		for _, s := range Specs {
			vals := f.Values(s.Kind)
			if len(vals) == 0 {
				continue
			}
			if counts[s.Kind] == nil {
				counts[s.Kind] = map[string]float64{}
			}
			totals[s.Kind]++
			for _, v := range vals {
				counts[s.Kind][v]++
			}
		}
	}
	out := Rates{}
	for _, s := range Specs {
		if s.Kind == WithdrawalAddresses {
			continue // addresses are unique: their distractors are made, not drawn
		}
		m := map[string]float64{}
		prior := fallbackFor(s.Kind)
		for _, v := range prior {
			m[v.Value] = priorWeight * v.Weight / 2
		}
		for v, c := range counts[s.Kind] {
			m[v] += c
		}
		for v := range m {
			m[v] /= totals[s.Kind] + priorWeight
		}
		for _, v := range Universal[s.Kind] {
			m[v] = 1 // never asked, even while few accounts are sampled
		}
		out[s.Kind] = m
	}
	w, right := balance(sampled, out)
	return out, w, right, nil
}

// balance returns the decoy weights and each value's chance of being
// right when shown (decoyWeights), first taking out of the questions the
// values the sample never shows right (as decoys they would always be
// wrong); rates is changed in place. Which sampled accounts take quizzes,
// and of which kinds, is fixed from the rates as estimated, so that taking
// a value out cannot shrink the sample the rest are judged on.
func balance(sampled []Facts, rates Rates) (weights, right Rates) {
	var members []member
	for _, f := range sampled {
		var kinds []Spec
		for _, s := range Specs {
			if len(Telling(f, s.Kind, rates)) >= s.MinFacts {
				kinds = append(kinds, s)
			}
		}
		if len(kinds) >= DefaultRules.Questions {
			members = append(members, member{f, kinds})
		}
	}
	for range 16 {
		weights, right := decoyWeights(members, rates)
		dropped := false
		for k, w := range weights {
			var total float64
			for _, x := range w {
				total += x
			}
			slots := decoySlots(members, k, rates)
			// The value furthest out of balance goes first: dropping it
			// changes what the others need.
			worst, need, live := "", maxInclusion, 0
			for v, x := range w {
				if x == 0 {
					rates[k][v], dropped = 1, true
					continue
				}
				live++
				if n := slots * x / total; n > need {
					worst, need = v, n
				}
			}
			// A kind with few values cannot spare them: it keeps its
			// popular ones, and the bound prices what they tell. A thin
			// sample (a new installation) judges nothing.
			if worst != "" && live > minValues && len(members) >= priorWeight {
				rates[k][worst], dropped = 1, true
			}
		}
		if !dropped {
			return weights, right
		}
	}
	return decoyWeights(members, rates)
}

// maxInclusion is the highest chance a value may need of being drawn as a
// decoy into a question that lacks it for the value to be shown as a
// decoy as often as it is shown right. A value that the accounts taking
// quizzes hold so often that its decoys could not keep up (in a kind with
// few values, most of them are shown in every question, and a popular one
// is then mostly right) is neither answer nor decoy.
const maxInclusion = 1.1

// minValues is how many values a kind keeps however unbalanced they are:
// enough to fill a question's options with some to spare.
const minValues = OptionsPerQuestion + 4

// decoySlots is the mean number of decoys of a question of kind k.
func decoySlots(members []member, k Kind, rates Rates) float64 {
	var room, asks float64
	eachQuestion(members, rates, func(s Spec, facts []string, asked float64) {
		if s.Kind == k {
			room += asked * (OptionsPerQuestion - expectedRight(s, len(facts)))
			asks += asked
		}
	})
	if asks == 0 {
		return 0
	}
	return room / asks
}

// member is a sampled account that takes quizzes, with its kinds.
type member struct {
	facts Facts
	kinds []Spec
}

// decoyWeights weighs every value so that, over the quizzes the sampled
// accounts would get, it is shown as a decoy as often as it is shown as a
// right option. An account shows a value right only if it is one of its
// telling facts, and then with the chance E[c]/n that its n telling facts
// give each; it shows a kind with the chance that the kind is among the
// quiz's Questions of its available kinds. Thin accounts show each fact
// more often, and popular values are mostly theirs, so a weight from base
// rates alone shows popular values right more often than as decoys (an
// attacker who counted how often each text was right in other quizzes
// read that: AUC 0.69-0.74 by kind). Summed over the sample: right(v), the
// expected showings of v as a right option, and lacking(v), the expected
// questions of the kind whose account lacks v, each with its room for
// decoys; a decoy is drawn with weight right(v)/lacking(v), and drawn
// with a chance proportional to its weight (sampleProportional). A value
// never shown right gets no weight; with a thin sample (a new
// installation) values lean on their base rate instead.
//
// It also returns each value's chance of being right when it is shown: its
// showings as a right option over those and its showings as a decoy, found
// by drawing the sample's questions' decoys as buildOptions would. That is
// what an attacker who knows the population sees in an option, and what
// the guessability bound scores.
func decoyWeights(members []member, rates Rates) (weights, shownRight Rates) {
	right, lacking := Rates{}, Rates{}
	eachQuestion(members, rates, func(s Spec, facts []string, asked float64) {
		if right[s.Kind] == nil {
			right[s.Kind], lacking[s.Kind] = map[string]float64{}, map[string]float64{}
		}
		c := expectedRight(s, len(facts))
		for _, v := range facts {
			right[s.Kind][v] += asked * c / float64(len(facts))
		}
		for v := range rates[s.Kind] {
			if !slices.Contains(facts, v) {
				lacking[s.Kind][v] += asked * (OptionsPerQuestion - c)
			}
		}
	})
	out := Rates{}
	for k, r := range rates {
		w := map[string]float64{}
		for v, pi := range r {
			if pi > MaxRate {
				continue
			}
			if right[k][v] == 0 && len(members) >= priorWeight {
				w[v] = 0
				continue
			}
			prior := priorWeight * pi / (1 - pi) / 2
			w[v] = (right[k][v] + prior) / (lacking[k][v] + priorWeight)
		}
		out[k] = w
	}
	shownRight = Rates{}
	if len(members) < priorWeight {
		return out, shownRight // too few to say how often a value is right
	}
	decoys := simulateDecoys(members, rates, out)
	for k, w := range out {
		p := map[string]float64{}
		for v, x := range w {
			if x > 0 && right[k][v] > 0 {
				p[v] = right[k][v] / (right[k][v] + decoys[k][v])
			}
		}
		shownRight[k] = p
	}
	return out, shownRight
}

// simulateDecoys counts, per value, its expected showings as a decoy in the
// questions of the sample: for every member and kind, with the member's
// chance of being asked that kind, every possible number of right options
// with its chance, the decoys drawn by sampleProportional from the pool
// the member's question would have (a fixed seed: the estimate is
// reproducible for the same sample).
func simulateDecoys(members []member, rates, weights Rates) Rates {
	const draws = 4
	rng := rand.New(rand.NewPCG(1, 2))
	out := Rates{}
	eachQuestion(members, rates, func(s Spec, facts []string, asked float64) {
		if out[s.Kind] == nil {
			out[s.Kind] = map[string]float64{}
		}
		var pool []value
		for _, v := range sortedWeights(weights[s.Kind]) {
			if !slices.Contains(facts, v.Value) {
				pool = append(pool, v)
			}
		}
		sizes, total := rightCounts(s, len(facts))
		for c, pc := range sizes {
			if pc == 0 {
				continue
			}
			for range draws {
				got, _ := sampleProportional(pool, OptionsPerQuestion-c, rng)
				for _, v := range got {
					out[s.Kind][v] += asked * pc / total / draws
				}
			}
		}
	})
	return out
}

// eachQuestion calls fn for every question the sampled members would be
// asked: each member's kinds that still have telling facts, with the
// chance that the kind is among the member's quiz's Questions.
func eachQuestion(members []member, rates Rates, fn func(s Spec, facts []string, asked float64)) {
	for _, m := range members {
		asked := float64(DefaultRules.Questions) / float64(len(m.kinds))
		for _, s := range m.kinds {
			if facts := Telling(m.facts, s.Kind, rates); len(facts) > 0 {
				fn(s, facts, asked)
			}
		}
	}
}

// rightCounts returns the weights of each possible number of right
// options (index c) of a question of kind s drawn from facts facts, and
// their total.
func rightCounts(s Spec, facts int) ([]float64, float64) {
	sizes := make([]float64, maxCorrect+1)
	if s.Single {
		sizes[1] = 1
		return sizes, 1
	}
	var total float64
	for k := 1; k <= min(facts, maxCorrect); k++ {
		sizes[k] = binomial(OptionsPerQuestion, k)
		total += sizes[k]
	}
	return sizes, total
}

// expectedRight is E[c], the mean number of right options of a question
// of kind s for an account with facts telling facts.
func expectedRight(s Spec, facts int) float64 {
	if s.Single {
		return 1
	}
	var sum, total float64
	for k := 1; k <= min(facts, maxCorrect); k++ {
		sum += float64(k) * binomial(OptionsPerQuestion, k)
		total += binomial(OptionsPerQuestion, k)
	}
	return sum / total
}

// randomID draws a point in the space of token.NewID identifiers.
func randomID(rng *rand.Rand) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, 26)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}
