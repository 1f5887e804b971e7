package quiz

import (
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

// buildOptions makes the option set of one question for an account: c of
// its own facts and OptionsPerQuestion-c distractors.
//
// A value x of the population's facts is among an account's facts with
// probability π(x), its base rate, so it shows up as a right option about
// in proportion to π(x). Distractors are drawn with weight π(x)/(1-π(x))
// among values the account does not have (which happens with probability
// 1-π(x)), so x shows up as a distractor in proportion to π(x) as well:
// seeing an option, popular or rare, says nothing about whether it is
// right. Addresses are unique, so their distractors are random addresses
// shaped like the account's own. The result depends only on the inputs and
// rng, which is seeded from the server secret.
func buildOptions(spec Spec, real []string, rates map[string]float64, networks map[string]string, rng *rand.Rand) []Option {
	real = slices.Clone(real)
	rng.Shuffle(len(real), func(i, j int) { real[i], real[j] = real[j], real[i] })
	c := 1
	if !spec.Single {
		c = drawCorrect(rng, min(len(real), maxCorrect))
	}
	chosen := map[string]bool{}
	for _, v := range real {
		chosen[v] = true // every real fact is kept out of the distractors
	}
	opts := make([]Option, 0, OptionsPerQuestion)
	for _, v := range real[:c] {
		opts = append(opts, option(spec.Kind, v, networks))
	}
	if spec.Kind == WithdrawalAddresses {
		return addressDecoys(opts, real, chosen, networks, rng)
	}
	pool := oddsWeights(rates)
	for len(opts) < OptionsPerQuestion {
		v := pick(pool, chosen, rng)
		if v == "" {
			break
		}
		chosen[v] = true
		opts = append(opts, option(spec.Kind, v, nil))
	}
	return opts
}

// telling keeps the values with a base rate of at most MaxRate.
func telling(rates map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(rates))
	for v, r := range rates {
		if r <= MaxRate {
			out[v] = r
		}
	}
	return out
}

// oddsWeights turns base rates into distractor weights π/(1-π), in a fixed
// order so the seeded draw is reproducible.
func oddsWeights(rates map[string]float64) []value {
	out := make([]value, 0, len(rates))
	for v, r := range rates {
		out = append(out, value{v, r / (1 - r)})
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

// pick draws a value by weight among those not chosen yet.
func pick(vals []value, chosen map[string]bool, rng *rand.Rand) string {
	var total float64
	for _, v := range vals {
		if !chosen[v.Value] {
			total += v.Weight
		}
	}
	if total == 0 {
		return ""
	}
	x := rng.Float64() * total
	for _, v := range vals {
		if chosen[v.Value] {
			continue
		}
		if x < v.Weight {
			return v.Value
		}
		x -= v.Weight
	}
	return ""
}
