package quiz

import (
	"context"
	"fmt"
	"math"
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
	mu sync.Mutex
	e  estimates
	at time.Time
	// running is closed when the estimate in progress ends; nil when none
	// is. One estimate runs at a time: at a million accounts it takes
	// seconds, and requests that found the cache cold each made their own.
	running chan struct{}
	runs    int // estimates started, for tests
}

// Rates returns the base rates, estimating them when they are missing or
// older than an hour.
func (s *Service) Rates(ctx context.Context, q store.Querier) (Rates, error) {
	e, err := s.estimates(ctx, q)
	return e.rates, err
}

// estimates returns what the population tells (estimates), estimating it
// when it is missing or older than an hour.
func (s *Service) estimates(ctx context.Context, q store.Querier) (estimates, error) {
	for {
		now := s.clock.Now()
		s.cache.mu.Lock()
		e, at, running := s.cache.e, s.cache.at, s.cache.running
		if e.rates != nil && now.Sub(at) < ratesTTL {
			s.cache.mu.Unlock()
			return e, nil
		}
		if running == nil {
			// This request estimates; others wait for it, or use the
			// estimate it replaces, an hour old, meanwhile.
			done := make(chan struct{})
			s.cache.running = done
			s.cache.runs++
			s.cache.mu.Unlock()
			e, err := estimate(ctx, q, rand.New(rand.NewPCG(uint64(now.UnixNano()), 7)), now, sampleSize, s.kinds)
			s.cache.mu.Lock()
			if err == nil {
				s.cache.e, s.cache.at = e, now
			}
			s.cache.running = nil
			close(done)
			s.cache.mu.Unlock()
			if err != nil {
				return estimates{}, err
			}
			return e, nil
		}
		s.cache.mu.Unlock()
		if e.rates != nil {
			return e, nil
		}
		select {
		case <-running: // estimated, or failed: then this request tries
		case <-ctx.Done():
			return estimates{}, fmt.Errorf("quiz: waiting for the base rates: %w", ctx.Err())
		}
	}
}

// EstimateRates loads the facts of up to n random accounts (random points
// in the id space, each found by one index probe) and blends their value
// shares with the fallback list's.
func EstimateRates(ctx context.Context, q store.Querier, rng *rand.Rand, now time.Time, n int) (Rates, error) {
	e, err := estimate(ctx, q, rng, now, n, nil)
	return e.rates, err
}

// estimate returns the base rates and, from them and the sample, the rest
// of the estimates for quizzes of the enabled kinds (balance; nil: all).
func estimate(ctx context.Context, q store.Querier, rng *rand.Rand, now time.Time, n int, kinds []Kind) (estimates, error) {
	counts := Rates{}
	totals := map[Kind]float64{}
	seen := map[string]bool{}
	var sampled []Facts
	for probe := 0; probe < 2*n && len(seen) < n; probe++ {
		var id *string
		if err := q.QueryRowContext(ctx, "SELECT min(id) FROM accounts WHERE id >= $1", randomID(rng)).Scan(&id); err != nil {
			return estimates{}, fmt.Errorf("quiz: sample: %w", store.Translate(err))
		}
		if id == nil || seen[*id] {
			continue
		}
		seen[*id] = true
		f, err := Load(ctx, q, *id, now)
		if err != nil {
			return estimates{}, err
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
	return balance(sampled, out, kinds), nil
}

// balance returns the estimates for rates: the decoy weights
// (decoyWeights), after taking out of the questions the values the sample
// never shows right (as decoys they would always be wrong) and those too
// common to balance (maxInclusion), corrected by simulated quizzes
// (calibrate), and what the simulated quizzes show of each value's chance
// of being right and the option models (simulate, posteriors); rates is
// changed in place. Which sampled accounts take quizzes, and of which
// kinds, is fixed from the rates as estimated, so that taking a value out
// cannot shrink the sample the rest are judged on.
func balance(sampled []Facts, rates Rates, enabled []Kind) estimates {
	var members []member
	for _, f := range sampled {
		var kinds []Spec
		for _, s := range Specs {
			if enabled != nil && !slices.Contains(enabled, s.Kind) {
				continue
			}
			if len(Telling(f, s.Kind, rates)) > 0 {
				kinds = append(kinds, s)
			}
		}
		if len(kinds) >= DefaultRules.Questions {
			members = append(members, member{f, kinds})
		}
	}
	var weights Rates
	for round := range 16 {
		weights = decoyWeights(members, rates)
		dropped := false
		for k, w := range weights {
			var total float64
			for _, x := range sortedWeights(w) { // in a fixed order: the same sum every time
				total += x.Weight
			}
			slots := decoySlots(members, k, rates)
			// The value furthest out of balance goes first: dropping it
			// changes what the others need.
			worst, need, live := "", maxInclusion[k], 0
			if need == 0 {
				need = maxInclusion[""]
			}
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
			break
		}
		if round == 15 {
			weights = decoyWeights(members, rates)
		}
	}
	e := estimates{rates: rates, weights: weights, right: Rates{}, show: Rates{}, models: map[Kind]*optionModel{}}
	if len(members) < priorWeight {
		e.sortPools()
		return e // too few members say nothing of how often a value is right
	}
	// The first simulation has no posteriors to bound its quizzes by;
	// each later one leaves out the quizzes the bound would refuse, as
	// an attacker never sees them, and so learns what the issued ones
	// show.
	for round := range calibrations + 1 {
		e.sortPools()
		sim := simulate(members, e, round > 0)
		if round < calibrations {
			calibrate(e, sim)
		}
		e.right, e.models = sim.posteriors(rates)
	}
	return e
}

// maxInclusion is the highest chance a value may need of being drawn as a
// decoy into a question that lacks it for the value to be shown as a
// decoy as often as it is shown right. A value that the accounts taking
// quizzes hold so often that its decoys could not keep up (in a kind with
// few values, most of them are shown in every question, and a popular one
// is then mostly right) is neither answer nor decoy. Between 1 and this,
// a value is drawn into every question it can be and is still right a
// little more often than the others; the bound prices that, and a
// text-only classifier gains little from it (AUC at most 0.55 per kind).
// Over the demo population 1.1 let 51 % of the accounts with a trade take
// questions, 1.3 lets 57-59 %, 1.5 and 2 would let 59-60 % but tell right
// from decoy on held and sold assets with AUC 0.58-0.59. The held
// question, asked least and with the fewest values, keeps to 1.1: at 1.3
// USD Coin and XRP were right in 31 % and 23 % of the held questions
// showing them, against 9-14 % for the rarest assets (AUC 0.595).
var maxInclusion = map[Kind]float64{"": 1.5, AssetsHeld: 1.1}

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
func decoyWeights(members []member, rates Rates) Rates {
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

// valuePrior is how many simulated showings a value's chance of being
// right counts its kind's average for, so a value seldom shown moves
// little from it.
const valuePrior = 20

// simulatedQuizzes is how many quizzes simulate draws per member.
const simulatedQuizzes = 8

// calibrations is how many times balance corrects the decoy weights by
// simulated quizzes.
const calibrations = 3

// simulation is what quizzes drawn for the sampled members showed: per
// kind and value, how often it was shown and how often right; per kind and
// count of the quiz's other questions naming an option's assets, the same.
type simulation struct {
	rights, shows Rates
	// lacking counts, per value, the questions that could have shown it
	// as a decoy: their account lacks it.
	lacking Rates
	// options are every option shown, for fitting the option models.
	options map[Kind][]shownOption
}

// shownOption is an option of a simulated quiz.
type shownOption struct {
	value string
	links int
	right bool
}

// simulate draws whole quizzes for the sampled members as assemble draws
// them: Questions of the member's kinds in a random order, each question's
// options by buildOptions, later questions' decoys leaning to the assets
// earlier ones name; bounded, it counts only the quizzes under the bound.
// A fixed seed keeps it reproducible for the same sample.
func simulate(members []member, e estimates, bounded bool) simulation {
	rng := rand.New(rand.NewPCG(3, 4))
	sim := simulation{rights: Rates{}, shows: Rates{}, lacking: Rates{}, options: map[Kind][]shownOption{}}
	for _, s := range Specs {
		k := s.Kind
		sim.rights[k], sim.shows[k], sim.lacking[k] = map[string]float64{}, map[string]float64{}, map[string]float64{}
	}
	for _, m := range members {
		networks := m.facts.networks()
		telling, facts, barred := map[Kind][]string{}, map[Kind]map[string]bool{}, map[Kind]map[string]bool{}
		for _, s := range m.kinds {
			telling[s.Kind], barred[s.Kind] = Telling(m.facts, s.Kind, e.rates), m.facts.barred(s.Kind)
			facts[s.Kind] = map[string]bool{}
			for _, v := range m.facts.Values(s.Kind) {
				facts[s.Kind][v] = true
			}
		}
		for range simulatedQuizzes {
			kinds := slices.Clone(m.kinds)
			rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
			var drafts []draft
			for _, s := range kinds {
				if len(drafts) == DefaultRules.Questions {
					break
				}
				d, ok := buildOptions(s, telling[s.Kind], e, networks, barred[s.Kind], namedBy(drafts), rng)
				if ok {
					drafts = append(drafts, d)
				}
			}
			if len(drafts) < DefaultRules.Questions || bounded && guessability(drafts, e) > MaxGuessability {
				continue
			}
			links := linkCounts(drafts)
			for i, d := range drafts {
				k := d.Kind
				for v := range e.weights[k] {
					if !facts[k][v] {
						sim.lacking[k][v]++
					}
				}
				for j, o := range d.Options {
					right := facts[k][o.Value]
					sim.shows[k][o.Value]++
					if right {
						sim.rights[k][o.Value]++
					}
					sim.options[k] = append(sim.options[k], shownOption{o.Value, links[i][j], right})
				}
			}
		}
	}
	return sim
}

// calibrate corrects the decoy weights and the show weights by what sim
// showed, towards every value of a kind being right in the same share of
// the questions that show it. A value shown as a decoy less often, for how
// often it was shown right, than its kind's values on average is drawn as
// a decoy more, and the reverse; that corrects what the weights'
// arithmetic leaves out (values drawn into every question that can show
// them leave the others more room, and decoys lean to the assets other
// questions name). A value already drawn into nearly every question that
// lacks it (saturated) cannot be drawn more: it is shown right less often
// instead, which an account with other facts of the kind allows.
func calibrate(e estimates, sim simulation) {
	for k, w := range e.weights {
		var right, decoy float64
		for v := range w {
			right += sim.rights[k][v]
			decoy += sim.shows[k][v] - sim.rights[k][v]
		}
		if right == 0 || decoy == 0 {
			continue
		}
		ratio := right / decoy // the kind's right showings per decoy showing
		for v, x := range w {
			if x == 0 {
				continue
			}
			r := sim.rights[k][v]
			d := sim.shows[k][v] - r
			if d >= saturated*sim.lacking[k][v] && r > ratio*d {
				if e.show[k] == nil {
					e.show[k] = map[string]float64{}
				}
				s, ok := e.show[k][v]
				if !ok {
					s = 1
				}
				e.show[k][v] = max(minShow, s*(ratio*d+1)/(r+1))
				continue
			}
			w[v] = x * (r/ratio + 1) / (d + 1)
		}
	}
}

// saturated is the share of the questions lacking a value that it must be
// drawn into for calibrate to stop drawing it more.
const saturated = 0.9

// minShow is the least show weight calibrate gives a value.
const minShow = 0.05

// posteriors returns what an attacker who knows the population sees in
// an option, from sim: per kind, each value's chance of being right when
// it is shown (and under "" the kind's average), and the option model
// fitted on the simulated options. Addresses have no values to tell apart
// and get no model.
func (sim simulation) posteriors(rates Rates) (right Rates, models map[Kind]*optionModel) {
	right, models = Rates{}, map[Kind]*optionModel{}
	for k, options := range sim.options {
		var r float64
		for _, o := range options {
			if o.right {
				r++
			}
		}
		if k == WithdrawalAddresses || r == 0 || r == float64(len(options)) {
			continue
		}
		mean := r / float64(len(options))
		p := map[string]float64{"": mean}
		for v, n := range sim.shows[k] {
			p[v] = (sim.rights[k][v] + valuePrior*mean) / (n + valuePrior)
		}
		right[k] = p
		samples := make([]optionSample, len(options))
		for i, o := range options {
			samples[i] = optionSample{features(p[o.value], rates[k][o.value], o.links), o.right}
		}
		models[k] = fitOptions(samples)
	}
	return right, models
}

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

// randomID draws a point in the space of token.NewID identifiers.
func randomID(rng *rand.Rand) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, 26)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}
