package quiz_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// A text-only attacker (issue 8): it sees nothing but the shown text of a
// question's options, and has learned from other accounts' quizzes, whose
// right answers it knows, which texts tend to be right. It looks at each
// option's characters position by position, their case pattern, its
// length, the label in parentheses (an address's network) and how the
// question's options are spread over labels, prefixes and words. If the
// decoys of a kind are made well, it does no better than chance: its AUC
// (the chance that a right option scores above a decoy) is near 0.5.

// textOption is one shown option with the texts of its question and
// whether it is right.
type textOption struct {
	Account  int // index of the account in the sample, to split train and test
	Text     string
	Question []string
	Right    bool
}

// textOptions issues rounds quizzes to each account (each in a window of
// its own, so with fresh option sets) and returns their options by kind.
// The clock must be the service's.
func textOptions(t *testing.T, db *store.DB, s *quiz.Service, clk *clock.Fake, ids []string, rounds int) map[quiz.Kind][]textOption {
	t.Helper()
	ctx := context.Background()
	out := map[quiz.Kind][]textOption{}
	for r := range rounds {
		for i, id := range ids {
			if r > 0 {
				if err := s.Renew(ctx, db, id); err != nil {
					t.Fatal(err)
				}
			}
			q, _, err := issue(t, db, s, id)
			if apperr.Is(err, apperr.QuizUnavailable) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			f, err := quiz.Load(ctx, db, id, clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			for _, question := range q.Questions {
				k := kindOf(question.Text)
				var texts []string
				for _, o := range question.Options {
					texts = append(texts, o.Text)
				}
				for _, o := range question.Options {
					out[k] = append(out[k], textOption{Account: i, Text: o.Text, Question: texts, Right: isFact(k, o.Text, f.Values(k))})
				}
			}
		}
		clk.Advance(time.Minute) // the next round's windows start later: new option sets
	}
	return out
}

// isFact reports whether an option's text shows one of the account's facts.
func isFact(k quiz.Kind, text string, facts []string) bool {
	for _, v := range facts {
		if text == quiz.OptionText(k, v) || k == quiz.WithdrawalAddresses && strings.HasPrefix(text, quiz.MaskAddress(v)+" ") {
			return true
		}
	}
	return false
}

// splitText cuts a shown text into its value and the label in
// parentheses at its end ("TXa9Bc…k2Lm (TRC20)": "TXa9Bc…k2Lm", "TRC20").
func splitText(text string) (value, label string) {
	if i := strings.LastIndex(text, " ("); i >= 0 && strings.HasSuffix(text, ")") {
		return text[:i], text[i+2 : len(text)-1]
	}
	return text, ""
}

// charClass is a character's class: upper, lower, digit or other.
func charClass(r rune) byte {
	switch {
	case unicode.IsUpper(r):
		return 'A'
	case unicode.IsLower(r):
		return 'a'
	case unicode.IsDigit(r):
		return '9'
	}
	return '.'
}

// textFeatures are what the classifier sees of one option: only its text
// and the texts of its question.
func textFeatures(o textOption) []string {
	value, label := splitText(o.Text)
	runes := []rune(value)
	var pattern []byte
	for _, r := range runes {
		pattern = append(pattern, charClass(r))
	}
	f := []string{"value=" + value, "label=" + label, "len=" + fmt.Sprint(len(runes)), "label.len=" + label + fmt.Sprint(len(runes)),
		"pattern=" + string(pattern)}
	for i := range min(len(runes), 8) {
		j := len(runes) - 1 - i
		f = append(f, fmt.Sprintf("c%d=%c", i, runes[i]), fmt.Sprintf("c-%d=%c", i, runes[j]),
			fmt.Sprintf("k%d=%c", i, pattern[i]), fmt.Sprintf("k-%d=%c", i, pattern[j]))
		if i < 4 {
			f = append(f, fmt.Sprintf("label.c%d=%s%c", i, label, runes[i]), fmt.Sprintf("label.k%d=%s%c", i, label, pattern[i]))
		}
	}
	var upper, lower, digit int
	for _, c := range pattern {
		switch c {
		case 'A':
			upper++
		case 'a':
			lower++
		case '9':
			digit++
		}
	}
	f = append(f, fmt.Sprintf("upper=%d", upper), fmt.Sprintf("lower=%d", lower), fmt.Sprintf("digit=%d", digit),
		fmt.Sprintf("label.upper=%s%d", label, min(upper, 6)))
	words := strings.FieldsFunc(value, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for _, w := range words {
		f = append(f, "word="+w)
	}
	// The question around it: how many options share its label, its first
	// two characters, its case pattern, each of its words; how many labels
	// the question has.
	sameLabel, samePrefix, samePattern, labels := 0, 0, 0, map[string]bool{}
	wordCount := map[string]int{}
	for _, other := range o.Question {
		v, l := splitText(other)
		labels[l] = true
		if l == label {
			sameLabel++
		}
		if runePrefix(v, 2) == runePrefix(value, 2) {
			samePrefix++
		}
		if casePattern(v) == string(pattern) {
			samePattern++
		}
		for _, w := range strings.FieldsFunc(v, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			wordCount[w]++
		}
	}
	f = append(f, fmt.Sprintf("share=%d", sameLabel), fmt.Sprintf("labels=%d", len(labels)),
		fmt.Sprintf("share.labels=%d/%d", sameLabel, len(labels)), fmt.Sprintf("label.share=%s%d", label, sameLabel),
		fmt.Sprintf("prefixShare=%d", samePrefix), fmt.Sprintf("patternShare=%d", samePattern), fmt.Sprintf("options=%d", len(o.Question)))
	for _, w := range words {
		f = append(f, fmt.Sprintf("wordShare=%d", wordCount[w]))
	}
	return f
}

func runePrefix(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

func casePattern(s string) string {
	var b []byte
	for _, r := range s {
		b = append(b, charClass(r))
	}
	return string(b)
}

// textClassifierAUC trains a logistic regression on the text features of
// train (L2-regularised, AdaGrad, a few passes) and returns its AUC on
// test. kind only names the kind in failures.
func textClassifierAUC(t *testing.T, kind quiz.Kind, train, test []textOption) float64 {
	t.Helper()
	if len(train) == 0 || len(test) == 0 {
		t.Fatalf("%s: %d options to train on, %d to test on", kind, len(train), len(test))
	}
	index := map[string]int{}
	encode := func(o textOption, grow bool) []int {
		var x []int
		for _, f := range textFeatures(o) {
			i, ok := index[f]
			if !ok && grow {
				i, ok = len(index), true
				index[f] = i
			}
			if ok {
				x = append(x, i)
			}
		}
		return x
	}
	xs := make([][]int, len(train))
	for i, o := range train {
		xs[i] = encode(o, true)
	}
	w, g := make([]float64, len(index)+1), make([]float64, len(index)+1) // the last weight is the bias
	bias := len(index)
	score := func(x []int) float64 {
		s := w[bias]
		for _, i := range x {
			s += w[i]
		}
		return s
	}
	const rate, l2 = 0.1, 1e-3
	rng := rand.New(rand.NewPCG(1, 1))
	order := rng.Perm(len(train))
	for range 5 {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, n := range order {
			y := 0.0
			if train[n].Right {
				y = 1
			}
			grad := 1/(1+math.Exp(-score(xs[n]))) - y
			for _, i := range append(xs[n], bias) {
				gi := grad + l2*w[i]
				g[i] += gi * gi
				w[i] -= rate * gi / math.Sqrt(g[i]+1e-8)
			}
		}
	}
	scores := make([]float64, len(test))
	labels := make([]bool, len(test))
	for i, o := range test {
		scores[i], labels[i] = score(encode(o, false)), o.Right
	}
	return auc(scores, labels)
}

// auc is the Mann-Whitney estimate of the chance that a right option
// scores above a wrong one (ties count half).
func auc(scores []float64, right []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var rankSum, pos, neg float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // average 1-based rank of the tie group
		for _, n := range idx[i:j] {
			if right[n] {
				rankSum += mid
			}
		}
		i = j
	}
	for _, r := range right {
		if r {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return 0.5
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// aucStandardError is the standard error of an AUC measured on test
// (Hanley and McNeil, 1982).
func aucStandardError(a float64, test []textOption) float64 {
	var pos, neg float64
	for _, o := range test {
		if o.Right {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return 0
	}
	q1, q2 := a/(2-a), 2*a*a/(1+a)
	return math.Sqrt((a*(1-a) + (pos-1)*(q1-a*a) + (neg-1)*(q2-a*a)) / (pos * neg))
}

// splitByAccount puts the options of the first half of the accounts in
// train and the rest in test.
func splitByAccount(opts []textOption, accounts int) (train, test []textOption) {
	for _, o := range opts {
		if o.Account < accounts/2 {
			train = append(train, o)
		} else {
			test = append(test, o)
		}
	}
	return train, test
}

// TestTextClassifierCannotTellAddressDecoys is issue 8's text-only check
// for withdrawal addresses: over 2,000 accounts or more of the demo
// population that have two addresses or more, three questions each, drawn
// by the quiz's own address builder (the one Issue calls), a classifier
// trained on half the accounts tells right from decoy on the other half
// with an AUC of at most 0.55.
func TestTextClassifierCannotTellAddressDecoys(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation skipped in -short mode")
	}
	accounts, networks := demoAddresses(8000)
	if len(accounts) < 2000 {
		t.Fatalf("only %d accounts with two addresses or more", len(accounts))
	}
	rng := rand.New(rand.NewPCG(12, 13))
	var all []textOption
	for i, real := range accounts {
		for range 3 {
			opts, right, _ := addressQuestion(t, real, networks, rng)
			var texts []string
			for _, o := range opts {
				texts = append(texts, o.Text)
			}
			for _, o := range opts {
				all = append(all, textOption{Account: i, Text: o.Text, Question: texts, Right: right[o.Value]})
			}
		}
	}
	train, test := splitByAccount(all, len(accounts))
	a := textClassifierAUC(t, quiz.WithdrawalAddresses, train, test)
	t.Logf("withdrawal addresses, %d accounts: AUC %.3f (trained on %d options, tested on %d)", len(accounts), a, len(train), len(test))
	if a > 0.55 {
		t.Errorf("a text-only classifier tells right addresses from decoys with AUC %.3f, over 0.55", a)
	}
}

// TestTextClassifierByKind runs the text-only classifier on every kind of
// the quizzes the service issues to 2,400 accounts of the demo population
// (each asked in two windows), trained on half the accounts, and logs each
// kind's AUC. The ids come from the seed, so it gives the same figures
// every run; other seeds gave 0.49-0.57 by kind (docs/security.md).
func TestTextClassifierByKind(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation skipped in -short mode")
	}
	const accounts = 2400
	db := storetest.SQLite(t)
	clk := clock.NewFake(now)
	s := service(t, clk)
	ids := generated(t, db, 808, 0, accounts)
	byKind := textOptions(t, db, s, clk, ids, 2)
	for _, spec := range quiz.Specs {
		train, test := splitByAccount(byKind[spec.Kind], accounts)
		if len(train) == 0 || len(test) == 0 {
			t.Logf("%s: not asked", spec.Kind)
			continue
		}
		a := textClassifierAUC(t, spec.Kind, train, test)
		se := aucStandardError(a, test)
		t.Logf("%s: AUC %.3f ± %.3f (trained on %d options, tested on %d)", spec.Kind, a, se, len(train), len(test))
		// Issue 8: at most 0.55 on every kind, beyond sampling error
		// (two standard errors).
		if len(test) >= 200 && a-2*se > 0.55 {
			t.Errorf("%s: a text-only classifier tells right from decoy with AUC %.3f ± %.3f, over 0.55", spec.Kind, a, se)
		}
	}
}
