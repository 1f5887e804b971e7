package quiz_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/demo"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// TestCoverage measures, over 2,400 generated accounts of the demo
// population, the share of accounts with any trade whose history allows a
// quiz (at least Questions kinds available, with base rates estimated from
// the population as the service estimates them), with the kinds before the
// product and order-type questions and with them, and the share of those
// accounts each kind is available to. The figures are in docs/security.md;
// the test asserts only that the new kinds add coverage.
func TestCoverage(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement skipped in -short mode")
	}
	db := storetest.SQLite(t)
	ctx := context.Background()
	pop := demo.DefaultPopulation()
	var gens []demo.Generated
	for i := range 2400 {
		gens = append(gens, pop.At(2026, i, now))
	}
	ids, err := demo.Insert(ctx, db, gens, "x")
	if err != nil {
		t.Fatal(err)
	}
	// The service's estimator over (nearly) the whole population: its
	// 400-account sample moves values near MaxRate across the line from one
	// estimate to the next, and the figures with them (48 % to 55 % before
	// the new kinds, over three runs).
	rates, err := quiz.EstimateRates(ctx, db, rand.New(rand.NewPCG(1, 2)), now, len(ids))
	if err != nil {
		t.Fatal(err)
	}
	var before []quiz.Kind
	for _, s := range quiz.Specs {
		if s.Kind != quiz.ProductsUsed && s.Kind != quiz.OrderTypes {
			before = append(before, s.Kind)
		}
	}
	oldKinds, allKinds := withKinds(t, before), withKinds(t, nil)
	var traders, coveredBefore, coveredAfter, mobileTraders, mobileAfter, oneShort, withOne int
	perKind := map[quiz.Kind]int{}
	for i, id := range ids {
		if len(gens[i].Activity.Trades) == 0 {
			continue
		}
		traders++
		f, err := quiz.Load(ctx, db, id, now)
		if err != nil {
			t.Fatal(err)
		}
		old, all := oldKinds.Available(f, rates), allKinds.Available(f, rates)
		for _, k := range all {
			perKind[k]++
		}
		if len(old) >= quiz.DefaultRules.Questions {
			coveredBefore++
		}
		if len(all) >= quiz.DefaultRules.Questions {
			coveredAfter++
		}
		// For the record: what one telling fact per new kind would give.
		if len(old) == quiz.DefaultRules.Questions-1 {
			oneShort++
		}
		n := len(old)
		for _, k := range []quiz.Kind{quiz.ProductsUsed, quiz.OrderTypes} {
			if len(quiz.Telling(f, k, rates)) >= 1 {
				n++
			}
		}
		if n >= quiz.DefaultRules.Questions {
			withOne++
		}
		if gens[i].Mobile != "" {
			mobileTraders++
			if len(all) >= quiz.DefaultRules.Questions {
				mobileAfter++
			}
		}
	}
	share := func(n, of int) float64 { return 100 * float64(n) / float64(of) }
	var kinds []string
	for _, s := range quiz.Specs {
		kinds = append(kinds, fmt.Sprintf("%s %.1f%%", s.Kind, share(perKind[s.Kind], traders)))
	}
	t.Logf("%d of %d accounts have a trade; a quiz is possible for %.1f%% of them with the %d earlier kinds, %.1f%% with all %d (%.1f%% of those with a bound mobile); each kind is available to: %s",
		traders, len(ids), share(coveredBefore, traders), len(before), share(coveredAfter, traders), len(quiz.Specs),
		share(mobileAfter, mobileTraders), strings.Join(kinds, ", "))
	t.Logf("%.1f%% of them are one kind short with the earlier kinds; with one telling fact enough for the new kinds, %.1f%% could take a quiz",
		share(oneShort, traders), share(withOne, traders))
	t.Logf("telling values: products %s; order types %s", tellingRates(rates[quiz.ProductsUsed]), tellingRates(rates[quiz.OrderTypes]))
	if perKind[quiz.ProductsUsed] == 0 || perKind[quiz.OrderTypes] == 0 {
		t.Errorf("a new kind is available to no account: %v", perKind)
	}
	if coveredAfter <= coveredBefore {
		t.Errorf("the new kinds add no coverage: %d accounts before, %d after", coveredBefore, coveredAfter)
	}
}

func withKinds(t *testing.T, kinds []quiz.Kind) *quiz.Service {
	block, _ := aes.NewCipher(bytes.Repeat([]byte{5}, 32))
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return quiz.New(clock.NewFake(now), bytes.Repeat([]byte{6}, 32), aead, kinds, quiz.DefaultRules)
}

// tellingRates lists the values a question may show, with their base rates.
func tellingRates(r map[string]float64) string {
	var out []string
	for v, x := range r {
		out = append(out, fmt.Sprintf("%s %.3f", v, x))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return strings.Join(slices.Clip(out), ", ")
}
