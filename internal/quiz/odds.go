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
// the account: the best bet on one question is a set of the likeliest size
// k, right with chance P(c = k) / C(8, k). An account with a single fact of
// a kind always shows one correct option, so the bound is 1/8 a question;
// richer accounts spread the size over 1 to 4 and lower it to 1/162.
func SizeAwarePassChance(r Rules) float64 {
	perQuiz := math.Pow(1.0/OptionsPerQuestion, float64(r.Questions))
	return 1 - math.Pow(1-perQuiz, float64(r.Chances))
}
