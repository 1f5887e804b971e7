package quiz_test

import (
	"context"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/demo"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// rates are the attacker's knowledge: for each kind and option text, how
// likely it is to be right.
type rates map[quiz.Kind]map[string]float64

// baseRates counts, over a training population, the share of accounts
// (among those with facts of the kind) that have each value: what an
// attacker who studied the exchange's users would know.
func baseRates(t *testing.T, db *store.DB, ids []string) rates {
	counts := rates{}
	totals := map[quiz.Kind]float64{}
	for _, id := range ids {
		f, err := quiz.Load(context.Background(), db, id, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range quiz.Specs {
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
	for k, m := range counts {
		for v := range m {
			m[v] /= totals[k]
		}
	}
	return counts
}

// learned estimates, from quizzes issued to training accounts (whose right
// answers it sees), how often each shown option is right: an attacker who
// knows the generator inside out but not the server's secret.
func learned(t *testing.T, db *store.DB, s *quiz.Service, ids []string) rates {
	shown, right := rates{}, rates{}
	for _, id := range ids {
		q, _, err := issue(t, db, s, id)
		if apperr.Is(err, apperr.QuizUnavailable) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		key := rightAnswers(t, db, id, q)
		for _, question := range q.Questions {
			k := kindOf(question.Text)
			if shown[k] == nil {
				shown[k], right[k] = map[string]float64{}, map[string]float64{}
			}
			for _, o := range question.Options {
				text := label(k, o.Text)
				shown[k][text]++
				for _, c := range key[question.ID] {
					if c == o.ID {
						right[k][text]++
					}
				}
			}
		}
	}
	for k, m := range right {
		for v := range shown[k] {
			m[v] /= shown[k][v]
		}
	}
	return right
}

// label is what an attacker can key knowledge on: the text, except for
// addresses, which are unique; for them only the network is known.
func label(k quiz.Kind, text string) string {
	if k == quiz.WithdrawalAddresses {
		return "address"
	}
	return text
}

// guesses ranks answer sets for a question, likeliest first: the options
// more likely right than not (or else the single likeliest), then the
// likeliest alone, then the two likeliest.
func guesses(r rates, question quiz.Question) [][]string {
	k := kindOf(question.Text)
	opts := append([]quiz.ShownOption(nil), question.Options...)
	p := func(o quiz.ShownOption) float64 { return r[k][label(k, o.Text)] }
	sort.SliceStable(opts, func(i, j int) bool { return p(opts[i]) > p(opts[j]) })
	var likely []string
	for _, o := range opts {
		if p(o) > 0.5 {
			likely = append(likely, o.ID)
		}
	}
	spec, _ := quiz.SpecOf(k)
	if spec.Single || len(likely) == 0 {
		likely = []string{opts[0].ID}
	}
	return [][]string{likely, {opts[0].ID}, {opts[0].ID, opts[1].ID}, {opts[1].ID}}
}

// attack tries 3 chances on every account. It returns how many accounts it
// passed, how many could be attacked at all (had enough history), and the
// share of first-chance questions of each kind it got exactly right.
func attack(t *testing.T, db *store.DB, s *quiz.Service, r rates, ids []string) (passed, attackable int, hit map[quiz.Kind]float64) {
	hits, asked := map[quiz.Kind]float64{}, map[quiz.Kind]float64{}
	for _, id := range ids {
		tried := map[string]int{}
		for chance := range 3 {
			q, flowID, err := issue(t, db, s, id)
			if apperr.Is(err, apperr.QuizUnavailable) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			key := rightAnswers(t, db, id, q)
			answers := map[string][]string{}
			for _, question := range q.Questions {
				g := guesses(r, question)
				answers[question.ID] = g[min(tried[question.Text], len(g)-1)]
				tried[question.Text]++
				if chance == 0 {
					k := kindOf(question.Text)
					asked[k]++
					if sameSet(answers[question.ID], key[question.ID]) {
						hits[k]++
					}
				}
			}
			if chance == 0 {
				attackable++
			}
			res, err := s.Submit(context.Background(), db, flowID, q.ID, answers)
			if err != nil {
				t.Fatal(err)
			}
			if res.Passed {
				passed++
				break
			}
		}
	}
	hit = map[quiz.Kind]float64{}
	for k := range asked {
		hit[k] = hits[k] / asked[k]
	}
	return passed, attackable, hit
}

func sameSet(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// estimate turns per-question hit rates into the chance of passing within
// 3 chances, for the likeliest quiz: the 4 kinds the attacker does best on.
// With no per-account feedback, the chances are close to independent.
func estimate(hit map[quiz.Kind]float64) float64 {
	var rs []float64
	for _, r := range hit {
		rs = append(rs, r)
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(rs)))
	p := 1.0
	for _, r := range rs[:min(4, len(rs))] {
		p *= r
	}
	return 1 - math.Pow(1-p, 3)
}

func report(t *testing.T, who string, passed, attackable int, hit map[quiz.Kind]float64) float64 {
	t.Helper()
	est := estimate(hit)
	t.Logf("%s: passed %d of %d accounts with enough history in 3 chances; first-chance questions right by kind %v; "+
		"estimated pass chance for the best-case quiz %.2g", who, passed, attackable, hit, est)
	return est
}

// TestAttackerWithBaseRates simulates the attackers of the issue against
// 1,000 generated accounts of the demo population: one who knows the
// population's base rates, and one who learned from 1,000 other accounts'
// quizzes how often each option is right. The measured rates are in
// docs/security.md. It takes about 5 s.
func TestAttackerWithBaseRates(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation skipped in -short mode")
	}
	db := storetest.SQLite(t)
	ctx := context.Background()
	pop := demo.DefaultPopulation()
	var gens []demo.Generated
	for i := range 2000 {
		gens = append(gens, pop.At(42, i, now))
	}
	ids, err := demo.Insert(ctx, db, gens, "x")
	if err != nil {
		t.Fatal(err)
	}
	training, targets := ids[:1000], ids[1000:]
	s := service(t, clock.NewFake(now))

	base := baseRates(t, db, training)
	passed, attackable, hit := attack(t, db, s, base, targets)
	est := report(t, "base-rate attacker", passed, attackable, hit)
	if attackable < 200 {
		t.Fatalf("only %d of %d accounts can take the quiz; the simulation says little", attackable, len(targets))
	}
	if rate := float64(passed) / float64(attackable); rate > 0.001 || est > 0.001 {
		t.Errorf("base-rate attacker: measured %.3f%%, estimated %.3f%%; the aim is at most 0.1%%", 100*rate, 100*est)
	}

	for _, id := range targets {
		s.Renew(ctx, db, id)
	}
	know := learned(t, db, s, training)
	passed, attackable, hit = attack(t, db, s, know, targets)
	est = report(t, "trained attacker", passed, attackable, hit)
	if rate := float64(passed) / float64(attackable); rate > 0.001 || est > 0.001 {
		t.Errorf("trained attacker: measured %.3f%%, estimated %.3f%%", 100*rate, 100*est)
	}
}
