// Package demo owns the demo data: the population model that describes what
// an exchange's accounts and their history look like (coins, networks,
// markets, countries, devices and the distributions of how much each account
// does), a deterministic generator of accounts from that model, the fixed
// named accounts that dev mode creates for testers, and the bulk writer that
// fills a database with many accounts for scale tests.
//
// The model is exported on purpose: the security questions are built from an
// account's own history, and their strength is judged against an attacker
// who knows the population's base rates. That attacker reads the same
// Population the generator draws from.
package demo

import (
	"math"
	"math/rand/v2"
)

// Population is the model that generated accounts are drawn from. Weights
// are relative (they need not sum to 1). Where several distinct items are
// chosen (markets traded, coins deposited, assets held), they are successive
// draws without replacement, each proportional to Weight among those left.
// The generator only reads it, so one Population may serve many goroutines.
type Population struct {
	Coins     []Coin
	Markets   []Market
	Countries []Country
	Devices   []Device

	KYC           float64 // share of KYC-verified accounts
	Mobile        float64 // share with a bound mobile (mobile verification on)
	NoTransfers   float64 // share that never deposited nor withdrew
	RecentDeposit float64 // chance that a deposit after the first falls in the last 30 days
	HomeLogins    float64 // share of logins from the account's home city
	TravelLogins  float64 // share of logins from another country

	RegistrationAgeDays   Count // days between registration and now
	DepositCoins          Count // distinct coins deposited, for accounts with transfers
	Deposits              Count // deposits per account with transfers
	WithdrawalAddresses   Count // distinct addresses withdrawn to (0 for many)
	WithdrawalsPerAddress Count
	MarketsTraded         Count // distinct spot markets traded (0 for some)
	TradesPerMarket       Count
	AssetsHeld            Count // assets with a balance now, among those deposited or bought
	Logins                Count
	DevicesPerAccount     Count

	// How accounts trade and which products they use (defaults.go says
	// where the shares come from). Habits draw from the account's stream
	// after the rest of its history, so they leave every other draw as it
	// was.
	TypicalTrades int     // trades of a typical account with trades: activity 1
	MarketOnly    float64 // share of accounts with trades that place only market orders
	LimitOnly     float64 // share that place only limit orders
	// MixedMarket is the range the share of market orders of the other
	// accounts is drawn from, uniformly.
	MixedMarket [2]float64
	// OrderTypes are the order types besides limit and market that an
	// account with trades may use; SpecialOrders is the share of its
	// further trades that use one of those it does.
	OrderTypes    []Habit
	SpecialOrders float64
	// Products are the products besides spot (which every account with a
	// trade uses) that a funded account may use.
	Products []Habit
}

// Coin is an asset that is deposited, withdrawn, traded and held.
type Coin struct {
	Symbol   string
	Weight   float64   // popularity of the coin for deposits, withdrawals and holdings
	Networks []Network // the networks the coin moves on, with each one's share
	// Typical is the median size of one deposit in coin units; amounts are
	// spread log-normally around it.
	Typical  float64
	Decimals int // decimals the exchange keeps for the coin
}

// Network is one chain a coin moves on, e.g. USDT on TRC20. An account
// keeps to the network it first chose for a coin.
type Network struct {
	Name   string
	Weight float64
}

// Market is a spot market, written BASE/QUOTE.
type Market struct {
	Symbol string
	Weight float64
}

// Country is where accounts live and sign in from. An account's mobile
// number is drawn from its home country's range.
type Country struct {
	Code        string // ISO 3166 alpha-2
	Weight      float64
	Cities      []City
	FirstOctets []byte // first octets of IPv4 blocks allocated in the country
	Mobile      MobileRange
}

// City is a sign-in location inside a country.
type City struct {
	Name   string
	Weight float64
}

// Device names the client of a sign-in, as the exchange records it.
type Device struct {
	Name   string
	Weight float64
}

// Bucket is a range of counts [Min, Max] with its weight; a count is drawn
// uniformly within its bucket.
type Bucket struct {
	Min, Max int
	Weight   float64
}

// Count is a distribution of a count, written as weighted buckets rather
// than a formula so that an attacker model can read exact probabilities
// (P) from the same table the generator draws from.
type Count []Bucket

// Draw returns a count drawn from the distribution.
func (c Count) Draw(rng *rand.Rand) int {
	b := c[pick(rng, len(c), func(i int) float64 { return c[i].Weight })]
	return b.Min + rng.IntN(b.Max-b.Min+1)
}

// P returns the probability of exactly n.
func (c Count) P(n int) float64 {
	var p, total float64
	for _, b := range c {
		total += b.Weight
		if n >= b.Min && n <= b.Max {
			p += b.Weight / float64(b.Max-b.Min+1)
		}
	}
	return p / total
}

// Mean returns the expected count.
func (c Count) Mean() float64 {
	var m, total float64
	for _, b := range c {
		total += b.Weight
		m += b.Weight * float64(b.Min+b.Max) / 2
	}
	return m / total
}

// Max returns the largest count the distribution can draw.
func (c Count) Max() int {
	m := 0
	for _, b := range c {
		if b.Weight > 0 {
			m = max(m, b.Max)
		}
	}
	return m
}

// pick returns an index in [0, n) drawn proportionally to weight.
func pick(rng *rand.Rand, n int, weight func(int) float64) int {
	var total float64
	for i := range n {
		total += weight(i)
	}
	x := rng.Float64() * total
	for i := range n {
		if x -= weight(i); x < 0 {
			return i
		}
	}
	return n - 1
}

// pickDistinct returns up to k distinct indexes in [0, len(weights)), drawn
// one after the other without replacement, proportionally to weight.
func pickDistinct(rng *rand.Rand, k int, weights []float64) []int {
	w := append([]float64(nil), weights...)
	var out []int
	for len(out) < k {
		var left float64
		for _, x := range w {
			left += x
		}
		if left <= 0 {
			break
		}
		i := pick(rng, len(w), func(i int) float64 { return w[i] })
		out = append(out, i)
		w[i] = 0
	}
	return out
}

// MaxAccounts is how many accounts the population can number with unique
// mobiles: the size of the smallest country's mobile range.
func (p *Population) MaxAccounts() int {
	m := int64(1) << 62
	for _, c := range p.Countries {
		m = min(m, c.Mobile.Count)
	}
	return int(m)
}

// Thinned returns a copy of the population whose accounts have about share
// (0 < share ≤ 1) of the activity: the counts of deposits, withdrawals to
// each address, trades in each market and logins are scaled by it, and so
// is TypicalTrades, so that order types and products keep their shares. The
// counts of distinct markets traded, withdrawal addresses, assets held and
// devices are drawn from the same tables, so the facts the security
// questions ask about keep their shape; fewer deposits and fills can only
// lower the distinct coins deposited and the assets acquired to hold (at
// 0.2 the balances fall by about 6 %). The copy shares the other tables,
// which the generator only reads. Scale tests use it to reach many
// accounts with fewer rows.
func (p *Population) Thinned(share float64) *Population {
	q := *p
	q.Deposits = p.Deposits.scaled(share)
	q.WithdrawalsPerAddress = p.WithdrawalsPerAddress.scaled(share)
	q.TradesPerMarket = p.TradesPerMarket.scaled(share)
	q.Logins = p.Logins.scaled(share)
	q.TypicalTrades = max(1, int(math.Round(float64(p.TypicalTrades)*share)))
	return &q
}

// scaled multiplies each bucket's bounds by share, rounded, keeping a
// bucket that starts at 1 or more at 1 or more (an account that makes a
// deposit still makes one).
func (c Count) scaled(share float64) Count {
	out := make(Count, len(c))
	for i, b := range c {
		lo := int(math.Round(float64(b.Min) * share))
		if b.Min > 0 {
			lo = max(lo, 1)
		}
		out[i] = Bucket{Min: lo, Max: max(lo, int(math.Round(float64(b.Max)*share))), Weight: b.Weight}
	}
	return out
}
