package quiz

import "math"

// BlindPassChance is the chance that answers drawn at random, each option
// ticked or not with probability ½ (every one of the 2⁸ answers to a
// question equally likely), pass at least one quiz in all of a window's
// chances.
func BlindPassChance(r Rules) float64 {
	perQuestion := math.Pow(2, -OptionsPerQuestion)
	perQuiz := math.Pow(perQuestion, float64(r.Questions))
	return 1 - math.Pow(1-perQuiz, float64(r.Chances))
}

// SizeAwarePassChance bounds a guesser who knows the rules but nothing of
// the account and cannot tell options apart: on a question the best bet is
// a set of the likeliest size k, right with chance P(c = k) / C(8, k). The
// bound takes, for each kind, the account size (number of facts, at least
// MinFacts) that makes that bet best, and the quiz of the weakest kinds.
func SizeAwarePassChance(r Rules) float64 {
	var odds []float64
	for _, s := range Specs {
		odds = append(odds, bestBet(s))
	}
	// The weakest Questions kinds.
	for i := range odds {
		for j := i + 1; j < len(odds); j++ {
			if odds[j] > odds[i] {
				odds[i], odds[j] = odds[j], odds[i]
			}
		}
	}
	perQuiz := 1.0
	for _, o := range odds[:r.Questions] {
		perQuiz *= o
	}
	return 1 - math.Pow(1-perQuiz, float64(r.Chances))
}

// bestBet is the best chance of answering one question of kind s right
// without knowing the account, over every account size.
func bestBet(s Spec) float64 {
	if s.Single {
		return 1.0 / OptionsPerQuestion
	}
	weights := []float64{0, 8, 28, 56, 70}
	best := 0.0
	for facts := max(s.MinFacts, 1); facts <= maxCorrect; facts++ {
		var total float64
		for k := 1; k <= facts; k++ {
			total += weights[k]
		}
		for k := 1; k <= facts; k++ {
			best = max(best, weights[k]/total/binomial(OptionsPerQuestion, k))
		}
	}
	return best
}

func binomial(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}
