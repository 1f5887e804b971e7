package demo

import (
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/account"
)

const day = 24 * time.Hour

// deposits draws n deposits (at least one) of a few coins. The first comes
// within days of registration, as accounts are funded soon after sign-up;
// each coin keeps to one network and one deposit address per network, as an
// exchange assigns them.
func (h *history) deposits(n int) {
	p, rng := h.p, h.rng
	n = max(n, 1)
	coins := pickDistinct(rng, min(max(1, p.DepositCoins.Draw(rng)), n), weightsOf(p.Coins, func(c Coin) float64 { return c.Weight }))
	span := h.now.Sub(h.reg)
	first := h.reg.Add(time.Minute + min(time.Duration(rng.ExpFloat64()*float64(3*day)), span/2)).Truncate(time.Millisecond)
	networks := make([]string, len(coins))
	address := map[string]string{} // network → the account's deposit address
	for j, ci := range coins {
		c := &p.Coins[ci]
		networks[j] = c.Networks[pick(rng, len(c.Networks), func(i int) float64 { return c.Networks[i].Weight })].Name
		if address[networks[j]] == "" {
			address[networks[j]] = chainOf(networks[j]).address.draw(rng)
		}
	}
	for k := range n {
		j := k // every chosen coin is deposited at least once
		if k >= len(coins) {
			j = rng.IntN(len(coins))
		}
		c, net := &p.Coins[coins[j]], networks[j]
		at := first
		switch {
		case k == 0:
		case rng.Float64() < p.RecentDeposit:
			at = h.between(maxTime(first, h.now.Add(-30*day)), h.now)
		default:
			at = h.between(first, h.now)
		}
		h.act.Deposits = append(h.act.Deposits, account.Transfer{Coin: c.Symbol, Network: net,
			Amount: amount(rng, c.Typical, 1.3, c.Decimals), Address: address[net],
			TxID: chainOf(net).txid.draw(rng), At: at})
		if f, ok := h.firstDep[c.Symbol]; !ok || at.Before(f) {
			h.firstDep[c.Symbol] = at
		}
		h.acquired[c.Symbol] = true
	}
	h.number(h.act.Deposits, "dep")
}

// withdrawals draws withdrawals to nAddr stable addresses, each of one coin
// the account deposited and on the network it used for that coin; every
// withdrawal follows the first deposit of its coin.
func (h *history) withdrawals(nAddr int) {
	p, rng := h.p, h.rng
	var coins []*Coin
	for i := range p.Coins { // in table order, not map order, to stay deterministic
		if _, ok := h.firstDep[p.Coins[i].Symbol]; ok {
			coins = append(coins, &p.Coins[i])
		}
	}
	if len(coins) == 0 {
		return
	}
	network := map[string]string{}
	for _, d := range h.act.Deposits {
		network[d.Coin] = d.Network
	}
	for range nAddr {
		c := coins[pick(rng, len(coins), func(i int) float64 { return coins[i].Weight })]
		net := network[c.Symbol]
		addr := chainOf(net).address.draw(rng)
		for range max(1, p.WithdrawalsPerAddress.Draw(rng)) {
			h.act.Withdrawals = append(h.act.Withdrawals, account.Transfer{Coin: c.Symbol, Network: net,
				Amount: amount(rng, c.Typical*0.7, 1.2, c.Decimals), Address: addr,
				TxID: chainOf(net).txid.draw(rng), At: h.between(h.firstDep[c.Symbol].Add(time.Minute), h.now)})
		}
	}
	h.number(h.act.Withdrawals, "wd")
}

// number sorts transfers by time and gives them external ids in that order.
func (h *history) number(ts []account.Transfer, kind string) {
	sortByTime(ts, func(t account.Transfer) time.Time { return t.At })
	for k := range ts {
		ts[k].ExternalID = h.externalID(kind, k+1)
	}
}

// trades draws fills in nm distinct markets. Trading starts once the account
// is funded; the first fill of a market buys its base asset unless the
// account deposited that asset before.
func (h *history) trades(nm int) {
	p, rng := h.p, h.rng
	start := h.reg.Add(10 * time.Minute)
	if len(h.act.Deposits) > 0 {
		start = h.act.Deposits[0].At // sorted: the first is the earliest
	}
	for _, mi := range pickDistinct(rng, nm, weightsOf(p.Markets, func(m Market) float64 { return m.Weight })) {
		market := p.Markets[mi].Symbol
		base, quote, _ := strings.Cut(market, "/")
		t0 := h.between(start, h.now)
		dep, ok := h.firstDep[base]
		holdsBase := ok && dep.Before(t0)
		for k := range max(1, p.TradesPerMarket.Draw(rng)) {
			at, side := t0, "buy"
			if k > 0 {
				at = h.between(t0, h.now)
			}
			if (k > 0 || holdsBase) && rng.IntN(2) == 0 {
				side = "sell"
			}
			if side == "buy" {
				h.acquired[base] = true
			} else {
				h.acquired[quote] = true
			}
			h.act.Trades = append(h.act.Trades, account.Trade{Market: market, Side: side, At: at})
		}
	}
	sortByTime(h.act.Trades, func(t account.Trade) time.Time { return t.At })
	for k := range h.act.Trades {
		h.act.Trades[k].ExternalID = h.externalID("tr", k+1)
	}
}

// balances draws up to n assets held now, among those the account deposited
// or bought. One in ten is dust left over from a sale.
func (h *history) balances(n int) {
	p, rng := h.p, h.rng
	var held []Coin
	for _, c := range p.Coins {
		if h.acquired[c.Symbol] {
			held = append(held, c)
		}
	}
	list := []account.Balance{}
	for _, i := range pickDistinct(rng, n, weightsOf(held, func(c Coin) float64 { return c.Weight })) {
		c, median := held[i], held[i].Typical*0.6
		if rng.Float64() < 0.1 {
			median = held[i].Typical * 1e-4
		}
		list = append(list, account.Balance{Asset: c.Symbol, Amount: amount(rng, median, 1.6, c.Decimals)})
	}
	h.act.Balances = &list
}

// logins draws n sign-ins: the first right after registration, most from the
// home city and its usual addresses, some elsewhere in the country, a few
// abroad; most accounts have signed in within the last two weeks.
func (h *history) logins(n int) {
	p, rng := h.p, h.rng
	for k := range max(n, 1) {
		var at time.Time
		switch {
		case k == 0:
			at = h.between(h.reg.Add(time.Minute), h.reg.Add(10*time.Minute))
		case k == 1 && rng.Float64() < 0.7:
			at = h.between(maxTime(h.reg, h.now.Add(-14*day)), h.now)
		default:
			at = h.between(h.reg, h.now)
		}
		l := account.Login{At: at, Country: h.home.Code, City: h.city, IP: h.ips[rng.IntN(len(h.ips))]}
		switch r := rng.Float64(); {
		case r < p.HomeLogins:
		case r < p.HomeLogins+p.TravelLogins:
			abroad := h.abroad()
			l.Country, l.City, l.IP = abroad.Code, abroad.Cities[0].Name, ipIn(rng, abroad)
		default:
			l.City, l.IP = h.home.Cities[rng.IntN(len(h.home.Cities))].Name, ipIn(rng, h.home)
		}
		l.Device = h.devices[0] // the primary device, most of the time
		if rng.Float64() < 0.3 {
			l.Device = h.devices[rng.IntN(len(h.devices))]
		}
		h.act.Logins = append(h.act.Logins, l)
	}
	sortByTime(h.act.Logins, func(l account.Login) time.Time { return l.At })
	for k := range h.act.Logins {
		h.act.Logins[k].ExternalID = h.externalID("lg", k+1)
	}
}

// abroad draws a country other than home, by weight.
func (h *history) abroad() *Country {
	cs := h.p.Countries
	i := pick(h.rng, len(cs), func(i int) float64 {
		if cs[i].Code == h.home.Code && len(cs) > 1 {
			return 0
		}
		return cs[i].Weight
	})
	return &cs[i]
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
