package demo

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/chain"
)

var testNow = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func TestAccountIsDeterministic(t *testing.T) {
	p := DefaultPopulation()
	for _, i := range []int{0, 1, 77, 99_999} {
		a, b := p.At(42, i, testNow), p.At(42, i, testNow)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("account %d: two generations differ", i)
		}
		if c := p.At(43, i, testNow); reflect.DeepEqual(a.Activity, c.Activity) {
			t.Errorf("account %d: seeds 42 and 43 gave the same history", i)
		}
	}
	if reflect.DeepEqual(p.At(42, 5, testNow).Activity, p.At(42, 6, testNow).Activity) {
		t.Error("accounts 5 and 6 have the same history")
	}
}

// TestAccountsAreValid checks what the admin API would check of a push, and
// the timeline and uniqueness rules of the generator, over many accounts.
func TestAccountsAreValid(t *testing.T) {
	p := DefaultPopulation()
	txids, addresses := map[string]int{}, map[string]int{}
	for i := range 3000 {
		g := p.At(7, i, testNow)
		if err := g.Activity.Validate(testNow); err != nil {
			t.Fatalf("account %d: %v", i, err)
		}
		checkTimeline(t, i, g, testNow)
		for _, tr := range append(g.Activity.Deposits, g.Activity.Withdrawals...) {
			if prev, ok := txids[tr.TxID]; ok && prev != i {
				t.Fatalf("txid %s used by accounts %d and %d", tr.TxID, prev, i)
			}
			txids[tr.TxID] = i
			if prev, ok := addresses[tr.Address]; ok && prev != i {
				t.Fatalf("address %s used by accounts %d and %d", tr.Address, prev, i)
			}
			addresses[tr.Address] = i
		}
	}
}

func checkTimeline(t *testing.T, i int, g Generated, now time.Time) {
	t.Helper()
	fail := func(format string, args ...any) { t.Fatalf("account %d: "+format, append([]any{i}, args...)...) }
	if age := now.Sub(g.RegisteredAt); age < 30*day || age > 1461*day {
		fail("registered %v before now, want 1 month to 4 years", age)
	}
	inLife := func(what string, at time.Time) {
		if !at.After(g.RegisteredAt) || at.After(now) {
			fail("%s at %v is outside registration %v to now", what, at, g.RegisteredAt)
		}
	}
	a := g.Activity
	firstDep, acquired := map[string]time.Time{}, map[string]bool{}
	depositAddress := map[string]string{}
	for _, d := range a.Deposits {
		inLife("deposit", d.At)
		if f, ok := firstDep[d.Coin]; !ok || d.At.Before(f) {
			firstDep[d.Coin] = d.At
		}
		acquired[d.Coin] = true
		if prev, ok := depositAddress[d.Network]; ok && prev != d.Address {
			fail("two deposit addresses on %s", d.Network)
		}
		depositAddress[d.Network] = d.Address
		checkShape(t, d)
	}
	addressCoin := map[string]string{}
	for _, w := range a.Withdrawals {
		inLife("withdrawal", w.At)
		if f, ok := firstDep[w.Coin]; !ok || !w.At.After(f) {
			fail("withdrawal of %s at %v before its first deposit", w.Coin, w.At)
		}
		if prev, ok := addressCoin[w.Address]; ok && prev != w.Coin+"/"+w.Network {
			fail("address %s used for %s and %s/%s", w.Address, prev, w.Coin, w.Network)
		}
		addressCoin[w.Address] = w.Coin + "/" + w.Network
		checkShape(t, w)
	}
	if n := len(addressCoin); n > DefaultPopulation().WithdrawalAddresses.Max() {
		fail("%d withdrawal addresses", n)
	}
	for _, tr := range a.Trades {
		inLife("trade", tr.At)
		base, quote, _ := strings.Cut(tr.Market, "/")
		if tr.Side == "buy" {
			acquired[base] = true
		} else {
			acquired[quote] = true
		}
	}
	for _, l := range a.Logins {
		inLife("login", l.At)
	}
	for _, b := range *a.Balances {
		if !acquired[b.Asset] {
			fail("balance in %s, which it never deposited or bought", b.Asset)
		}
	}
	checkExternalIDs(t, i, a)
}

func checkExternalIDs(t *testing.T, i int, a account.Activity) {
	t.Helper()
	seen := map[string]bool{}
	add := func(kind, id string) {
		if seen[kind+" "+id] {
			t.Fatalf("account %d: %s external id %s twice", i, kind, id)
		}
		seen[kind+" "+id] = true
	}
	for _, d := range a.Deposits {
		add("deposit", d.ExternalID)
	}
	for _, w := range a.Withdrawals {
		add("withdrawal", w.ExternalID)
	}
	for _, l := range a.Logins {
		add("login", l.ExternalID)
	}
	for _, tr := range a.Trades {
		add("trade", tr.ExternalID)
	}
}

// checkShape checks that an address is valid on its network (format and
// checksum) and that a txid looks like the network's.
func checkShape(t *testing.T, tr account.Transfer) {
	t.Helper()
	if err := chain.Valid(tr.Network, tr.Address); err != nil {
		t.Fatalf("%s on %s: %v", tr.Coin, tr.Network, err)
	}
	s := chainOf(tr.Network).txid
	rest, ok := strings.CutPrefix(tr.TxID, s.prefix)
	if !ok || len(rest) != s.n || strings.Trim(rest, s.alphabet) != "" {
		t.Fatalf("%s on %s: txid %q is not %q followed by %d of %q", tr.Coin, tr.Network, tr.TxID, s.prefix, s.n, s.alphabet)
	}
}

func TestAmounts(t *testing.T) {
	p := DefaultPopulation()
	rng := RNG(1, 1)
	for _, c := range p.Coins {
		for range 2000 {
			s := amount(rng, c.Typical, 1.3, c.Decimals)
			whole, frac, _ := strings.Cut(s, ".")
			if strings.Trim(s, "0.") == "" || len(frac) > c.Decimals || len(whole) > 20 || strings.HasSuffix(s, "0") && frac != "" {
				t.Fatalf("%s: amount %q", c.Symbol, s)
			}
		}
	}
	if got := amount(rng, 1e-12, 0, 2); got != "0.01" {
		t.Errorf("a tiny amount = %q, want the smallest unit 0.01", got)
	}
}

// TestAddressesOfEveryNetworkAreValid draws 10,000 addresses of every
// network of the population the way the generator does and checks each
// against the network's validator (format and checksum).
func TestAddressesOfEveryNetworkAreValid(t *testing.T) {
	rng := RNG(3, 3)
	seen := map[string]bool{}
	for _, c := range DefaultPopulation().Coins {
		for _, n := range c.Networks {
			if seen[n.Name] {
				continue
			}
			seen[n.Name] = true
			for range 10_000 {
				a := chainOf(n.Name).address.draw(rng)
				if err := chain.Valid(n.Name, a); err != nil {
					t.Fatalf("%s: %q: %v", n.Name, a, err)
				}
			}
		}
	}
	if len(seen) < 23 {
		t.Errorf("%d networks, want the 23 of the default population", len(seen))
	}
}
