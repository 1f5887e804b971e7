package quiz_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

func ptr(s string) *string { return &s }

// usage is a history with products and order types: some that may be
// asked, some an exchange email reveals, some near universal.
func usage(orderTypes ...string) account.Activity {
	at := now.Add(-200 * 24 * time.Hour)
	var a account.Activity
	for i, ot := range orderTypes {
		tr := account.Trade{ExternalID: fmt.Sprintf("t%d", i), Market: "BTC/USDT", Side: "buy", At: at.Add(time.Duration(i) * time.Hour)}
		if ot != "" {
			tr.OrderType = ptr(ot)
		}
		a.Trades = append(a.Trades, tr)
	}
	for i, p := range []string{"spot", "convert", "p2p", "grid_bot", "futures_usdt", "grid_bot", "earn_flexible"} {
		a.Products = append(a.Products, account.ProductUse{ExternalID: fmt.Sprintf("p%d", i), Product: p, At: at})
	}
	return a
}

// SEC-KBA-7: the products and order types a question may name are loaded
// as the facts of products_used; those an exchange email reveals and the
// near-universal ones are not, and an account with a trade of unknown
// order type has no order-type facts.
func TestProductAndOrderTypeFacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		id := newAccount(t, db, usage("limit", "market", "stop_limit", "oco", "stop_limit", "post_only"))
		f, err := quiz.Load(ctx, db, id, now)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"convert", "grid_bot", "limit", "market", "oco", "post_only", "spot", "stop_limit"}
		if got := f.Values(quiz.ProductsUsed); !slices.Equal(got, want) {
			t.Errorf("products and order types = %v, want %v (p2p, futures and earn are emailed)", got, want)
		}
		// Spot, limit and market are facts but never asked, whatever the
		// sample says.
		rates, err := quiz.EstimateRates(ctx, db, rand.New(rand.NewPCG(1, 1)), now, 10)
		if err != nil {
			t.Fatal(err)
		}
		k := quiz.ProductsUsed
		if got := quiz.Telling(f, k, rates); slices.ContainsFunc(got, func(v string) bool { return slices.Contains(quiz.Universal[k], v) }) {
			t.Errorf("telling values %v include a universal one (rates %v)", got, rates[k])
		}

		id = newAccount(t, db, usage("stop_limit", "", "oco"))
		f, err = quiz.Load(ctx, db, id, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Values(quiz.ProductsUsed); !slices.Equal(got, []string{"convert", "grid_bot", "spot"}) {
			t.Errorf("with a trade of unknown order type: %v, want the products only", got)
		}
		id = newAccount(t, db, account.Activity{})
		if f, err = quiz.Load(ctx, db, id, now); err != nil || f.Values(quiz.ProductsUsed) != nil {
			t.Errorf("an account without history: %+v, %v", f, err)
		}
	})
}

// SEC-KBA-7: every product and order type the push accepts is either one a
// question may name, one an exchange email reveals, or a near-universal one
// that no question names; the askable ones have a text people know them by.
// TestNoQuestionUsesANotifiedFact checks that no askable one is emailed.
func TestEveryProductAndOrderTypeIsClassified(t *testing.T) {
	notified := map[string]bool{}
	for _, facts := range quiz.NotificationFacts {
		for _, f := range facts {
			notified[f] = true
		}
	}
	universal := map[string]bool{}
	for _, v := range quiz.UniversalProducts {
		universal["product."+v] = true
	}
	for _, v := range quiz.UniversalOrderTypes {
		universal["trade.order_type."+v] = true
	}
	texts := map[string]bool{}
	var askable []string
	for _, c := range []struct {
		prefix string
		all    []string
		asked  []string
	}{
		{"product.", account.Products, quiz.QuestionProducts},
		{"trade.order_type.", account.OrderTypes, quiz.QuestionOrderTypes},
	} {
		for _, v := range c.all {
			n := 0
			for _, in := range []bool{slices.Contains(c.asked, v), notified[c.prefix+v], universal[c.prefix+v]} {
				if in {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s%s is in %d of asked, emailed and universal, want exactly one", c.prefix, v, n)
			}
		}
		for _, v := range c.asked {
			if !slices.Contains(c.all, v) {
				t.Errorf("%s may be asked but the push does not accept it", v)
			}
			// One question shows both lists: a value of one must not be
			// a value of the other, and every text is its own.
			if slices.Contains(askable, v) {
				t.Errorf("%s is both a product and an order type", v)
			}
			askable = append(askable, v)
			text := quiz.OptionText(quiz.ProductsUsed, v)
			if text == v || texts[text] {
				t.Errorf("%s shows %q: want a text of its own", v, text)
			}
			texts[text] = true
		}
	}
	if len(askable) < 2*quiz.OptionsPerQuestion {
		t.Errorf("%d values may be asked; a question needs %d, and twice that to balance its decoys", len(askable), quiz.OptionsPerQuestion)
	}
	spec, ok := quiz.SpecOf(quiz.ProductsUsed)
	if !ok || len(spec.Facts) != len(askable) {
		t.Errorf("products_used declares facts %v, want one per askable value", spec.Facts)
	}
}

// The order-type and product probes read the indexes, never the tables: a
// long history costs no more than a short one.
func TestProductAndOrderTypeProbesUseIndexes(t *testing.T) {
	db := storetest.SQLite(t)
	for _, q := range []string{quiz.ProductsSQL, quiz.OrderTypesSQL, quiz.UnknownOrderTypeSQL} {
		rows, err := db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, "x")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		// Every read of a table is a search of the new indexes that needs
		// nothing else (a scan, or an index on other columns, would walk
		// the account's trades).
		searches := 0
		for _, line := range plan {
			if strings.HasPrefix(line, "SEARCH") {
				searches++
			}
			if (strings.HasPrefix(line, "SEARCH") || strings.Contains(line, "trades") || strings.Contains(line, "product_uses")) &&
				!strings.Contains(line, "COVERING INDEX trades_by_order_type (account_id=? AND order_type") &&
				!strings.Contains(line, "COVERING INDEX product_uses_by_product (account_id=?") {
				t.Errorf("%s\nreads %q", q, line)
			}
		}
		if searches == 0 {
			t.Errorf("%s: no index search in the plan %v", q, plan)
		}
	}
}
