package demo

import (
	"slices"
	"testing"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/quiz"
)

// The habit tables name only what the activity push accepts, leave out what
// every account has (limit and market orders, spot), and are chances.
func TestHabitsAreConsistent(t *testing.T) {
	p := DefaultPopulation()
	for _, c := range []struct {
		habits []Habit
		valid  []string
		never  []string
	}{{p.OrderTypes, account.OrderTypes, []string{"limit", "market"}}, {p.Products, account.Products, []string{"spot"}}} {
		seen := map[string]bool{}
		for _, h := range c.habits {
			if !slices.Contains(c.valid, h.Name) || slices.Contains(c.never, h.Name) || seen[h.Name] {
				t.Errorf("habit %s: not accepted by the push, universal, or listed twice", h.Name)
			}
			seen[h.Name] = true
			if h.Share <= 0 || h.Share > maxHabit || h.Elasticity < 0 || h.Elasticity > 1 {
				t.Errorf("habit %s: share %v, elasticity %v", h.Name, h.Share, h.Elasticity)
			}
		}
	}
	if p.MarketOnly+p.LimitOnly > 1 || p.MixedMarket[0] > p.MixedMarket[1] || p.SpecialOrders <= 0 || p.SpecialOrders >= 1 {
		t.Error("order habits are not shares")
	}
	if most := p.MarketsTraded.Max()*p.TradesPerMarket.Max() + len(p.Products) + 1; most > account.MaxItems {
		t.Errorf("trades and products alone can reach %d items", most)
	}
}

// Generated accounts: every trade has an order type and every type an
// account uses filled at least once; spot comes with the first trade and
// only with trades; other products fall in the account's life, each once;
// most traders use only limit and market orders, and busier ones use more
// of the other types and products.
func TestGeneratedHabits(t *testing.T) {
	p := DefaultPopulation()
	var traders, plain int
	var busy, quiet struct{ accounts, special, products int }
	for i := range 3000 {
		g := p.At(17, i, testNow)
		a := g.Activity
		types := map[string]bool{}
		for _, tr := range a.Trades {
			if tr.OrderType == nil {
				t.Fatalf("account %d: trade %s has no order type", i, tr.ExternalID)
			}
			types[*tr.OrderType] = true
		}
		seen := map[string]bool{}
		ids := map[string]bool{}
		for _, u := range a.Products {
			if seen[u.Product] || ids[u.ExternalID] {
				t.Fatalf("account %d: %s or %s twice", i, u.Product, u.ExternalID)
			}
			seen[u.Product], ids[u.ExternalID] = true, true
			if !u.At.After(g.RegisteredAt) || u.At.After(testNow) {
				t.Fatalf("account %d: %s at %v, outside its life", i, u.Product, u.At)
			}
		}
		if (len(a.Trades) > 0) != seen["spot"] {
			t.Fatalf("account %d: %d trades, spot %v", i, len(a.Trades), seen["spot"])
		}
		if len(a.Trades) > 0 && !slices.ContainsFunc(a.Products, func(u account.ProductUse) bool { return u.Product == "spot" && u.At.Equal(a.Trades[0].At) }) {
			t.Fatalf("account %d: spot not used at the first trade", i)
		}
		if len(a.Deposits) == 0 && len(a.Trades) == 0 && len(a.Products) > 0 {
			t.Fatalf("account %d: products without funds or trades", i)
		}
		if len(a.Trades) == 0 {
			continue
		}
		traders++
		delete(types, "limit")
		delete(types, "market")
		special := len(types)
		if special == 0 {
			plain++
		}
		group := &quiet
		if len(a.Trades) >= 4*p.TypicalTrades {
			group = &busy
		}
		if len(a.Trades) <= p.TypicalTrades/4 || group == &busy {
			group.accounts++
			group.special += special
			group.products += len(a.Products)
		}
	}
	t.Logf("%d traders, %.2f with only limit and market orders; %d busy with %.2f other order types and %.2f products, %d quiet with %.2f and %.2f",
		traders, float64(plain)/float64(traders), busy.accounts, float64(busy.special)/float64(busy.accounts),
		float64(busy.products)/float64(busy.accounts), quiet.accounts, float64(quiet.special)/float64(quiet.accounts),
		float64(quiet.products)/float64(quiet.accounts))
	if share := float64(plain) / float64(traders); share < 0.6 {
		t.Errorf("%.2f of traders use only limit and market orders, want most", share)
	}
	if busy.accounts < 50 || quiet.accounts < 50 ||
		float64(busy.special)/float64(busy.accounts) < 2*float64(quiet.special)/float64(quiet.accounts) ||
		float64(busy.products)/float64(busy.accounts) <= float64(quiet.products)/float64(quiet.accounts) {
		t.Error("busy traders do not use more order types and products than quiet ones")
	}
}

// The named accounts have plausible habits; alice has enough that
// questions may name for both kinds.
func TestNamedHabits(t *testing.T) {
	accounts := NamedAccounts(testNow)
	for _, n := range accounts {
		if err := n.Activity.Validate(testNow); err != nil {
			t.Fatalf("%s: %v", n.Email, err)
		}
	}
	alice := accounts[0].Activity
	var products, types []string
	for _, u := range alice.Products {
		if slices.Contains(quiz.QuestionProducts, u.Product) {
			products = append(products, u.Product)
		}
	}
	for _, tr := range alice.Trades {
		if slices.Contains(quiz.QuestionOrderTypes, *tr.OrderType) && !slices.Contains(types, *tr.OrderType) {
			types = append(types, *tr.OrderType)
		}
	}
	if len(products) < 3 || len(types) < 3 {
		t.Errorf("alice's askable products %v and order types %v: want at least 3 of each", products, types)
	}
}
