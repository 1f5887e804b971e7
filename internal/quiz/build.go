package quiz

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Option is one choice of a question: the value it stands for and the text
// shown.
type Option struct {
	Value string `json:"v"`
	Text  string `json:"t"`
}

// OptionsPerQuestion is how many options every question shows.
const OptionsPerQuestion = 8

// maxCorrect bounds the correct options of a multi-answer question.
const maxCorrect = 4

// draft is one question's option set as drawn, with what the guessability
// bound needs to know about it.
type draft struct {
	Kind    Kind     `json:"k"`
	Options []Option `json:"o"`
	// Facts is how many of the account's facts the question could show:
	// the right options' count was drawn from 1 to min(Facts, maxCorrect).
	Facts int `json:"f"`
}

// buildOptions makes the option set of one question for an account: c of
// its own facts and OptionsPerQuestion-c decoys drawn with weights (the
// decoy weights of decoyWeights, which make every value appear as a decoy
// as often as it appears as an answer), none of them a value in barred
// (values that are neither answers nor decoys, such as an asset a recent
// deposit brought). ok is false when no fact is left or the decoys cannot
// fill the question: a question always shows exactly OptionsPerQuestion
// options, or is not asked. Addresses are unique, so their decoys are
// made, not drawn. The result depends only on the inputs and rng, which is
// seeded from the server secret.
func buildOptions(spec Spec, real []string, e estimates, networks map[string]string, barred, named map[string]bool, rng *rand.Rand) (draft, bool) {
	free := func(v string) bool { return !barred[v] }
	chosen := map[string]bool{}
	var facts []string
	for _, v := range real {
		chosen[v] = true // every real fact is kept out of the decoys
		if free(v) {
			facts = append(facts, v)
		}
	}
	if len(facts) == 0 {
		return draft{}, false
	}
	facts = weightedOrder(facts, e.show[spec.Kind], rng)
	c := 1
	if !spec.Single {
		c = drawCorrect(rng, min(len(facts), maxCorrect))
	}
	d := draft{Kind: spec.Kind, Facts: len(facts)}
	for _, v := range facts[:c] {
		d.Options = append(d.Options, option(spec.Kind, v, networks))
	}
	if spec.Kind == WithdrawalAddresses {
		d.Options = addressDecoys(d.Options, facts, chosen, networks, rng)
		return d, len(d.Options) == OptionsPerQuestion
	}
	var pool []value
	for _, v := range e.pool(spec.Kind) {
		if free(v.Value) && !chosen[v.Value] {
			if assetsOf(spec.Kind, v.Value).in(named) {
				v.Weight *= linkBoost
			}
			pool = append(pool, v)
		}
	}
	decoys, ok := sampleProportional(pool, OptionsPerQuestion-len(d.Options), rng)
	if !ok {
		return draft{}, false
	}
	for _, v := range decoys {
		d.Options = append(d.Options, option(spec.Kind, v, nil))
	}
	return d, true
}

// weightedOrder returns values in a random order in which each comes
// early with its weight in show (missing: 1): the first c are the right
// options shown. Values so common among the accounts taking quizzes that
// no decoy draw can show them as often as they are right are shown right
// less often instead (calibrate).
func weightedOrder(values []string, show map[string]float64, rng *rand.Rand) []string {
	keys := make(map[string]float64, len(values))
	for _, v := range values {
		w, ok := show[v]
		if !ok || w <= 0 {
			w = 1
		}
		keys[v] = rng.ExpFloat64() / w
	}
	out := slices.Clone(values)
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(keys[a], keys[b]) })
	return out
}

// sampleProportional draws n distinct values so that each is drawn with a
// chance proportional to its weight (Madow's systematic sampling over a
// random order; values whose share would pass 1 are drawn for sure and
// the rest shared among the others). Drawing one at a time by weight
// without putting back would not do: it draws heavy values less often
// than their weight, which made popular decoys rarer than popular answers.
// It reports false when fewer than n values have weight.
func sampleProportional(pool []value, n int, rng *rand.Rand) ([]string, bool) {
	var live []value
	for _, v := range pool {
		if v.Weight > 0 {
			live = append(live, v)
		}
	}
	if n <= 0 {
		return nil, true
	}
	if len(live) < n {
		return nil, false
	}
	rng.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
	p := make([]float64, len(live))
	sure := make([]bool, len(live))
	for left := n; ; {
		var total float64
		for i, v := range live {
			if !sure[i] {
				total += v.Weight
			}
		}
		capped := false
		for i, v := range live {
			if sure[i] {
				continue
			}
			if p[i] = float64(left) * v.Weight / total; p[i] >= 1 {
				sure[i], p[i], capped = true, 1, true
				left--
			}
		}
		if !capped {
			break
		}
	}
	var out []string
	u, cum := rng.Float64(), 0.0
	for i, v := range live {
		next := cum + p[i]
		if math.Floor(next-u) > math.Floor(cum-u) || sure[i] {
			out = append(out, v.Value)
		}
		cum = next
	}
	return out, len(out) == n
}

// sortedWeights lists the decoy weights in a fixed order, so the seeded
// draw is reproducible.
func sortedWeights(weights map[string]float64) []value {
	out := make([]value, 0, len(weights))
	for v, w := range weights {
		out = append(out, value{v, w})
	}
	slices.SortFunc(out, func(a, b value) int { return strings.Compare(a.Value, b.Value) })
	return out
}

// drawCorrect picks how many correct options a multi-answer question shows,
// from 1 to most, with P(c = k) proportional to C(8, k): against options
// that cannot be told apart, every answer size is then an equally bad bet.
func drawCorrect(rng *rand.Rand, most int) int {
	weights := []float64{0, 8, 28, 56, 70}
	var total float64
	for k := 1; k <= most; k++ {
		total += weights[k]
	}
	x := rng.Float64() * total
	for k := 1; k <= most; k++ {
		if x < weights[k] {
			return k
		}
		x -= weights[k]
	}
	return most
}
