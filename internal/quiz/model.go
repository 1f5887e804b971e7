package quiz

import "math"

// optionModel is, for one kind, a logistic model of an option's chance of
// being right from what anyone who has studied the population can see in
// it: how often its value is right when shown, how many accounts have the
// value, and how many of the quiz's other questions name its assets. It is
// fitted on the simulated quizzes (simulate), which are what an attacker
// who saw many other accounts' quizzes learns from, so the bound scores
// each option with at least what such an attacker can read from it. An
// attacker who learned the same features in its own way (the one in
// TestInformedAttacker) beat the bound's fixed combination of them (the
// value's chance times a factor per link count) by 10-35 % on some kinds.
type optionModel [optionFeatures]float64

// optionFeatures are: a constant, the log odds of the value's chance of
// being right when shown, the log odds of its base rate, and one, two or
// three other questions naming its assets.
const optionFeatures = 6

// optionSample is one simulated option: its features and whether it was
// right.
type optionSample struct {
	x     [optionFeatures]float64
	right bool
}

// features describes an option with chance p of its value being right
// when shown, base rate base, and links other questions naming its assets.
func features(p, base float64, links int) [optionFeatures]float64 {
	x := [optionFeatures]float64{1, logit(clampRate(p)), logit(clampRate(base))}
	if links > 0 {
		x[2+min(links, maxLinks)] = 1
	}
	return x
}

// clampRate keeps a rate off 0 and 1, where its log odds are infinite.
func clampRate(p float64) float64 { return min(max(p, 0.002), 0.998) }

// odds returns the model's odds that an option with features x is right.
func (m *optionModel) odds(x [optionFeatures]float64) float64 {
	var z float64
	for i := range x {
		z += m[i] * x[i]
	}
	return math.Exp(z)
}

// ridge keeps the fit finite where a feature never varies.
const ridge = 1e-3

// fitOptions fits an optionModel by Newton's method.
func fitOptions(samples []optionSample) *optionModel {
	var w optionModel
	for range 20 {
		var grad [optionFeatures]float64
		var hess [optionFeatures][optionFeatures + 1]float64
		for i := range optionFeatures {
			hess[i][i] = ridge
			grad[i] = ridge * w[i]
		}
		for _, s := range samples {
			p := 1 / (1 + 1/w.odds(s.x))
			y := 0.0
			if s.right {
				y = 1
			}
			for i := range optionFeatures {
				grad[i] += (p - y) * s.x[i]
				for j := range optionFeatures {
					hess[i][j] += p * (1 - p) * s.x[i] * s.x[j]
				}
			}
		}
		for i := range optionFeatures {
			hess[i][optionFeatures] = grad[i]
		}
		step, ok := solveLinear(hess)
		if !ok {
			break
		}
		done := true
		for i := range w {
			w[i] -= step[i]
			done = done && math.Abs(step[i]) < 1e-6
		}
		if done {
			break
		}
	}
	return &w
}

// solveLinear solves the system of the augmented matrix a by Gaussian
// elimination with partial pivoting; ok is false when it is singular.
func solveLinear(a [optionFeatures][optionFeatures + 1]float64) (x [optionFeatures]float64, ok bool) {
	const n = optionFeatures
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if a[p][c] == 0 {
			return x, false
		}
		a[c], a[p] = a[p], a[c]
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k <= n; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	for r := n - 1; r >= 0; r-- {
		s := a[r][n]
		for k := r + 1; k < n; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x, true
}
