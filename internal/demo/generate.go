package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rebindhq/rebind/internal/account"
)

// Domain is where generated emails live: .invalid is reserved (RFC 2606),
// so no message to a demo account can reach anyone.
const Domain = "demo.rebind.invalid"

// BulkPassword is the password of generated bulk accounts unless the caller
// chooses another.
const BulkPassword = "demo-scale-password"

// Generated is one account and its history, ready to be stored.
type Generated struct {
	Email        string
	Password     string
	Mobile       string // E.164, or "" when none is bound
	KYC          bool
	RegisteredAt time.Time
	Activity     account.Activity
}

// RNG returns the random source of account i in a run seeded with seed.
// Each account has its own stream, so any one of them can be regenerated
// without the others, and generation can be split across goroutines.
func RNG(seed uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, splitmix(uint64(i))))
}

// splitmix scrambles an index so that neighbouring accounts do not start
// from neighbouring PCG states.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// traits fix what Account otherwise draws: the class of the account and
// floors on how much history it has. Named accounts use them to be sure to
// cover the cases a tester needs.
type traits struct {
	kyc, mobile, transfers bool
	home                   string // country code; "" draws one
	ageDays                int    // 0 draws one
	min                    floors
	// orderTypes (besides limit and market) and products (besides spot)
	// the account uses; nil draws them.
	orderTypes, products []string
}

type floors struct {
	deposits, addresses, markets, assets, logins int
}

// Account returns account i of the population, drawn from rng; the same rng
// state, index and now give the same account. Its email and mobile are
// derived from i, so they are unique among indexes below MaxAccounts.
func (p *Population) Account(rng *rand.Rand, i int, now time.Time) Generated {
	t := traits{
		kyc:       rng.Float64() < p.KYC,
		mobile:    rng.Float64() < p.Mobile,
		transfers: rng.Float64() >= p.NoTransfers,
	}
	g, home := p.generate(rng, now, t)
	g.Email = fmt.Sprintf("user%d@%s", i, Domain)
	g.Password = BulkPassword
	if t.mobile {
		g.Mobile = home.Mobile.ForIndex(i)
	}
	return g
}

// At is Account with the stream of account i in a run seeded with seed.
func (p *Population) At(seed uint64, i int, now time.Time) Generated {
	return p.Account(RNG(seed, i), i, now)
}

// history is the state of one account while its history is drawn.
type history struct {
	p        *Population
	rng      *rand.Rand
	now, reg time.Time
	tag      string // makes external ids look like the exchange's own
	home     *Country
	city     string
	ips      []string
	devices  []string
	act      account.Activity
	firstDep map[string]time.Time // coin → first deposit
	acquired map[string]bool      // assets deposited or bought
}

func (p *Population) generate(rng *rand.Rand, now time.Time, t traits) (Generated, *Country) {
	now = now.UTC().Truncate(time.Millisecond)
	h := &history{p: p, rng: rng, now: now, firstDep: map[string]time.Time{}, acquired: map[string]bool{}}
	age := t.ageDays
	if age == 0 {
		age = p.RegistrationAgeDays.Draw(rng)
	}
	h.reg = now.Add(-time.Duration(age)*24*time.Hour - time.Duration(rng.Int64N(int64(24*time.Hour)))).Truncate(time.Millisecond)
	h.tag = fmt.Sprintf("%010x", rng.Uint64()>>24)
	h.home = p.country(rng, t.home)
	h.city = h.home.Cities[pick(rng, len(h.home.Cities), func(i int) float64 { return h.home.Cities[i].Weight })].Name
	h.ips = []string{ipIn(rng, h.home), ipIn(rng, h.home)}
	n := max(1, p.DevicesPerAccount.Draw(rng))
	for _, d := range pickDistinct(rng, n, weightsOf(p.Devices, func(d Device) float64 { return d.Weight })) {
		h.devices = append(h.devices, p.Devices[d].Name)
	}
	if t.transfers {
		h.deposits(max(p.Deposits.Draw(rng), t.min.deposits))
		h.withdrawals(max(p.WithdrawalAddresses.Draw(rng), t.min.addresses))
	}
	h.trades(max(p.MarketsTraded.Draw(rng), t.min.markets))
	h.balances(max(p.AssetsHeld.Draw(rng), t.min.assets))
	h.logins(max(p.Logins.Draw(rng), t.min.logins))
	h.orderTypes(t.orderTypes)
	h.products(t.products)
	return Generated{KYC: t.kyc, RegisteredAt: h.reg, Activity: h.act}, h.home
}

// country returns the country with a code, or draws one by weight.
func (p *Population) country(rng *rand.Rand, code string) *Country {
	for i := range p.Countries {
		if p.Countries[i].Code == code {
			return &p.Countries[i]
		}
	}
	return &p.Countries[pick(rng, len(p.Countries), func(i int) float64 { return p.Countries[i].Weight })]
}

// between returns a time drawn uniformly in [a, b], to the millisecond
// (times are stored as milliseconds).
func (h *history) between(a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(h.rng.Int64N(int64(b.Sub(a)) + 1))).Truncate(time.Millisecond)
}

// ipIn draws an address in one of a country's IPv4 blocks, avoiding the
// network and broadcast ends of a /24.
func ipIn(rng *rand.Rand, c *Country) string {
	return fmt.Sprintf("%d.%d.%d.%d", c.FirstOctets[rng.IntN(len(c.FirstOctets))],
		rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
}

func weightsOf[T any](items []T, w func(T) float64) []float64 {
	out := make([]float64, len(items))
	for i, it := range items {
		out[i] = w(it)
	}
	return out
}

// externalID numbers the items of one kind of one account: unique per
// account and kind, increasing with time like an exchange's own ids.
func (h *history) externalID(kind string, n int) string {
	return fmt.Sprintf("%s-%s-%05d", kind, h.tag, n)
}

func sortByTime[T any](s []T, at func(T) time.Time) {
	slices.SortStableFunc(s, func(a, b T) int { return at(a).Compare(at(b)) })
}
