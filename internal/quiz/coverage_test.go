package quiz_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// TestCoverage measures, over 2,400 accounts of the demo population, which
// accounts with a trade get questions, and why the others do not: too few
// kinds with a telling fact, only single-fact kinds (which no draw can
// bring under the bound), or every draw over the bound. Accounts of the
// second group must all be refused: four questions each drawn from one
// fact give an attacker who knows that at least 1/8 per question, (1/8)⁴ =
// 2.4 × 10⁻⁴ per attempt, over MaxGuessability. The share that gets
// questions must not fall below 55 % (57.9 % when written; the ids come
// from the seed, so the figure is the same every run). The figures are in
// docs/security.md.
func TestCoverage(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement skipped in -short mode")
	}
	db := storetest.SQLite(t)
	ctx := context.Background()
	s := service(t, clock.NewFake(now))
	ids := generated(t, db, 2026, 0, 2400)
	rates, err := s.Rates(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var traders, tooFew, singles, refused, issued int
	perKind := map[quiz.Kind]int{}
	for _, id := range ids {
		f, err := quiz.Load(ctx, db, id, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Markets) == 0 {
			continue
		}
		traders++
		kinds := s.Available(f, rates)
		richest := 0
		for _, k := range kinds {
			perKind[k]++
			richest = max(richest, len(quiz.Telling(f, k, rates)))
		}
		_, _, err = issue(t, db, s, id)
		switch {
		case err == nil:
			issued++
			if len(kinds) >= quiz.DefaultRules.Questions && richest == 1 {
				t.Errorf("account %s has only single-fact kinds %v and was given questions", id, kinds)
			}
		case !apperr.Is(err, apperr.QuizUnavailable):
			t.Fatal(err)
		case len(kinds) < quiz.DefaultRules.Questions:
			tooFew++
		case richest == 1:
			singles++
		default:
			refused++
		}
	}
	share := func(n int) string { return fmt.Sprintf("%.1f %%", 100*float64(n)/float64(traders)) }
	var kinds []string
	for k, n := range perKind {
		kinds = append(kinds, fmt.Sprintf("%s %s", k, share(n)))
	}
	sort.Strings(kinds)
	t.Logf("%d of %d accounts have a trade: %s get questions; %s have fewer than %d kinds with a telling fact; %s have only single-fact kinds; %s were over the bound in every draw",
		traders, len(ids), share(issued), share(tooFew), quiz.DefaultRules.Questions, share(singles), share(refused))
	t.Logf("each kind has a telling fact for: %s", strings.Join(kinds, ", "))
	if float64(issued) < 0.55*float64(traders) {
		t.Errorf("%d of %d accounts with a trade get questions, under 55 %%", issued, traders)
	}
}
