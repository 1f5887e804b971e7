package demo

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/account"
)

// TestDefaultPopulationIsConsistent checks the tables against each other:
// every market trades known coins, every network has a format, every count
// table is a distribution, and no account can exceed one push.
func TestDefaultPopulationIsConsistent(t *testing.T) {
	p := DefaultPopulation()
	if n := len(p.Coins); n < 25 {
		t.Errorf("%d coins, want about 25", n)
	}
	for _, c := range p.Coins {
		for _, n := range c.Networks {
			if _, ok := chains[n.Name]; !ok {
				t.Errorf("%s moves on %s, which has no address format", c.Symbol, n.Name)
			}
		}
		if c.Typical <= 0 || len(c.Networks) == 0 {
			t.Errorf("%s: no typical amount or no network", c.Symbol)
		}
	}
	var usdt, all float64
	for _, m := range p.Markets {
		base, quote, _ := strings.Cut(m.Symbol, "/")
		if p.coin(base) == nil || p.coin(quote) == nil {
			t.Errorf("market %s trades a coin the population does not have", m.Symbol)
		}
		all += m.Weight
		if quote == "USDT" {
			usdt += m.Weight
		}
	}
	if usdt/all < 0.75 {
		t.Errorf("X/USDT markets carry %.2f of the trading, want most", usdt/all)
	}
	for name, c := range p.counts() {
		sum := 0.0
		for n := 0; n <= c.Max(); n++ {
			sum += c.P(n)
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("%s: probabilities sum to %v", name, sum)
		}
	}
	most := p.Deposits.Max() + p.WithdrawalAddresses.Max()*p.WithdrawalsPerAddress.Max() +
		p.MarketsTraded.Max()*p.TradesPerMarket.Max() + p.Logins.Max() + len(p.Coins)
	if most > account.MaxItems {
		t.Errorf("an account can have %d items, more than one push takes (%d)", most, account.MaxItems)
	}
}

func (p *Population) counts() map[string]Count {
	return map[string]Count{"RegistrationAgeDays": p.RegistrationAgeDays, "DepositCoins": p.DepositCoins,
		"Deposits": p.Deposits, "WithdrawalAddresses": p.WithdrawalAddresses,
		"WithdrawalsPerAddress": p.WithdrawalsPerAddress, "MarketsTraded": p.MarketsTraded,
		"TradesPerMarket": p.TradesPerMarket, "AssetsHeld": p.AssetsHeld, "Logins": p.Logins,
		"DevicesPerAccount": p.DevicesPerAccount}
}

// TestPopulationShares draws a few thousand accounts and compares the
// shares that documents and questions depend on with the model's. The
// tolerances are about four standard deviations.
func TestPopulationShares(t *testing.T) {
	p := DefaultPopulation()
	const n = 4000
	var kyc, mobile, noRecords, noTrades, deposits, recent int
	for i := range n {
		g := p.At(99, i, testNow)
		a := g.Activity
		kyc += b2i(g.KYC)
		mobile += b2i(g.Mobile != "")
		noRecords += b2i(len(a.Deposits)+len(a.Withdrawals) == 0)
		noTrades += b2i(len(a.Trades) == 0)
		for _, d := range a.Deposits {
			deposits++
			recent += b2i(testNow.Sub(d.At) < 30*day)
		}
	}
	for _, s := range []struct {
		name      string
		got, want float64
	}{
		{"KYC", float64(kyc) / n, p.KYC},
		{"mobile", float64(mobile) / n, p.Mobile},
		{"no deposit or withdrawal", float64(noRecords) / n, p.NoTransfers},
		{"no trade", float64(noTrades) / n, p.MarketsTraded.P(0)},
	} {
		if tol := 4 * math.Sqrt(s.want*(1-s.want)/n); math.Abs(s.got-s.want) > tol {
			t.Errorf("%s share %.3f, want %.3f ± %.3f", s.name, s.got, s.want, tol)
		}
	}
	// Recent deposits come from RecentDeposit and from young accounts; both
	// must leave a minority, but not none, that questions have to skip.
	if share := float64(recent) / float64(deposits); share < 0.05 || share > 0.25 {
		t.Errorf("%.3f of %d deposits are younger than 30 days, want 0.05 to 0.25", share, deposits)
	}
}

// coin returns the coin with a symbol, or nil.
func (p *Population) coin(symbol string) *Coin {
	for i := range p.Coins {
		if p.Coins[i].Symbol == symbol {
			return &p.Coins[i]
		}
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Thinned scales the counts of events and leaves the counts of distinct
// things, and the population it was made from, as they were.
func TestThinnedScalesEventsNotDistinctFacts(t *testing.T) {
	p := DefaultPopulation()
	q := p.Thinned(0.2)
	if !reflect.DeepEqual(p, DefaultPopulation()) {
		t.Fatal("Thinned changed the population it was made from")
	}
	for name, c := range q.counts() {
		d := p.counts()[name]
		switch name {
		case "Deposits", "WithdrawalsPerAddress", "TradesPerMarket", "Logins":
			if m := c.Mean() / d.Mean(); m < 0.15 || m > 0.35 {
				t.Errorf("%s: mean %.2f of the default's %.2f", name, c.Mean(), d.Mean())
			}
			for i, b := range c {
				if d[i].Min > 0 && b.Min < 1 {
					t.Errorf("%s: bucket %+v of %+v allows no event", name, b, d[i])
				}
			}
		default:
			if !reflect.DeepEqual(c, d) {
				t.Errorf("%s: %v, want the default's %v", name, c, d)
			}
		}
	}
	if q.TypicalTrades != 4 {
		t.Errorf("typical trades %d, want a fifth of %d", q.TypicalTrades, p.TypicalTrades)
	}
}
