package demo

import (
	"math"
	"slices"
	"time"

	"github.com/rebindhq/rebind/internal/account"
)

// Habit is an order type or a product with how likely an account is to use
// it at all.
type Habit struct {
	Name string
	// Share is the chance that an account of typical activity
	// (Population.TypicalTrades trades) uses it.
	Share float64
	// Elasticity says how the chance grows with activity: an account with a
	// times the typical trades uses it with chance Share·a^Elasticity, at
	// most maxHabit. 0 makes it the same for every account.
	Elasticity float64
}

// maxHabit bounds the chance of any habit: even the busiest traders skip
// some order types and products.
const maxHabit = 0.9

// chance is the habit's chance for an account with activity a.
func (h Habit) chance(a float64) float64 {
	return min(maxHabit, h.Share*math.Pow(a, h.Elasticity))
}

// activity is the account's trades relative to the typical trader's; an
// account without trades counts as one trade.
func (h *history) activity() float64 {
	return float64(max(len(h.act.Trades), 1)) / float64(max(h.p.TypicalTrades, 1))
}

// adopt draws which habits the account has.
func (h *history) adopt(habits []Habit) []string {
	a := h.activity()
	var out []string
	for _, x := range habits {
		if h.rng.Float64() < x.chance(a) {
			out = append(out, x.Name)
		}
	}
	return out
}

// orderTypes gives every trade an order type: limit or market by the
// account's own mix, and the other types it uses (drawn from OrderTypes, or
// those given) each on at least one trade and on a share of the rest.
func (h *history) orderTypes(given []string) {
	trades := h.act.Trades
	if len(trades) == 0 {
		return
	}
	p, rng := h.p, h.rng
	special := given
	if special == nil {
		special = h.adopt(p.OrderTypes)
	}
	special = special[:min(len(special), len(trades))]
	market := rng.Float64()*(p.MixedMarket[1]-p.MixedMarket[0]) + p.MixedMarket[0]
	switch r := rng.Float64(); {
	case r < p.MarketOnly:
		market = 1
	case r < p.MarketOnly+p.LimitOnly:
		market = 0
	}
	for i, k := range rng.Perm(len(trades)) {
		var t string
		switch {
		case i < len(special):
			t = special[i] // each type the account uses fills at least once
		case len(special) > 0 && rng.Float64() < p.SpecialOrders:
			t = special[rng.IntN(len(special))]
		case rng.Float64() < market:
			t = "market"
		default:
			t = "limit"
		}
		trades[k].OrderType = &t
	}
}

// products draws the products the account used: spot with its first
// trade, and the others (drawn from Products, or those given) some time
// after it was funded. Accounts that never funded nor traded use none.
func (h *history) products(given []string) {
	if len(h.act.Deposits) == 0 && len(h.act.Trades) == 0 {
		return
	}
	start := h.reg.Add(10 * time.Minute)
	if len(h.act.Deposits) > 0 {
		start = h.act.Deposits[0].At
	}
	used := given
	if used == nil {
		used = h.adopt(h.p.Products)
	}
	var list []account.ProductUse
	if len(h.act.Trades) > 0 && !slices.Contains(used, "spot") {
		list = append(list, account.ProductUse{Product: "spot", At: h.act.Trades[0].At})
	}
	for _, name := range used {
		list = append(list, account.ProductUse{Product: name, At: h.between(start, h.now)})
	}
	sortByTime(list, func(u account.ProductUse) time.Time { return u.At })
	for k := range list {
		list[k].ExternalID = h.externalID("pr", k+1)
	}
	h.act.Products = list
}
